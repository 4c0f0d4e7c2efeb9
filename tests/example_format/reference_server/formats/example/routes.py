"""The reference server's example API: upload (PUT) and download (GET) of a version's one file.

Only what is the format's own is written here: which parameters are validated against which rules, and the two
routes. The rest is the shared helpers every format's routes use: authorization (`access`), the opening of an upload
(`transfers`: faults, the size limit before the body, the body streamed into the store), duplicates (`duplicates`:
the format's policy, here always refused), saving (`package_files`: one transaction, the race faults) and serving a
file (`downloads`). Every refusal of an upload is answered before its body is read.
"""

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from core.faults import Fault
from core.vocabulary import Operation, Permission
from formats import FORMATS
from reference_server.access import authorize
from reference_server.db import Database, Row
from reference_server.downloads import named_file_download
from reference_server.duplicates import duplicate_refusal, duplicate_refused
from reference_server.errors import bad_request
from reference_server.metrics import count_event
from reference_server.package_files import add_file, new_package_status, saving_package
from reference_server.settings import ServerSettings
from reference_server.storage import FileStore, ReceivedFile
from reference_server.transfers import body_before_auth, receive_body, refuse_oversized

FORMAT = "example"
# The format's facts, from the discovered formats (a format outside the repository is no module ruff or mypy can
# resolve by name; inside it, `from formats.<name> import RULES, UPLOAD, DOWNLOAD` reads the same objects).
EXAMPLE = FORMATS[FORMAT]
RULES, UPLOAD, DOWNLOAD = EXAMPLE.rules, EXAMPLE.endpoint("upload"), EXAMPLE.endpoint("download")


def validate(request: Request) -> tuple[str, str, str]:
    """Name, version and file name, or 400 naming the rule broken (the name's is skipped under the loose_name_rule
    fault, as every format's is)."""
    settings: ServerSettings = request.app.state.settings
    params = request.path_params
    name, version, file_name = params["package_name"], params["package_version"], params["file_name"]
    name_error = None if settings.has(Fault.LOOSE_NAME_RULE) else RULES.name_error(name)
    error = name_error or RULES.version_error(version) or RULES.file_name_error(file_name)
    if error:
        raise bad_request(error)
    return name, version, file_name


def refuse_duplicate(request: Request, project: Row, package: Row | None, file_name: str) -> None:
    """The format's duplicate refusal (409), unless the ignore_reject_duplicates fault is on."""
    settings: ServerSettings = request.app.state.settings
    db: Database = request.app.state.db
    if duplicate_refused(db, project, package, file_name) and not settings.has(Fault.IGNORE_REJECT_DUPLICATES):
        raise duplicate_refusal(FORMAT)


async def save(request: Request, project: Row, name: str, version: str, file_name: str,
               received: ReceivedFile) -> Row:
    """Record the package (created if new) and its file, and move the upload into place, in one transaction."""
    async with saving_package(request, project, FORMAT, name, version, new_package_status(request)) as package:
        refuse_duplicate(request, project, package, file_name)  # lost a race with an identical upload
        return add_file(request, project, package, file_name, received)


async def upload(request: Request) -> Response:
    db: Database = request.app.state.db
    store: FileStore = request.app.state.store
    received = await body_before_auth(request)
    try:
        granted = authorize(request, UPLOAD, Permission.CREATE_PACKAGE)
        project = granted.project
        name, version, file_name = validate(request)
        limit = refuse_oversized(request, FORMAT, received)
        refuse_duplicate(request, project, db.find_package(project["id"], FORMAT, name, version), file_name)
        if received is None:
            received = await receive_body(request, FORMAT, limit)
        await save(request, project, name, version, file_name, received)
    finally:
        store.discard(received)  # a no-op once the file was moved into place
    count_event(request, FORMAT, Operation.PUSH, granted.principal)
    return JSONResponse({"message": "201 Created"}, status_code=201)



ROUTES = [
    Route(UPLOAD.path, upload, methods=[UPLOAD.method]),
    Route(DOWNLOAD.path, named_file_download(FORMAT, DOWNLOAD), methods=[DOWNLOAD.method]),
]
