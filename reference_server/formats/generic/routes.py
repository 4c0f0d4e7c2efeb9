"""The Generic packages API (seed 003): upload (PUT) and download (GET) of package files.

Every refusal of an upload (auth, validation, declared size, duplicates) is answered before the body is read,
so a client that sent `Expect: 100-continue` never gets `100 Continue` for a request that will be refused.
Guesses where seed 003 is silent: an upload with `status` also sets the status of an existing package, and
`select=package_file` answers 200 (Grape's default for PUT with `present`; plain uploads answer 201).
"""

import sqlite3

import anyio
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from core.faults import Fault
from core.vocabulary import Operation, Permission
from formats.generic import DOWNLOAD, RULES, UPLOAD
from reference_server.access import authorize
from reference_server.db import PROCESSING, Database, Row, installable
from reference_server.duplicates import duplicate_refused
from reference_server.errors import ApiError, bad_request, not_found, refused
from reference_server.metrics import Metrics
from reference_server.settings import ServerSettings
from reference_server.storage import FileStore, ReceivedFile
from reference_server.transfers import flipped, new_package_status, over_limit, receive_body

FORMAT = "generic"
STATUSES = ("default", "hidden")
RACE_WINDOW = 0.25  # seconds between "is there a package?" and "create it" under the duplicate_race fault


def duplicate() -> ApiError:
    return refused(RULES.duplicates.refused_status, RULES.duplicates.refused_message)


def too_large(limit: int, size: int | None = None) -> ApiError:
    size_text = f"file size {size}" if size is not None else "file size"
    return refused(RULES.too_large_status, f"{size_text} exceeds the {FORMAT} limit of {limit} bytes")


def validate(request: Request) -> tuple[str, str, str, str | None, str | None]:
    """Name, version, file name, status and select, or 400 naming the rule broken (the name's is skipped under the
    loose_name_rule fault)."""
    settings: ServerSettings = request.app.state.settings
    params = request.path_params
    name, version, file_name = params["package_name"], params["package_version"], params["file_name"]
    name_error = None if settings.has(Fault.LOOSE_NAME_RULE) else RULES.name_error(name)
    error = name_error or RULES.version_error(version) or RULES.file_name_error(file_name)
    if error:
        raise bad_request(error)
    status = request.query_params.get("status")
    if status is not None and status not in STATUSES:
        raise bad_request(f"status does not have a valid value: {' or '.join(STATUSES)}")
    select = request.query_params.get("select")
    if select is not None and select != "package_file":
        raise bad_request("select does not have a valid value: package_file")
    return name, version, file_name, status, select


def declared_size(request: Request) -> int | None:
    value = request.headers.get("content-length")
    return int(value) if value and value.isdigit() else None


def package_file_json(store: FileStore, project: Row, row: Row) -> dict[str, object]:
    """The `select=package_file` answer (seed 003)."""
    url = store.file_url(project["id"], row["package_id"], row["id"], row["file_name"])
    return {
        "id": row["id"], "package_id": row["package_id"], "created_at": row["created_at"],
        "updated_at": row["updated_at"], "size": row["size"], "file_store": 1, "file_md5": row["file_md5"],
        "file_sha1": row["file_sha1"], "file_name": row["file_name"], "file": {"url": url},
        "file_sha256": row["file_sha256"], "verification_retry_at": None, "verified_at": None,
        "verification_failure": None, "verification_retry_count": None, "verification_checksum": None,
        "verification_state": 0, "verification_started_at": None, "new_file_path": None,
    }


async def save(request: Request, project: Row, name: str, version: str, file_name: str, status: str | None,
               received: ReceivedFile) -> Row:
    """Record the package (created if new) and the file, and move the upload into place, in one transaction."""
    settings: ServerSettings = request.app.state.settings
    db: Database = request.app.state.db
    store: FileStore = request.app.state.store
    new_status = new_package_status(request, status or "default")
    if settings.has(Fault.DUPLICATE_RACE) and db.find_package(project["id"], FORMAT, name, version) is None:
        await anyio.sleep(RACE_WINDOW)
        db.insert_package(project["id"], FORMAT, name, version, new_status)  # may raise IntegrityError
    with db.transaction():
        package = db.get_or_create_package(project["id"], FORMAT, name, version, new_status)
        if status and package["status"] not in (status, PROCESSING):  # a processing package stays so
            db.set_package_status(package["id"], status)
        if duplicate_refused(db, project, package, file_name) and not settings.has(Fault.IGNORE_REJECT_DUPLICATES):
            raise duplicate()  # lost a race with an identical upload
        row = db.add_package_file(package["id"], file_name, received.size, received.md5, received.sha1,
                                  received.sha256)
        store.place(received, store.file_path(project["id"], package["id"], row["id"], file_name))
    return row


async def upload(request: Request) -> Response:
    settings: ServerSettings = request.app.state.settings
    db: Database = request.app.state.db
    store: FileStore = request.app.state.store
    received: ReceivedFile | None = None
    try:
        if settings.has(Fault.READ_BODY_BEFORE_AUTH):
            received = await store.receive(request.stream(), None)
        granted = authorize(request, UPLOAD, Permission.CREATE_PACKAGE)
        project = granted.project
        name, version, file_name, status, select = validate(request)
        limit = None if settings.has(Fault.NO_SIZE_LIMIT) else settings.size_limit(FORMAT)
        size = declared_size(request)
        if limit is not None and size is not None and over_limit(request, size, limit):
            raise too_large(limit, size)
        if received is not None and limit is not None and over_limit(request, received.size, limit):
            raise too_large(limit, received.size)
        package = db.find_package(project["id"], FORMAT, name, version)
        if duplicate_refused(db, project, package, file_name) and not settings.has(Fault.IGNORE_REJECT_DUPLICATES):
            raise duplicate()
        if received is None:
            received = await receive_body(request, store, limit, too_large)
        try:
            row = await save(request, project, name, version, file_name, status, received)
        except sqlite3.IntegrityError:
            return JSONResponse({"message": "500 Internal Server Error"}, status_code=500)
    finally:
        store.discard(received)  # a no-op once the file was moved into place
    metrics: Metrics = request.app.state.metrics
    metrics.count(FORMAT, Operation.PUSH.value, granted.principal)
    if select == "package_file":
        return JSONResponse(package_file_json(store, project, row), status_code=200)
    return JSONResponse({"message": "201 Created"}, status_code=201)



async def download(request: Request) -> Response:
    settings: ServerSettings = request.app.state.settings
    db: Database = request.app.state.db
    store: FileStore = request.app.state.store
    granted = authorize(request, DOWNLOAD, Permission.READ_PACKAGE)
    project = granted.project
    params = request.path_params
    package = db.find_package(project["id"], FORMAT, params["package_name"], params["package_version"])
    row = None
    if package is not None and installable(package):
        row = db.file_named(package["id"], params["file_name"], newest=not settings.has(Fault.OLDEST_FILE_WINS))
    if row is None:
        raise not_found()
    path = store.file_path(project["id"], package["id"], row["id"], row["file_name"])
    if request.method == "GET":
        metrics: Metrics = request.app.state.metrics
        metrics.count(FORMAT, Operation.PULL.value, granted.principal)
    headers = {"X-Checksum-SHA256": row["file_sha256"]}
    if settings.has(Fault.CORRUPT_DOWNLOAD) and row["size"] > 0:
        return StreamingResponse(flipped(path), media_type="application/octet-stream",
                                 headers={**headers, "Content-Length": str(row["size"])})
    return FileResponse(path, media_type="application/octet-stream", filename=row["file_name"], headers=headers)


ROUTES = [
    Route(UPLOAD.path, upload, methods=[UPLOAD.method]),
    Route(DOWNLOAD.path, download, methods=[DOWNLOAD.method]),
]
