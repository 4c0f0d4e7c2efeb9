"""The Generic packages API (seed 003): upload (PUT) and download (GET) of package files.

Every refusal of an upload (auth, validation, declared size, duplicates) is answered before the body is read,
so a client that sent `Expect: 100-continue` never gets `100 Continue` for a request that will be refused.
Guesses where seed 003 is silent: an upload with `status` also sets the status of an existing package, and
`select=package_file` answers 200 (Grape's default for PUT with `present`; plain uploads answer 201).
"""

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from core.faults import Fault
from core.vocabulary import Operation, Permission
from formats.generic import DOWNLOAD, RULES, UPLOAD
from reference_server.access import authorize, check_protection
from reference_server.db import PROCESSING, Database, Row
from reference_server.downloads import named_file_download
from reference_server.duplicates import duplicate_refusal, duplicate_refused
from reference_server.errors import bad_request
from reference_server.metrics import count_event
from reference_server.package_files import add_file, new_package_status, saving_package
from reference_server.settings import ServerSettings
from reference_server.storage import FileStore, ReceivedFile
from reference_server.transfers import body_before_auth, receive_body, refuse_oversized

FORMAT = "generic"
STATUSES = ("default", "hidden")


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
    async with saving_package(request, project, FORMAT, name, version,
                              new_package_status(request, status or "default")) as package:
        if status and package["status"] not in (status, PROCESSING):  # a processing package stays so
            db.set_package_status(package["id"], status)
        if duplicate_refused(db, project, package, file_name) and not settings.has(Fault.IGNORE_REJECT_DUPLICATES):
            raise duplicate_refusal(FORMAT)  # lost a race with an identical upload
        return add_file(request, project, package, file_name, received)


async def upload(request: Request) -> Response:
    settings: ServerSettings = request.app.state.settings
    db: Database = request.app.state.db
    store: FileStore = request.app.state.store
    received = await body_before_auth(request)
    try:
        granted = authorize(request, UPLOAD, Permission.CREATE_PACKAGE)
        project = granted.project
        name, version, file_name, status, select = validate(request)
        check_protection(request, UPLOAD, granted, name)
        limit = refuse_oversized(request, FORMAT, received)
        package = db.find_package(project["id"], FORMAT, name, version)
        if duplicate_refused(db, project, package, file_name) and not settings.has(Fault.IGNORE_REJECT_DUPLICATES):
            raise duplicate_refusal(FORMAT)
        if received is None:
            received = await receive_body(request, FORMAT, limit)
        row = await save(request, project, name, version, file_name, status, received)
    finally:
        store.discard(received)  # a no-op once the file was moved into place
    count_event(request, FORMAT, Operation.PUSH, granted.principal)
    if select == "package_file":
        return JSONResponse(package_file_json(store, project, row), status_code=200)
    return JSONResponse({"message": "201 Created"}, status_code=201)



ROUTES = [
    Route(UPLOAD.path, upload, methods=[UPLOAD.method]),
    Route(DOWNLOAD.path, named_file_download(FORMAT, DOWNLOAD), methods=[DOWNLOAD.method]),
]
