"""The reference server's NuGet API, per project (v3 and v2) and per group (read-only), as GitLab serves it.

A publish is taken as GitLab takes it (lib/api/nuget_project_packages.rb `upload_nuget_package_file`): authorized,
the size limit applied while the multipart form streams (Workhorse's maximum_size: 413), the `package` file stored,
its .nuspec read: a file that is no zip is refused 400 (ExtractMetadataFileService's ExtractionError); a zip without
a .nuspec goes to a temporary package and the background worker, which marks it `error`
(`nuspec_extraction_failed`); otherwise the package is created or updated on the fly
(Packages::Nuget::CreateOrUpdatePackageService): name and version validated (400), protection rules (403), the
group's duplicate setting (409 'A package with the same name and version already exists'), the file stored as
`<name>.<version>.nupkg` in lowercase. Symbol packages always go through the temporary package and the worker, which
attaches the .snupkg to the package of its .nuspec's id and version.

Names are found case-insensitively (Packages::Nuget::PackageFinder), so `My.Pkg` and `my.pkg` are one package.

Faults handled here: `nuget_registration_first_only` (the registration index lists the first version only), and
through the shared helpers `processing_stuck`, `loose_name_rule`, `oldest_file_wins`, `no_size_limit`,
`at_limit_refused`, `read_body_before_auth`, `ignore_reject_duplicates`, `duplicate_race`, `corrupt_download`,
`protection_rules_ignored`.
"""

import base64
import json
import logging
import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import anyio
import anyio.to_thread
from starlette.background import BackgroundTask
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from core.faults import Fault
from core.format_types import Endpoint
from core.vocabulary import Operation, Permission
from formats.nuget import (
    API_KEY_HEADER,
    DELETE,
    DOWNLOAD,
    FORMAT,
    GROUP_METADATA,
    GROUP_METADATA_VERSION,
    GROUP_QUERY,
    GROUP_SERVICE_INDEX_PATH,
    METADATA,
    METADATA_VERSION,
    PUBLISH,
    QUERY,
    RULES,
    SERVICE_INDEX_PATH,
    SYMBOL_PUBLISH,
    TEMPORARY_PACKAGE_NAME,
    TEMPORARY_SYMBOL_PACKAGE_NAME,
    UPLOADED_FILE_NAME,
    UPLOADED_SYMBOL_FILE_NAME,
    V2_FIND_BY_ID_PATH,
    V2_METADATA_PATH,
    V2_PACKAGE_PATH,
    V2_PACKAGES_PATH,
    V2_PUBLISH,
    V2_SERVICE_INDEX_PATH,
    VERSIONS,
    stored_file_name,
)
from reference_server.access import Authorized, authorize, check_protection, group_access
from reference_server.db import Database, Row
from reference_server.downloads import count_pull, file_response
from reference_server.duplicates import duplicate_refusal, duplicate_refused
from reference_server.errors import ApiError, bad_request, missing, not_found
from reference_server.formats.nuget import documents
from reference_server.formats.nuget.documents import Version
from reference_server.formats.nuget.nuspec import ExtractionError, Nuspec, NuspecMissing, read_nuspec

# The streaming multipart reader PyPI's upload uses (a form's file part handed to the store chunk by chunk).
from reference_server.formats.pypi.multipart import MultipartError, MultipartReader, boundary_of
from reference_server.metadata_cache import Check, Subject, metadata_response
from reference_server.metrics import count_event
from reference_server.package_files import add_file, new_package_status, saving_package
from reference_server.settings import ServerSettings
from reference_server.storage import FileStore, ReceivedFile, TooLarge, storable
from reference_server.transfers import body_before_auth, declared_size, over_limit, size_limit, stream_limit, too_large

log = logging.getLogger(__name__)
FIELD = "package"  # `requires :package, type: ::API::Validations::Types::WorkhorseFile`
EPILOGUE = 2  # the CRLF clients write after the closing delimiter
FORM_FRAMING = 16 << 10  # the most the form's delimiters and part headers may take around the package
SEARCH_TAKE = 20  # Kaminari.config.default_per_page
_FILTER = re.compile(r"tolower\(Id\) eq '(.+?)'")  # the v2 Packages() $filter GitLab reads


def _base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _json(document: object, status: int = 200) -> Response:
    return Response(json.dumps(document, separators=(",", ":")), status_code=status, media_type="application/json")


# --- lookups ------------------------------------------------------------------------------------------------------


def packages_named(db: Database, project_id: int, name: str, statuses: tuple[str, ...] = ("default",)) -> list[Row]:
    """Every version of a package, its name compared without case (PackageFinder: `LOWER(name) = LOWER(?)`)."""
    wanted = name.lower()
    return [p for p in db.packages_of_type(project_id, FORMAT, statuses) if p["name"].lower() == wanted]


def find_version(db: Database, project_id: int, name: str, version: str,
                 statuses: tuple[str, ...] = ("default",)) -> Row | None:
    """The package of this name and version (the version compared without case, as GitLab's finder does with the
    normalized version)."""
    wanted = version.lower()
    return next((p for p in packages_named(db, project_id, name, statuses) if p["version"].lower() == wanted), None)


def _nupkg_of(files: list[Row], newest: bool = True) -> str | None:
    nupkgs = [f["file_name"] for f in files if str(f["file_name"]).endswith(".nupkg")]
    return (nupkgs[-1] if newest else nupkgs[0]) if nupkgs else None


def versions_of(request: Request, projects: list[Row], name: str) -> list[Version]:
    db: Database = request.app.state.db
    settings: ServerSettings = request.app.state.settings
    packages = [p for project in projects for p in packages_named(db, int(project["id"]), name)]
    files = db.files_of([int(p["id"]) for p in packages])
    versions = [Version(p, _nupkg_of(files[int(p["id"])])) for p in packages]
    if settings.has(Fault.NUGET_REGISTRATION_FIRST_ONLY):
        versions = versions[:1]
    return versions


# --- publish ------------------------------------------------------------------------------------------------------


async def _spooled(path: Path) -> AsyncIterator[bytes]:
    async with await anyio.open_file(path, "rb") as file:
        while chunk := await file.read(1 << 16):
            yield chunk


async def read_package(request: Request, source: AsyncIterator[bytes], boundary: str) -> ReceivedFile:
    """The form's `package` file, streamed into the store; 413 as soon as it is known to be over the limit."""
    store: FileStore = request.app.state.store
    limit = size_limit(request, FORMAT)
    declared = declared_size(request)
    reader = MultipartReader(source, boundary)
    received: ReceivedFile | None = None
    try:
        while (part := await reader.next_part()) is not None:
            if part.name != FIELD or part.filename is None or received is not None:
                continue  # other fields are not the API's; a second file is ignored as Grape keeps one
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


def _validated(request: Request, spec: Nuspec) -> None:
    """The package model's validations (Packages::Nuget::Package: name and version formats): 400 as
    ActiveRecord::RecordInvalid is answered."""
    settings: ServerSettings = request.app.state.settings
    name_error = None if settings.has(Fault.LOOSE_NAME_RULE) else RULES.name_error(spec.name)
    error = name_error or RULES.version_error(spec.version)
    if error:
        raise bad_request(f"Validation failed: {error}")
    if not storable(stored_file_name(spec.name, spec.version)):
        raise bad_request(f"Validation failed: {stored_file_name(spec.name, spec.version)} cannot be stored")


def _refuse_duplicate(request: Request, project: Row, package: Row | None, file_name: str) -> None:
    settings: ServerSettings = request.app.state.settings
    db: Database = request.app.state.db
    if duplicate_refused(db, project, package, file_name) and not settings.has(Fault.IGNORE_REJECT_DUPLICATES):
        raise duplicate_refusal(FORMAT)


async def create_or_update(request: Request, granted: Authorized, endpoint: Endpoint, spec: Nuspec,
                           received: ReceivedFile) -> None:
    """Packages::Nuget::CreateOrUpdatePackageService: the package (found without case, else created) and its file."""
    db: Database = request.app.state.db
    project = granted.project
    _validated(request, spec)
    existing = find_version(db, int(project["id"]), spec.name, spec.version, ("default", "processing", "error"))
    file_name = stored_file_name(spec.name, spec.version)
    _refuse_duplicate(request, project, existing, file_name)
    check_protection(request, endpoint, granted, spec.name)
    name, version = (existing["name"], existing["version"]) if existing else (spec.name, spec.version)
    async with saving_package(request, project, FORMAT, name, version, new_package_status(request)) as package:
        _refuse_duplicate(request, project, package, file_name)  # lost a race with an identical upload
        add_file(request, project, package, file_name, received)
        db.set_package_metadata(package["id"], {"authors": spec.authors, "description": spec.description})


async def temporary(request: Request, granted: Authorized, received: ReceivedFile, symbols: bool) -> BackgroundTask:
    """CreateTemporaryPackageService and Packages::Nuget::ExtractionWorker queued."""
    project = granted.project
    name = TEMPORARY_SYMBOL_PACKAGE_NAME if symbols else TEMPORARY_PACKAGE_NAME
    file_name = UPLOADED_SYMBOL_FILE_NAME if symbols else UPLOADED_FILE_NAME
    version = str(uuid.uuid4())
    async with saving_package(request, project, FORMAT, name, version,
                              new_package_status(request, "processing")) as package:
        row = add_file(request, project, package, file_name, received)
    return BackgroundTask(extract, request, granted, int(project["id"]), int(package["id"]), int(row["id"]),
                          file_name)


async def extract(request: Request, granted: Authorized, project_id: int, temp_id: int, file_id: int,
                  file_name: str) -> None:
    """Packages::Nuget::ExtractionWorker: read the .nuspec, attach a symbol package to its package; the temporary
    package is marked `error` when that fails (a package without a .nuspec always does)."""
    settings: ServerSettings = request.app.state.settings
    db: Database = request.app.state.db
    store: FileStore = request.app.state.store
    if settings.has(Fault.PROCESSING_STUCK):
        return
    project, row = db.project(project_id), db.package_file(temp_id, file_id)
    if project is None or row is None:
        return
    path = store.file_path(project_id, temp_id, file_id, file_name)
    try:
        spec = await anyio.to_thread.run_sync(read_nuspec, path)
        target = find_version(db, project_id, spec.name, spec.version)
        if file_name != UPLOADED_SYMBOL_FILE_NAME or target is None:
            raise ExtractionError("no package of the symbol package's id and version" if target is None
                                  else "a package the worker cannot read")
        received = ReceivedFile(path, int(row["size"]), row["file_md5"], row["file_sha1"], row["file_sha256"])
        async with saving_package(request, project, FORMAT, target["name"], target["version"], "default") as pkg:
            add_file(request, project, pkg, stored_file_name(spec.name, spec.version, symbols=True), received)
            db.delete_package(temp_id)
    except (ExtractionError, ApiError) as error:
        log.info("nuget package %s not processed: %s", temp_id, error)
        db.set_package_status(temp_id, "error")
        return
    await store.remove(store.package_dir(project_id, temp_id))


def api_key_as_basic(request: Request) -> None:
    """The publish and delete routes' second carrier: `accept.token_types(:personal_access_token, :deploy_token,
    :job_token).sent_through(http_header: 'X-Nuget-Apikey')` (what `nuget push -ApiKey` sends). GitLab resolves
    the header's token to the same types the Basic password resolves to, so a request with the header and no
    Authorization is read as that token over Basic (the matrix has no scheme of its own for the header)."""
    headers = list(request.scope["headers"])
    key = next((v for k, v in headers if k.lower() == API_KEY_HEADER.lower().encode()), None)
    if key is None or any(k.lower() == b"authorization" for k, _ in headers):
        return
    pair = base64.b64encode(b"nuget:" + key)
    request.scope["headers"] = [*headers, (b"authorization", b"Basic " + pair)]
    request.__dict__.pop("_headers", None)


def publishing(endpoint: Endpoint, symbols: bool = False) -> Callable[[Request], Awaitable[Response]]:
    async def publish(request: Request) -> Response:
        store: FileStore = request.app.state.store
        api_key_as_basic(request)
        spooled = await body_before_auth(request)
        received: ReceivedFile | None = None
        task: BackgroundTask | None = None
        try:
            granted = authorize(request, endpoint, Permission.CREATE_PACKAGE)
            boundary = boundary_of(request.headers.get("content-type", ""))
            if boundary is None:
                raise missing(FIELD)
            limit, size = size_limit(request, FORMAT), declared_size(request)
            if limit is not None and size is not None and over_limit(request, size - FORM_FRAMING, limit):
                raise too_large(FORMAT, limit, size)
            source = _spooled(spooled.path) if spooled is not None else request.stream()
            received = await read_package(request, source, boundary)
            if symbols:
                task = await temporary(request, granted, received, symbols=True)
            else:
                try:
                    spec = await anyio.to_thread.run_sync(read_nuspec, received.path)
                except NuspecMissing:
                    task = await temporary(request, granted, received, symbols=False)
                except ExtractionError as error:
                    raise bad_request(str(error)) from None
                else:
                    await create_or_update(request, granted, endpoint, spec, received)
        finally:
            store.discard(received)  # a no-op once the file was moved into place
            store.discard(spooled)
        count_event(request, FORMAT, Operation.PUSH, granted.principal)
        return JSONResponse({"message": "201 Created"}, status_code=201, background=task)

    return publish


# --- reads --------------------------------------------------------------------------------------------------------


async def download(request: Request) -> Response:
    settings: ServerSettings = request.app.state.settings
    db: Database = request.app.state.db
    granted = authorize(request, DOWNLOAD, Permission.READ_PACKAGE)
    project = granted.project
    params = request.path_params
    file_name = str(params["package_filename"]).lower()
    if not file_name.endswith((".nupkg", ".snupkg")):  # `format: [:nupkg, :snupkg]`
        raise not_found()
    package = find_version(db, int(project["id"]), str(params["package_name"]), str(params["package_version"]))
    if package is None:
        raise not_found("Package")
    files = [f for f in db.files_of([int(package["id"])])[int(package["id"])]
             if str(f["file_name"]).lower() == file_name]  # PackageFileFinder with_file_name_like: ILIKE
    if not files:
        raise not_found("Package")
    row = files[0] if settings.has(Fault.OLDEST_FILE_WINS) else files[-1]
    count_pull(request, FORMAT, granted.principal)
    return file_response(request, int(project["id"]), row)


async def _registration(request: Request, projects: list[Row], name: str) -> Response:
    def build(check: Check | None) -> Response:
        versions = versions_of(request, projects, name)
        if not versions:
            raise not_found("Packages")
        if check is not None:
            for v in versions:
                check(v.package)
        return _json(documents.registration_index(_base_url(request), versions))

    return await metadata_response(request, (FORMAT, "registration", name.lower()), projects,
                                   Subject(FORMAT, lambda n: n.lower() == name.lower()), build)


def _leaf(request: Request, projects: list[Row], name: str, version: str) -> Response:
    version = version.removesuffix(".json")
    found = [v for v in versions_of(request, projects, name) if v.package["version"].lower() == version.lower()]
    if not found:
        raise not_found("Package")
    return _json(documents.leaf(_base_url(request), found[0]))


async def registration(request: Request) -> Response:
    project = authorize(request, METADATA, Permission.READ_PACKAGE).project
    return await _registration(request, [project], str(request.path_params["package_name"]))


async def registration_leaf(request: Request) -> Response:
    project = authorize(request, METADATA_VERSION, Permission.READ_PACKAGE).project
    return _leaf(request, [project], str(request.path_params["package_name"]),
                 str(request.path_params["package_version"]))


async def download_versions(request: Request) -> Response:
    project = authorize(request, VERSIONS, Permission.READ_PACKAGE).project
    versions = versions_of(request, [project], str(request.path_params["package_name"]))
    if not versions:
        raise not_found("Packages")
    return _json(documents.versions_document(versions))


def _search(request: Request, projects: list[Row]) -> Response:
    """Packages::Nuget::SearchService: names containing `q` (without case), prerelease versions unless
    `prerelease=false`, `skip` and `take` counted in package names; totalHits is the number of names."""
    db: Database = request.app.state.db
    query = request.query_params
    term = (query.get("q") or "").lower()
    try:
        skip, take = int(query.get("skip") or 0), int(query.get("take") or SEARCH_TAKE)
    except ValueError:
        raise bad_request("skip and take are integers") from None
    if skip < 0 or take < 1:
        raise bad_request("skip is a non-negative integer, take a positive one")
    prerelease = (query.get("prerelease") or "true").lower() != "false"
    grouped: dict[str, list[Row]] = {}
    for project in projects:
        for package in db.packages_of_type(int(project["id"]), FORMAT):
            if term in package["name"].lower() and (prerelease or "-" not in package["version"].split("+")[0]):
                grouped.setdefault(package["name"], []).append(package)
    names = sorted(grouped)
    page = [(n, grouped[n]) for n in names[skip:skip + take]]
    return _json(documents.search_results(_base_url(request), len(names), page))


async def search(request: Request) -> Response:
    project = authorize(request, QUERY, Permission.READ_PACKAGE).project
    return _search(request, [project])


async def delete(request: Request) -> Response:
    db: Database = request.app.state.db
    api_key_as_basic(request)
    granted = authorize(request, DELETE, Permission.DESTROY_PACKAGE)
    params = request.path_params
    name, version = str(params["package_name"]), str(params["package_version"])
    if RULES.name_error(name) or RULES.version_error(version):
        raise bad_request("package_name or package_version is invalid")
    package = find_version(db, int(granted.project["id"]), name, version)
    if package is None:
        raise not_found("Package")
    db.delete_package(int(package["id"]))  # MarkPackageForDestructionService: gone from every finder
    return Response(status_code=204)


# --- group level --------------------------------------------------------------------------------------------------


def _group_projects(request: Request, endpoint: Endpoint) -> list[Row]:
    db: Database = request.app.state.db
    group = db.group_by_ref(str(request.path_params["group_id"]))
    return group_access(request, endpoint, group).projects


async def group_registration(request: Request) -> Response:
    projects = _group_projects(request, GROUP_METADATA)
    return await _registration(request, projects, str(request.path_params["package_name"]))


async def group_registration_leaf(request: Request) -> Response:
    projects = _group_projects(request, GROUP_METADATA_VERSION)
    return _leaf(request, projects, str(request.path_params["package_name"]),
                 str(request.path_params["package_version"]))


async def group_search(request: Request) -> Response:
    return _search(request, _group_projects(request, GROUP_QUERY))


# --- public: service indexes and the v2 feed's queries -------------------------------------------------------------


def _project_or_404(request: Request) -> Row:
    """`find_project(params[:id]).presence || not_found!`: any existing project, no authentication."""
    db: Database = request.app.state.db
    project = db.project_by_ref(str(request.path_params["project_id"]))
    if project is None:
        raise not_found("Project")
    return project


async def service_index(request: Request) -> Response:
    project = _project_or_404(request)
    return _json(documents.service_index(documents.project_base(_base_url(request), project["id"])))


async def group_service_index(request: Request) -> Response:
    db: Database = request.app.state.db
    group = db.group_by_ref(str(request.path_params["group_id"]))
    if group is None:
        raise not_found("Group")
    return _json(documents.service_index(documents.group_base(_base_url(request), group["id"])))


def _xml(text: str) -> Response:
    return Response(text, media_type="application/xml; charset=utf-8")


async def v2_service_index(request: Request) -> Response:
    project = _project_or_404(request)
    return _xml(documents.v2_service_index(documents.project_base(_base_url(request), project["id"])))


async def v2_metadata(request: Request) -> Response:
    _project_or_404(request)
    return _xml(documents.V2_METADATA)


def _odata(request: Request, name: str | None, version: str | None) -> Response:
    """OdataPackageEntryService: one Atom entry built from the parameters alone (no package is looked up): the
    version asked for or `0.0.0-latest-version`, and a content URL `v2/download/<name>/<version or latest>` on the
    v2 feed, a route lib/api/nuget_project_packages.rb does not serve (its TODO: "use path helper when download
    endpoint is merged"): a v2 client finds the entry and cannot download it."""
    project = _project_or_404(request)
    if not name or RULES.name_error(name) or (version is not None and RULES.version_error(version)):
        raise bad_request("package_name is invalid")
    base = documents.project_base(_base_url(request), project["id"])
    shown = version or documents.LATEST_VERSION_PLACEHOLDER
    download = f"{base}/v2/download/{name}/{version or 'latest'}"
    return _xml(documents.v2_entry(base, name, shown, download))


async def v2_find_by_id(request: Request) -> Response:
    return _odata(request, (request.query_params.get("id") or "").replace("'", ""), None)


async def v2_packages(request: Request) -> Response:
    match = _FILTER.search(request.query_params.get("$filter") or "")
    return _odata(request, match.group(1) if match else None, None)


async def v2_package(request: Request) -> Response:
    return _odata(request, str(request.path_params["package_name"]), str(request.path_params["package_version"]))


ROUTES = [
    Route(SERVICE_INDEX_PATH, service_index, methods=["GET"]),
    Route(V2_SERVICE_INDEX_PATH, v2_service_index, methods=["GET"]),
    Route(V2_METADATA_PATH, v2_metadata, methods=["GET"]),
    Route(V2_FIND_BY_ID_PATH, v2_find_by_id, methods=["GET"]),
    Route(V2_PACKAGES_PATH, v2_packages, methods=["GET"]),
    Route(V2_PACKAGE_PATH, v2_package, methods=["GET"]),
    # Each publish also with a trailing slash, as Grape routes it: GitLab's curl guide PUTs `.../packages/nuget/`
    # and nuget.exe 2.x PUTs `<source>/` (NuGet.PackageServer).
    *(Route(path, publishing(endpoint, symbols=endpoint is SYMBOL_PUBLISH), methods=["PUT"])
      for endpoint in (PUBLISH, SYMBOL_PUBLISH, V2_PUBLISH) for path in (endpoint.path, endpoint.path + "/")),
    Route(VERSIONS.path, download_versions, methods=["GET"]),
    Route(DOWNLOAD.path, download, methods=["GET", "HEAD"]),
    Route(METADATA.path, registration, methods=["GET"]),
    Route(METADATA_VERSION.path, registration_leaf, methods=["GET"]),
    Route(QUERY.path, search, methods=["GET"]),
    Route(DELETE.path, delete, methods=["DELETE"]),
    Route(GROUP_SERVICE_INDEX_PATH, group_service_index, methods=["GET"]),
    Route(GROUP_METADATA.path, group_registration, methods=["GET"]),
    Route(GROUP_METADATA_VERSION.path, group_registration_leaf, methods=["GET"]),
    Route(GROUP_QUERY.path, group_search, methods=["GET"]),
]
