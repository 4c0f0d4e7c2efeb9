"""Package files on local disk: streaming uploads hashed on the way, atomic placement, removal.

Layout under `<data_dir>/packages`, like GitLab's: `<h[0:2]>/<h[2:4]>/<h>/packages/<package_id>/files/<file_id>/<name>`
where h is the sha256 of the project id. Uploads are written to `<data_dir>/tmp` first, then renamed into place.
"""

import asyncio
import hashlib
import os
import shutil
import tempfile
from collections import deque
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio.to_thread

from reference_server.errors import ApiError

FLUSH_SIZE = 1 << 20  # bytes buffered before a write (and the hashing) is handed to the worker threads
IN_FLIGHT = 4  # blocks queued per worker thread at most


SEGMENT_BYTES = 255  # the longest file name (one path segment) Linux file systems store


class TooLarge(Exception):
    """The body grew past the limit; the temporary file is already gone."""


class UnstorableFileName(ApiError):
    """A file name that would leave its directory or that no file system stores (npm's file name holds the package
    name, which the loose_name_rule fault lets through unchecked): 400, before anything is written."""

    def __init__(self, file_name: str) -> None:
        super().__init__(400, f"400 Bad request - the file name {file_name!r} cannot be stored")


def storable(file_name: str) -> bool:
    """A relative path of ordinary segments: not empty or absolute, no `..`, no NUL, no segment too long."""
    segments = file_name.split("/")
    return bool(file_name) and not file_name.startswith("/") and "\0" not in file_name and all(
        segment != ".." and len(segment.encode()) <= SEGMENT_BYTES for segment in segments)


@dataclass(frozen=True)
class ReceivedFile:
    path: Path
    size: int
    md5: str
    sha1: str
    sha256: str


class _HashingWriter:
    """Writes and hashes an upload on two worker threads while the event loop keeps receiving.

    One thread writes the file and computes sha256, the other md5 and sha1 (hashlib releases the GIL on
    large buffers, so both cores work). At most IN_FLIGHT blocks are queued, which bounds memory.
    """

    def __init__(self, path: Path) -> None:
        self.file = open(path, "wb")  # noqa: SIM115 - closed by `close`
        self.size = 0
        self.md5, self.sha1, self.sha256 = hashlib.md5(), hashlib.sha1(), hashlib.sha256()
        self._lanes = (ThreadPoolExecutor(1, "upload-write"), ThreadPoolExecutor(1, "upload-hash"))
        self._pending: deque[asyncio.Future[None]] = deque()

    def _write(self, data: bytes) -> None:
        self.file.write(data)
        self.sha256.update(data)

    def _hash(self, data: bytes) -> None:
        self.md5.update(data)
        self.sha1.update(data)

    async def write(self, data: bytes) -> None:
        self.size += len(data)
        for lane, work in zip(self._lanes, (self._write, self._hash), strict=True):
            self._pending.append(asyncio.wrap_future(lane.submit(work, data)))
        while len(self._pending) > 2 * IN_FLIGHT:
            await self._pending.popleft()

    async def drain(self) -> None:
        while self._pending:
            await self._pending.popleft()

    def close(self) -> None:
        for lane in self._lanes:
            lane.shutdown(wait=True)
        self.file.close()

    @property
    def hashes(self) -> tuple[Any, Any, Any]:
        return self.md5, self.sha1, self.sha256


class FileStore:
    def __init__(self, data_dir: Path) -> None:
        self.root = data_dir / "packages"
        self.tmp = data_dir / "tmp"
        self.root.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(self.tmp, ignore_errors=True)  # leftovers of uploads cut short by a crash
        self.tmp.mkdir(parents=True)

    def project_dir(self, project_id: int) -> Path:
        digest = hashlib.sha256(str(project_id).encode()).hexdigest()
        return self.root / digest[:2] / digest[2:4] / digest

    def package_dir(self, project_id: int, package_id: int) -> Path:
        return self.project_dir(project_id) / "packages" / str(package_id)

    def file_path(self, project_id: int, package_id: int, file_id: int, file_name: str) -> Path:
        if not storable(file_name):
            raise UnstorableFileName(file_name)
        return self.package_dir(project_id, package_id) / "files" / str(file_id) / file_name

    def file_url(self, project_id: int, package_id: int, file_id: int, file_name: str) -> str:
        """The `file.url` GitLab shows: the stored path relative to the packages root."""
        return "/" + self.file_path(project_id, package_id, file_id, file_name).relative_to(self.root).as_posix()

    async def receive(self, chunks: AsyncIterator[bytes], limit: int | None) -> ReceivedFile:
        """Stream `chunks` into a temporary file, hashing on the way; TooLarge once more than `limit` bytes came."""
        fd, name = tempfile.mkstemp(dir=self.tmp, prefix="upload-")
        os.close(fd)
        path = Path(name)
        writer = _HashingWriter(path)
        buffer = bytearray()
        try:
            async for chunk in chunks:
                if limit is not None and writer.size + len(buffer) + len(chunk) > limit:
                    raise TooLarge
                buffer += chunk
                if len(buffer) >= FLUSH_SIZE:
                    await writer.write(bytes(buffer))
                    buffer.clear()
            await writer.write(bytes(buffer))
            await writer.drain()
        except BaseException:
            await anyio.to_thread.run_sync(writer.close)
            path.unlink(missing_ok=True)
            raise
        await anyio.to_thread.run_sync(writer.close)
        md5, sha1, sha256 = (digest.hexdigest() for digest in writer.hashes)
        return ReceivedFile(path, writer.size, md5, sha1, sha256)

    def place(self, received: ReceivedFile, destination: Path) -> None:
        """Atomically move an upload into its final place."""
        destination.parent.mkdir(parents=True, exist_ok=True)
        os.replace(received.path, destination)

    def discard(self, received: ReceivedFile | None) -> None:
        if received is not None:
            received.path.unlink(missing_ok=True)

    async def remove(self, path: Path) -> None:
        """Remove a file or a whole directory tree, off the event loop."""
        if path.is_dir():
            await anyio.to_thread.run_sync(lambda: shutil.rmtree(path, ignore_errors=True))
        else:
            path.unlink(missing_ok=True)
