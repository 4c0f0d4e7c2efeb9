"""Serving a stored package file, as every format's download route does it: which file of the name is served (the
oldest_file_wins fault), the response with its checksum headers (the corrupt_download fault's flipped stream), and
the pull it counts."""

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from pathlib import Path

import anyio
from starlette.requests import Request
from starlette.responses import FileResponse, Response, StreamingResponse

from core.endpoints import Endpoint
from core.faults import Fault
from core.vocabulary import Operation, Permission
from reference_server.access import authorize
from reference_server.auth import Principal
from reference_server.db import Database, Row, installable
from reference_server.errors import not_found
from reference_server.metrics import count_event
from reference_server.settings import ServerSettings
from reference_server.storage import FileStore

OCTET_STREAM = "application/octet-stream"


def served_file(request: Request, package: Row | None, file_name: str) -> Row | None:
    """The file of this name a download serves: the most recent one (the oldest under oldest_file_wins); None when
    there is none, or the package is not installable yet (still processing)."""
    settings: ServerSettings = request.app.state.settings
    db: Database = request.app.state.db
    if package is None or not installable(package):
        return None
    return db.file_named(package["id"], file_name, newest=not settings.has(Fault.OLDEST_FILE_WINS))


def count_pull(request: Request, format_name: str, principal: Principal | None) -> None:
    """Count a pull of the format's package file for a GET (a HEAD is no pull)."""
    if request.method == "GET":
        count_event(request, format_name, Operation.PULL, principal)


async def flipped(path: Path) -> AsyncIterator[bytes]:
    """The file with its first byte flipped (the corrupt_download fault)."""
    first = True
    async with await anyio.open_file(path, "rb") as file:
        while chunk := await file.read(1 << 16):
            if first:
                chunk = bytes([chunk[0] ^ 0xFF]) + chunk[1:]
                first = False
            yield chunk


def file_response(request: Request, project_id: int, row: Row, headers: Mapping[str, str] | None = None, *,
                  named: bool = False, corruptible: bool = True) -> Response:
    """A stored file (`row` of package_files) as the answer to a GET or HEAD, with `headers` (by default its
    `X-Checksum-SHA256`); `named` adds its file name as Content-Disposition. Under the corrupt_download fault, where
    `corruptible`, its first byte is flipped."""
    settings: ServerSettings = request.app.state.settings
    store: FileStore = request.app.state.store
    path = store.file_path(project_id, row["package_id"], row["id"], row["file_name"])
    sent = dict(headers) if headers is not None else {"X-Checksum-SHA256": row["file_sha256"]}
    if corruptible and settings.has(Fault.CORRUPT_DOWNLOAD) and row["size"] > 0:
        return StreamingResponse(flipped(path), media_type=OCTET_STREAM,
                                 headers={**sent, "Content-Length": str(row["size"])})
    return FileResponse(path, media_type=OCTET_STREAM, filename=row["file_name"] if named else None, headers=sent)


def named_file_download(format_name: str, endpoint: Endpoint) -> Callable[[Request], Awaitable[Response]]:
    """The download route of a format whose URL names the package, its version and the file (Generic's shape):
    authorized for reading, the served file of that name, the pull counted."""

    async def download(request: Request) -> Response:
        db: Database = request.app.state.db
        granted = authorize(request, endpoint, Permission.READ_PACKAGE)
        project = granted.project
        params = request.path_params
        package = db.find_package(project["id"], format_name, params["package_name"], params["package_version"])
        row = served_file(request, package, params["file_name"])
        if row is None:
            raise not_found()
        count_pull(request, format_name, granted.principal)
        return file_response(request, project["id"], row, named=True)

    return download
