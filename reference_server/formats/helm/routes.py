"""The reference server's Helm API: upload, index.yaml and chart download, per project and channel.

An upload is taken as GitLab takes it (lib/api/helm_packages.rb): authorized, the channel checked, the size limit
applied while the multipart form streams (Workhorse's MaximumSize: 413), the file stored as `package.tgz` in a
temporary package (`Helm.Temporary.Package`, version `0.0.0-<uuid>`, status `processing`), answered 201, and then,
in a background task (Packages::Helm::ExtractionWorker), Chart.yaml read: the name and version validated
(app/models/packages/helm/package.rb) and checked against the protection rules, the file moved to the package of
that name and version (created if new, status `default`) as `<name>-<version>.tgz` with its channel and Chart.yaml,
and the temporary package removed; on any failure the temporary package is marked `error`
(Packages::Helm::ProcessFileService, ExtractionWorker's rescue).

Faults handled here: `helm_channel_ignored` (index.py: every channel's charts in every channel), the shared
`processing_stuck` (the background task never runs), `loose_name_rule`, `oldest_file_wins`, `no_size_limit`,
`at_limit_refused`, `read_body_before_auth`, `protection_rules_ignored` (through the shared helpers).
"""

import json
import logging
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread
from starlette.background import BackgroundTask
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from core.faults import Fault
from core.vocabulary import Operation, Permission
from formats.helm import (
    CHANNEL_REGEX,
    CHANNEL_RULE,
    DOWNLOAD,
    FORMAT,
    INDEX,
    RULES,
    TEMPORARY_PACKAGE_NAME,
    TEMPORARY_VERSION_PREFIX,
    UPLOAD,
    UPLOADED_FILE_NAME,
    chart_file_name,
)
from reference_server.access import Authorized, authorize, check_protection
from reference_server.db import Database
from reference_server.downloads import count_pull, file_response
from reference_server.errors import ApiError, bad_request, missing, not_found
from reference_server.formats.helm.chart import ExtractionError, chart_metadata
from reference_server.formats.helm.index import (
    channel_files,
    listed,
    most_recent_file,
    packages_for_file,
    render,
)

# The streaming multipart reader PyPI's upload uses (a form's file part handed to the store chunk by chunk).
from reference_server.formats.pypi.multipart import MultipartError, MultipartReader, boundary_of
from reference_server.metadata_cache import Check, Subject, metadata_response
from reference_server.metrics import count_event
from reference_server.package_files import add_file, new_package_status, saving_package
from reference_server.settings import ServerSettings
from reference_server.storage import FileStore, ReceivedFile, TooLarge, storable
from reference_server.transfers import body_before_auth, declared_size, over_limit, size_limit, stream_limit, too_large

log = logging.getLogger(__name__)
FIELD = "chart"  # `requires :chart, type: ::API::Validations::Types::WorkhorseFile`
EPILOGUE = 2  # the CRLF clients write after the closing delimiter
FORM_FRAMING = 16 << 10  # the most the form's delimiters, part headers and small fields may take around the chart


def invalid(param: str, rule: str) -> ApiError:
    """Grape's answer for a parameter that fails its `regexp:`."""
    return ApiError(400, f"{param} is invalid: {rule}", body={"error": f"{param} is invalid"})


def channel_of(request: Request) -> str:
    channel = str(request.path_params["channel"])
    if not CHANNEL_REGEX.fullmatch(channel):
        raise invalid("channel", CHANNEL_RULE)
    return channel


async def _spooled(path: Path) -> AsyncIterator[bytes]:
    async with await anyio.open_file(path, "rb") as file:
        while chunk := await file.read(1 << 16):
            yield chunk


async def read_chart(request: Request, source: AsyncIterator[bytes], boundary: str) -> ReceivedFile:
    """The form's `chart` file, streamed into the store; 413 as soon as it is known to be over the limit (by the
    body's declared length when the chart is the form's last part, as curl sends it, else while it is read)."""
    store: FileStore = request.app.state.store
    limit = size_limit(request, FORMAT)
    declared = declared_size(request)
    reader = MultipartReader(source, boundary)
    received: ReceivedFile | None = None
    try:
        while (part := await reader.next_part()) is not None:
            if part.name != FIELD or part.filename is None or received is not None:
                continue  # other fields are not the API's; a second chart is ignored as Grape keeps one
            if declared is not None and limit is not None:
                file_size = declared - reader.position - reader.closing_size - EPILOGUE
                if over_limit(request, file_size, limit):
                    raise too_large(FORMAT, limit, file_size)
            try:
                received = await store.receive(reader.data(), stream_limit(request, limit))
            except TooLarge:
                assert limit is not None
                raise too_large(FORMAT, limit) from None
    except MultipartError as error:
        store.discard(received)
        raise bad_request(f"the body is not a valid multipart form: {error}") from None
    except ClientDisconnect:
        store.discard(received)
        raise bad_request("the client disconnected before the body was complete") from None
    except BaseException:
        store.discard(received)
        raise
    if received is None:
        raise missing(FIELD)
    return received


async def upload(request: Request) -> Response:
    db: Database = request.app.state.db
    store: FileStore = request.app.state.store
    spooled = await body_before_auth(request)
    received: ReceivedFile | None = None
    try:
        granted = authorize(request, UPLOAD, Permission.CREATE_PACKAGE)
        project = granted.project
        channel = channel_of(request)
        boundary = boundary_of(request.headers.get("content-type", ""))
        if boundary is None:
            raise missing(FIELD)  # no multipart form: Grape finds no `chart`
        limit, size = size_limit(request, FORMAT), declared_size(request)
        if limit is not None and size is not None and over_limit(request, size - FORM_FRAMING, limit):
            raise too_large(FORMAT, limit, size)
        source = _spooled(spooled.path) if spooled is not None else request.stream()
        received = await read_chart(request, source, boundary)
        version = TEMPORARY_VERSION_PREFIX + str(uuid.uuid4())
        async with saving_package(request, project, FORMAT, TEMPORARY_PACKAGE_NAME, version,
                                  new_package_status(request, "processing")) as package:
            row = add_file(request, project, package, UPLOADED_FILE_NAME, received)
            db.set_package_metadata(package["id"], {"channel": channel})
    finally:
        store.discard(received)  # a no-op once the file was moved into place
        store.discard(spooled)
    count_event(request, FORMAT, Operation.PUSH, granted.principal)
    task = BackgroundTask(extract, request, granted, int(project["id"]), int(package["id"]), int(row["id"]), channel)
    return JSONResponse({"message": "201 Created"}, status_code=201, background=task)


def _chart_name_version(request: Request, chart: dict[str, Any]) -> tuple[str, str]:
    """Chart.yaml's name and version, as Packages::Helm::Package validates them (`update!` raises on either)."""
    settings: ServerSettings = request.app.state.settings
    name, version = str(chart.get("name") or ""), str(chart.get("version") or "")
    name_error = None if settings.has(Fault.LOOSE_NAME_RULE) else RULES.name_error(name)
    error = name_error or RULES.version_error(version)
    if error:
        raise ExtractionError(f"Validation failed: {error}")
    if not storable(chart_file_name(name, version)):
        raise ExtractionError(f"Validation failed: {chart_file_name(name, version)} cannot be stored")
    return name, version


async def extract(request: Request, granted: Authorized, project_id: int, temp_id: int, file_id: int,
                  channel: str) -> None:
    """Packages::Helm::ExtractionWorker: read the chart, move its file to its package, or mark the upload `error`."""
    settings: ServerSettings = request.app.state.settings
    db: Database = request.app.state.db
    store: FileStore = request.app.state.store
    if settings.has(Fault.PROCESSING_STUCK):
        return  # the extraction never ends: the temporary package stays `processing`
    project, row = db.project(project_id), db.package_file(temp_id, file_id)
    if project is None or row is None:
        return  # deleted meanwhile
    path = store.file_path(project_id, temp_id, file_id, UPLOADED_FILE_NAME)
    try:
        chart = await anyio.to_thread.run_sync(chart_metadata, path)
        name, version = _chart_name_version(request, chart)
        check_protection(request, UPLOAD, granted, name)  # ProcessFileService#package_protected?
        chart = json.loads(json.dumps(chart, default=str))
        received = ReceivedFile(path, int(row["size"]), row["file_md5"], row["file_sha1"], row["file_sha256"])
        async with saving_package(request, project, FORMAT, name, version, "default") as package:
            db.set_package_status(package["id"], "default")
            moved = add_file(request, project, package, chart_file_name(name, version), received)
            data = db.package_metadata(package["id"]) or {}
            files = data.setdefault("files", {})
            files[str(moved["id"])] = {"channel": channel, "chart": chart}
            db.set_package_metadata(package["id"], data)
            db.delete_package(temp_id)
    except (ExtractionError, ApiError) as error:
        log.info("helm chart of package %s not processed: %s", temp_id, error)
        db.set_package_status(temp_id, "error")
        return
    await store.remove(store.package_dir(project_id, temp_id))


async def index_yaml(request: Request) -> Response:
    settings: ServerSettings = request.app.state.settings
    db: Database = request.app.state.db
    granted = authorize(request, INDEX, Permission.READ_PACKAGE)
    project = granted.project
    channel = channel_of(request)

    def build(check: Check | None) -> Response:
        files = listed(channel_files(db, int(project["id"]), channel, settings.faults))
        if check is not None:
            for f in files:
                check(f.package)
        return Response(render(str(request.path_params["project_id"]), files), media_type="text/yaml")

    return await metadata_response(request, (FORMAT, "index", channel), [project], Subject(FORMAT), build)


async def download(request: Request) -> Response:
    settings: ServerSettings = request.app.state.settings
    db: Database = request.app.state.db
    granted = authorize(request, DOWNLOAD, Permission.READ_PACKAGE)
    project = granted.project
    channel = channel_of(request)
    file_name = str(request.path_params["file_name"])
    if not file_name.endswith(".tgz"):  # `get ":channel/charts/:file_name.tgz"`; `.tgz.prov` is Grape's format
        suffix = file_name.rsplit(".", 1)[-1] if "." in file_name else ""
        raise not_found(f"Format {suffix}" if file_name.endswith(".tgz." + suffix) else None)
    candidates = packages_for_file(db, int(project["id"]), file_name)
    files = channel_files(db, int(project["id"]), channel, settings.faults, candidates)
    found = most_recent_file(files, file_name, newest=not settings.has(Fault.OLDEST_FILE_WINS))
    if found is None:
        raise not_found()
    count_pull(request, FORMAT, granted.principal)
    return file_response(request, int(project["id"]), found.row)


ROUTES = [
    Route(UPLOAD.path, upload, methods=[UPLOAD.method]),
    Route(INDEX.path, index_yaml, methods=["GET"]),
    Route(DOWNLOAD.path, download, methods=["GET", "HEAD"]),
]
