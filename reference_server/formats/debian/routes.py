"""The reference server's Debian API: distributions, upload, indexes and pool downloads, per project.

Distributions (lib/api/concerns/packages/debian_distribution_endpoints.rb): created with `POST
/projects/:id/debian_distributions` (codename, components, architectures; 400 when the codename is taken), read back
with its public key at `.../:codename/key.asc`.

An upload is taken as GitLab takes it (lib/api/debian_project_packages.rb): authorized, `distribution`, `component`
and the file name checked as Grape's params do, the size limit applied on the declared length (Workhorse's
MaximumSize), the body stored in a temporary package (`debian-temporary-package`, status `processing`), answered
201, and then, in a background task (Packages::Debian::ProcessPackageFileWorker), the .deb's control file read, the
name and version validated, the distribution found (the file is added to the package of that name and version in
that distribution, created if new; the same name and version in another distribution is an error), and the
temporary package removed; any failure marks it `error`. A file without `distribution` (a `.changes` upload's
parts) waits in the project's `incoming` package.

Faults handled here: `debian_index_stale` (the indexes are those generated when the distribution was created),
the shared
`processing_stuck`, `loose_name_rule`, `oldest_file_wins`, `no_size_limit`, `at_limit_refused`,
`read_body_before_auth`, `corrupt_download`, `protection_rules_ignored` (through the shared helpers).
"""

import logging
import uuid

import anyio.to_thread
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from core.faults import Fault
from core.vocabulary import Operation, Permission
from formats.debian import (
    ARCHITECTURE_REGEX,
    ARCHITECTURES,
    COMPONENT_REGEX,
    CREATE_DISTRIBUTION,
    DEFAULT_COMPONENT,
    DIRECT_UPLOAD_MESSAGE,
    DIRECT_UPLOAD_REGEX,
    DISTRIBUTION_KEY,
    DISTRIBUTION_REGEX,
    DOWNLOAD,
    FORMAT,
    IN_RELEASE,
    LETTER_REGEX,
    PACKAGES_INDEX,
    RELEASE,
    RULES,
    TEMPORARY_PACKAGE_NAME,
    TEMPORARY_VERSION_PREFIX,
    UPLOAD,
)
from reference_server.access import Authorized, authorize, check_protection
from reference_server.db import Database, Row
from reference_server.downloads import count_pull, file_response, served_file
from reference_server.errors import ApiError, not_found
from reference_server.formats.debian.deb import DebError, control_fields
from reference_server.formats.debian.index import (
    Distribution,
    distribution_files,
    packages_document,
    release_document,
    state,
)
from reference_server.formats.debian.signing import SigningError
from reference_server.metadata_cache import Check, Subject, metadata_response
from reference_server.metrics import count_event
from reference_server.package_files import add_file, new_package_status, saving_package
from reference_server.settings import ServerSettings
from reference_server.storage import FileStore, ReceivedFile, storable
from reference_server.transfers import body_before_auth, receive_body, refuse_oversized

log = logging.getLogger(__name__)
INCOMING_PACKAGE_NAME = "incoming"  # Packages::Debian::INCOMING_PACKAGE_NAME (FindOrCreateIncomingService: no version)
TEXT = "text/plain; charset=utf-8"


class ProcessingError(Exception):
    pass


def invalid(param: str, message: str | None = None) -> ApiError:
    """Grape's answer to a parameter that fails its `regexp:` (or its own message)."""
    text = f"{param} {message}" if message else f"{param} is invalid"
    return ApiError(400, text, body={"error": text})


def _container(project: Row) -> tuple[str, int]:
    return ("project", int(project["id"]))


def _distribution_of(request: Request, project: Row, codename: str) -> Distribution:
    if not DISTRIBUTION_REGEX.fullmatch(codename):
        raise invalid("distribution")
    found = state(request).find(_container(project), codename)
    if found is None:
        raise not_found()  # DistributionsFinder(...).last! → 404 Not found
    return found


# --- distributions --------------------------------------------------------------------------------------------


def _list_param(request: Request, name: str, default: tuple[str, ...]) -> list[str]:
    values = request.query_params.getlist(name) or request.query_params.getlist(name + "[]")
    items = [item for value in values for item in value.split(",") if item]
    return items or list(default)


async def create_distribution(request: Request) -> Response:
    granted = authorize(request, CREATE_DISTRIBUTION, Permission.CREATE_PACKAGE)
    form = await request.form() if "form" in request.headers.get("content-type", "") else {}
    codename = str(request.query_params.get("codename") or form.get("codename") or "")
    if not codename:
        raise ApiError(400, "codename is missing", body={"error": "codename is missing"})
    if not DISTRIBUTION_REGEX.fullmatch(codename):
        raise invalid("codename")
    components = _list_param(request, "components", (DEFAULT_COMPONENT,))
    architectures = _list_param(request, "architectures", ARCHITECTURES)
    if not all(COMPONENT_REGEX.fullmatch(c) for c in components):
        raise invalid("components")
    if not all(ARCHITECTURE_REGEX.fullmatch(a) for a in architectures):
        raise invalid("architectures")
    if "all" not in architectures:  # CreateDistributionService always adds `all`
        architectures = ["all", *architectures]
    suite = request.query_params.get("suite")
    created = state(request).create(_container(granted.project), codename, components, architectures, suite)
    if created is None:  # render_validation_error!: the model's uniqueness validation
        raise ApiError(400, "Codename has already been taken",
                       body={"message": {"codename": ["has already been taken"]}})
    return JSONResponse(created.entity(), status_code=201)


async def distribution_key(request: Request) -> Response:
    granted = authorize(request, DISTRIBUTION_KEY, Permission.READ_PACKAGE)
    codename = str(request.path_params["codename"])
    found = state(request).find(_container(granted.project), codename)
    if found is None:
        raise not_found("Distribution")
    try:
        key = await anyio.to_thread.run_sync(lambda: state(request).keyring.public_key(state(request).key_of(found)))
    except SigningError as error:
        log.warning("no key for distribution %s: %s", codename, error)
        raise not_found("Distribution key") from None
    return Response(key, media_type="text/plain",
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{codename}.asc"})


# --- upload and processing ------------------------------------------------------------------------------------


def _upload_params(request: Request) -> tuple[str, str | None, str | None]:
    file_name = str(request.path_params["file_name"])
    distribution = request.query_params.get("distribution")
    component = request.query_params.get("component")
    if distribution is not None:
        if not DISTRIBUTION_REGEX.fullmatch(distribution):
            raise invalid("distribution")
        if component is None:
            raise ApiError(400, "component is missing", body={"error": "component is missing"})
        if not COMPONENT_REGEX.fullmatch(component):
            raise invalid("component")
        if not DIRECT_UPLOAD_REGEX.fullmatch(file_name):
            raise invalid("file_name", DIRECT_UPLOAD_MESSAGE)
    return file_name, distribution, component


async def upload(request: Request) -> Response:
    store: FileStore = request.app.state.store
    received: ReceivedFile | None = await body_before_auth(request)
    try:
        granted = authorize(request, UPLOAD, Permission.CREATE_PACKAGE)
        project = granted.project
        file_name, distribution, component = _upload_params(request)
        limit = refuse_oversized(request, FORMAT, received)
        if received is None:
            received = await receive_body(request, FORMAT, limit)
        if distribution is None and not file_name.endswith(".changes"):
            async with saving_package(request, project, FORMAT, INCOMING_PACKAGE_NAME, "", "default") as package:
                add_file(request, project, package, file_name, received)
            count_event(request, FORMAT, Operation.PUSH, granted.principal)
            return JSONResponse({"message": "201 Created"}, status_code=201)
        version = TEMPORARY_VERSION_PREFIX + str(uuid.uuid4())
        async with saving_package(request, project, FORMAT, TEMPORARY_PACKAGE_NAME, version,
                                  new_package_status(request, "processing")) as package:
            row = add_file(request, project, package, file_name, received)
    finally:
        store.discard(received)  # a no-op once the file was moved into place
    count_event(request, FORMAT, Operation.PUSH, granted.principal)
    if distribution is None:  # a .changes: ProcessChangesWorker is not implemented here, the package stays
        return JSONResponse({"message": "201 Created"}, status_code=201)
    task = BackgroundTask(process, request, granted, int(project["id"]), int(package["id"]), int(row["id"]),
                          distribution, component or DEFAULT_COMPONENT)
    return JSONResponse({"message": "201 Created"}, status_code=201, background=task)


def _name_version(request: Request, fields: dict[str, str]) -> tuple[str, str]:
    """ProcessPackageFileService#package_name_and_version: Package and Version, or the Source field's
    ("sample" or "sample (1.2.3~alpha2)"); validated as Packages::Debian::Package validates them."""
    settings: ServerSettings = request.app.state.settings
    name, version = fields["Package"], fields["Version"]
    if fields.get("Source"):
        parts = [p for p in fields["Source"].replace("(", " ").replace(")", " ").split(" ") if p]
        name = parts[0]
        version = parts[1] if len(parts) > 1 else version
    name_error = None if settings.has(Fault.LOOSE_NAME_RULE) else RULES.name_error(name)
    error = name_error or RULES.version_error(version)
    if error:
        raise ProcessingError(f"Validation failed: {error}")
    return name, version


async def process(request: Request, granted: Authorized, project_id: int, temp_id: int, file_id: int,
                  codename: str, component: str) -> None:
    """Packages::Debian::ProcessPackageFileWorker: read the .deb, move its file to its package, or mark the upload
    `error`."""
    settings: ServerSettings = request.app.state.settings
    db: Database = request.app.state.db
    store: FileStore = request.app.state.store
    if settings.has(Fault.PROCESSING_STUCK):
        return  # the worker never runs: the temporary package stays `processing`
    project, row = db.project(project_id), db.package_file(temp_id, file_id)
    if project is None or row is None:
        return  # deleted meanwhile
    file_name = str(row["file_name"])
    path = store.file_path(project_id, temp_id, file_id, file_name)
    try:
        distribution = state(request).find(("project", project_id), codename)
        if distribution is None:
            raise ProcessingError(f"Couldn't find Packages::Debian::ProjectDistribution {codename}")
        fields = await anyio.to_thread.run_sync(control_fields, path)
        name, version = _name_version(request, fields)
        check_protection(request, UPLOAD, granted, name)
        if not storable(file_name):
            raise ProcessingError(f"{file_name} cannot be stored")
        existing = db.find_package(project_id, FORMAT, name, version)
        if existing is not None:
            other = (db.package_metadata(int(existing["id"])) or {}).get("distribution")
            if other not in (None, distribution.codename):
                raise ProcessingError(f"Debian package {name} {version} exists in distribution {other}")
        received = ReceivedFile(path, int(row["size"]), row["file_md5"], row["file_sha1"], row["file_sha256"])
        async with saving_package(request, project, FORMAT, name, version, "default") as package:
            db.set_package_status(package["id"], "default")
            moved = add_file(request, project, package, file_name, received)
            data = db.package_metadata(package["id"]) or {}
            data["distribution"] = distribution.codename
            data.setdefault("files", {})[str(moved["id"])] = {
                "component": component, "architecture": fields["Architecture"], "fields": fields}
            db.set_package_metadata(package["id"], data)
            db.delete_package(temp_id)
    except (DebError, ProcessingError, ApiError) as error:
        log.info("debian file of package %s not processed: %s", temp_id, error)
        db.set_package_status(temp_id, "error")
        return
    await store.remove(store.package_dir(project_id, temp_id))


# --- indexes ----------------------------------------------------------------------------------------------------


def _index_documents(request: Request, project: Row, distribution: Distribution,
                     check: Check | None = None) -> tuple[bytes, dict[tuple[str, str], bytes]]:
    settings: ServerSettings = request.app.state.settings
    db: Database = request.app.state.db
    files = distribution_files(db, int(project["id"]), distribution.codename)
    if settings.has(Fault.DEBIAN_INDEX_STALE):
        files = [f for f in files if str(f.row["created_at"]) <= distribution.created_at]  # as generated at creation
    if check is not None:
        for f in files:
            check(f.package)
    index = {}
    for component in distribution.components:
        for architecture in distribution.architectures:
            index[(component, architecture)] = packages_document(distribution.codename, files, component, architecture)
    return release_document(distribution, files, index), index


async def release(request: Request) -> Response:
    granted = authorize(request, RELEASE, Permission.READ_PACKAGE)
    distribution = _distribution_of(request, granted.project, str(request.path_params["distribution"]))

    def build(check: Check | None) -> Response:
        document, _ = _index_documents(request, granted.project, distribution, check)
        return Response(document, media_type=TEXT)

    return await metadata_response(request, (FORMAT, "Release", distribution.id), [granted.project], Subject(FORMAT),
                                   build)


async def signed_release(request: Request) -> Response:
    """InRelease (clear-signed) or Release.gpg (the detached signature), with the distribution's key."""
    endpoint = IN_RELEASE if request.url.path.endswith("/InRelease") else RELEASE
    granted = authorize(request, endpoint, Permission.READ_PACKAGE)
    distribution = _distribution_of(request, granted.project, str(request.path_params["distribution"]))
    document, _ = _index_documents(request, granted.project, distribution)
    debian = state(request)
    clear = endpoint is IN_RELEASE
    try:
        signed = await anyio.to_thread.run_sync(
            lambda: debian.keyring.sign(debian.key_of(distribution), document, clear))
    except SigningError as error:
        log.warning("distribution %s not signed: %s", distribution.codename, error)
        raise not_found() from None
    return Response(signed, media_type=TEXT)


async def packages_index(request: Request) -> Response:
    granted = authorize(request, PACKAGES_INDEX, Permission.READ_PACKAGE)
    distribution = _distribution_of(request, granted.project, str(request.path_params["distribution"]))
    component, architecture = str(request.path_params["component"]), str(request.path_params["architecture"])
    if not COMPONENT_REGEX.fullmatch(component):
        raise invalid("component")
    if not ARCHITECTURE_REGEX.fullmatch(architecture):
        raise invalid("architecture")

    def build(check: Check | None) -> Response:
        _, index = _index_documents(request, granted.project, distribution, check)
        document = index.get((component, architecture), b"")
        if not document:  # present_index_file!: empty component files are not persisted: no_content!
            return Response(status_code=204)
        return Response(document, media_type=TEXT)

    return await metadata_response(request, (FORMAT, "Packages", distribution.id, component, architecture),
                                   [granted.project], Subject(FORMAT), build)


async def download(request: Request) -> Response:
    db: Database = request.app.state.db
    granted = authorize(request, DOWNLOAD, Permission.READ_PACKAGE)
    project = granted.project
    params = request.path_params
    distribution = _distribution_of(request, project, str(params["distribution"]))
    name, letter = str(params["package_name"]), str(params["letter"])
    if not LETTER_REGEX.fullmatch(letter) or not name.startswith(letter):
        raise not_found()  # present_distribution_package_file!: `not_found! unless package_name.start_with?(letter)`
    if RULES.name_error(name) or RULES.version_error(str(params["package_version"])):
        raise invalid("package_name" if RULES.name_error(name) else "package_version")
    package = db.find_package(int(project["id"]), FORMAT, name, str(params["package_version"]))
    if package is not None and (db.package_metadata(int(package["id"])) or {}).get("distribution") \
            != distribution.codename:
        package = None
    found = served_file(request, package, str(params["file_name"]))
    if found is None:
        raise not_found()
    count_pull(request, FORMAT, granted.principal)
    return file_response(request, int(project["id"]), found)


_DISTS = "/api/v4/projects/{project_id}/packages/debian/dists/{distribution}"
ROUTES = [
    Route(CREATE_DISTRIBUTION.path, create_distribution, methods=["POST"]),
    Route(DISTRIBUTION_KEY.path, distribution_key, methods=["GET"]),
    Route(_DISTS + "/Release", release, methods=["GET"]),
    Route(_DISTS + "/InRelease", signed_release, methods=["GET"]),
    Route(_DISTS + "/Release.gpg", signed_release, methods=["GET"]),
    Route(_DISTS + "/{component}/binary-{architecture}/Packages", packages_index, methods=["GET"]),
    Route(DOWNLOAD.path, download, methods=["GET", "HEAD"]),
    Route(UPLOAD.path, upload, methods=["PUT"]),
]
