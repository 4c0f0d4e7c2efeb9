"""Maven's artifact: a real jar (its pom beside it), streamed, Zip64 once it reaches 4 GiB."""

import hashlib
import random
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from core.format_types import BytesArtifact
from formats.maven.documents import pom_xml
from formats.maven.names import Coordinates

_ZIP64_LIMIT = 0xFFFFFFFF
_DOS_DATE = (0 << 9) | (1 << 5) | 1  # 1980-01-01, 00:00: fixed, so a jar's bytes depend on its seed alone
PAYLOAD_ENTRY = "harness/payload.bin"


@dataclass(frozen=True, slots=True)
class _Entry:
    name: bytes
    size: int
    crc: int
    offset: int
    zip64: bool


@dataclass(frozen=True)
class MavenJar:
    """A jar of exactly `size` bytes (or the smallest jar, when `size` is smaller): META-INF/MANIFEST.MF, the pom
    and pom.properties under META-INF/maven/<groupId>/<artifactId>/, and a payload of random bytes from
    random.Random(seed), all stored (ZIP_STORED). The payload is produced chunk by chunk, so a jar of any size is
    never held in memory; its CRC is computed in one pass first. `companions` holds the pom that travels with it."""

    coords: Coordinates
    requested_size: int
    seed: int = 0
    chunk_size: int = 1 << 20
    companions: tuple[BytesArtifact, ...] = field(init=False)

    def __post_init__(self) -> None:
        pom = BytesArtifact(self.coords.file_name("pom"), pom_xml(self.coords, self.seed))
        object.__setattr__(self, "companions", (pom,))

    @property
    def file_name(self) -> str:
        return self.coords.file_name("jar")

    @property
    def pom(self) -> BytesArtifact:
        return self.companions[0]

    @cached_property
    def _small_entries(self) -> list[tuple[str, bytes]]:
        g, a, v = self.coords.group_id, self.coords.artifact_id, self.coords.version
        manifest = b"Manifest-Version: 1.0\r\nCreated-By: registry-rollout-harness\r\n\r\n"
        properties = f"groupId={g}\nartifactId={a}\nversion={v}\n".encode()
        return [("META-INF/MANIFEST.MF", manifest), (f"META-INF/maven/{g}/{a}/pom.xml", self.pom.data),
                (f"META-INF/maven/{g}/{a}/pom.properties", properties)]

    def _overhead(self, zip64: bool) -> int:
        """Every byte of the jar that is not payload."""
        names = [n.encode() for n, _ in self._small_entries] + [PAYLOAD_ENTRY.encode()]
        small = sum(30 + 46 + 2 * len(n.encode()) + len(d) for n, d in self._small_entries)
        payload = 30 + 46 + 2 * len(names[-1]) + (2 * 20 if zip64 else 0)
        return small + payload + 22 + (56 + 20 if zip64 else 0)

    @property
    def zip64(self) -> bool:
        """Zip64 records once the jar reaches 4 GiB (its payload size and directory offset no longer fit)."""
        return self.requested_size >= _ZIP64_LIMIT

    @cached_property
    def payload_size(self) -> int:
        return max(0, self.requested_size - self._overhead(self.zip64))

    @property
    def size(self) -> int:
        return self.payload_size + self._overhead(self.zip64)

    @cached_property
    def _block(self) -> bytes:
        return random.Random(self.seed).randbytes(self.chunk_size)

    def _payload(self) -> Iterator[bytes]:
        """Each chunk is the seeded block with its index over the first 8 bytes (no two chunks alike)."""
        remaining, index = self.payload_size, 0
        while remaining > 0:
            take = min(remaining, self.chunk_size)
            yield (index.to_bytes(8, "big") + self._block[8:])[:take]
            remaining -= take
            index += 1

    @cached_property
    def _payload_crc(self) -> int:
        crc = 0
        for chunk in self._payload():
            crc = zlib.crc32(chunk, crc)
        return crc

    def chunks(self) -> Iterator[bytes]:
        entries: list[_Entry] = []
        offset = 0
        for name, data in self._small_entries:
            entry = _Entry(name.encode(), len(data), zlib.crc32(data), offset, False)
            header = _local_header(entry)
            entries.append(entry)
            offset += len(header) + len(data)
            yield header + data
        payload = _Entry(PAYLOAD_ENTRY.encode(), self.payload_size, self._payload_crc, offset, self.zip64)
        header = _local_header(payload)
        entries.append(payload)
        yield header
        yield from self._payload()
        offset += len(header) + payload.size
        directory = b"".join(_central_header(e) for e in entries)
        yield directory + _end_records(len(entries), len(directory), offset, self.zip64)

    @cached_property
    def digests(self) -> dict[str, str]:
        """md5, sha1 and sha256 of the jar, from one pass over it."""
        return file_digests(self.chunks())

    def sha256(self) -> str:
        return self.digests["sha256"]

    def write_to(self, directory: Path) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        self.pom.write_to(directory)
        path = directory / self.file_name
        with path.open("wb") as file:
            for chunk in self.chunks():
                file.write(chunk)
        return path


def file_digests(chunks: Iterator[bytes], algorithms: tuple[str, ...] = ("md5", "sha1", "sha256")) -> dict[str, str]:
    digests = {algorithm: hashlib.new(algorithm) for algorithm in algorithms}
    for chunk in chunks:
        for digest in digests.values():
            digest.update(chunk)
    return {algorithm: digest.hexdigest() for algorithm, digest in digests.items()}


def _local_header(entry: _Entry) -> bytes:
    size = _ZIP64_LIMIT if entry.zip64 else entry.size
    extra = struct.pack("<HHQQ", 1, 16, entry.size, entry.size) if entry.zip64 else b""
    return struct.pack("<IHHHHHIIIHH", 0x04034B50, 45 if entry.zip64 else 20, 0, 0, 0, _DOS_DATE, entry.crc, size,
                       size, len(entry.name), len(extra)) + entry.name + extra


def _central_header(entry: _Entry) -> bytes:
    size = _ZIP64_LIMIT if entry.zip64 else entry.size
    extra = struct.pack("<HHQQ", 1, 16, entry.size, entry.size) if entry.zip64 else b""
    version = 45 if entry.zip64 else 20
    return struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, version, version, 0, 0, 0, _DOS_DATE, entry.crc, size, size,
                       len(entry.name), len(extra), 0, 0, 0, 0, entry.offset) + entry.name + extra


def _end_records(count: int, directory_size: int, directory_offset: int, zip64: bool) -> bytes:
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, count, count, directory_size,
                      _ZIP64_LIMIT if zip64 else directory_offset, 0)
    if not zip64:
        return end
    record = struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, count, count, directory_size, directory_offset)
    locator = struct.pack("<IIQI", 0x07064B50, 0, directory_offset + directory_size, 1)
    return record + locator + end
