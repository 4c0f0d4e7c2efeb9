"""The Maven API (GitLab's lib/api/maven_packages.rb): upload at the project level, download at the project, group
and instance level.

Uploads. Every file of `mvn deploy` is a PUT: the jar, the pom, maven-metadata.xml, and a checksum file after each.
A checksum is never stored: its PUT is answered by verifying it against the stored file (GitLab verifies `.sha1`:
204 when it matches, 409 when not, and answers `.md5` with 200 without looking; the reference server verifies
`.sha256` and `.sha512` like `.sha1`, where GitLab would store them as plain files). The package is created by
its first file. Every refusal (auth, path rules, declared size, duplicates) comes before the body is read. A
duplicate is, as in GitLab's FindOrCreatePackageService, a file whose extension the version already has (a second
`.jar`); maven-metadata.xml and checksums never are. Pushes and pulls are counted for jars only, as GitLab does.
An uploaded artifact-level maven-metadata.xml goes, as in GitLab, into a versionless package (version '' here, nil
in GitLab), where checksum uploads are verified against it.

Downloads. Checksums are answered from the stored digests (sha512 computed on request); files carry
`X-Checksum-SHA1` and `X-Checksum-MD5`. The artifact-level maven-metadata.xml is built from the versions (see
files.py). The group level serves the newest package of the path among the group's projects
the caller may read; the instance level finds the project whose full path is the package name, as GitLab does.

Faults: maven_deploy_token_refused (the endpoints stop accepting deploy tokens: 401), duplicate_race (concurrent
uploads to a new version race to create it: one answers 500), and the cross-format ones (read_body_before_auth,
no_size_limit, ignore_reject_duplicates, oldest_file_wins, corrupt_download, loose_name_rule, at_limit_refused,
processing_stuck; anonymous_404 lives in access.py).
"""

from dataclasses import replace
from pathlib import PurePosixPath
from urllib.parse import unquote

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from core.faults import Fault
from core.format_types import Endpoint
from core.vocabulary import Operation, Permission, TokenKind
from formats.maven import (
    DOWNLOAD,
    FORWARDING,
    GROUP_DOWNLOAD,
    INSTANCE_DOWNLOAD,
    METADATA_FILE,
    SNAPSHOT,
    UPLOAD,
    VERIFIED_CHECKSUMS,
    VERIFY_CHECKSUM,
    FileRef,
    forward_url,
    parse_path,
    split_checksum,
)
from reference_server.access import (
    authenticate_for,
    authorize,
    authorize_on,
    check_protection,
    group_access,
    group_refusal,
)
from reference_server.auth import Principal
from reference_server.db import Database, Row, installable
from reference_server.duplicates import duplicate_refusal, duplicates_refused
from reference_server.errors import ApiError, bad_request, not_found, refused
from reference_server.formats.maven.files import FORMAT, VERSIONLESS, find_file, serve, stored_checksum, stored_version
from reference_server.forwarding import forwarded
from reference_server.metrics import count_event
from reference_server.package_files import add_file, new_package_status, saving_package
from reference_server.settings import ServerSettings
from reference_server.storage import FileStore, ReceivedFile
from reference_server.transfers import body_before_auth, receive_body, refuse_oversized

DEPLOY_KINDS = frozenset({TokenKind.PROJECT_DEPLOY_TOKEN, TokenKind.GROUP_DEPLOY_TOKEN})
CHECKSUM_BODY_LIMIT = 1024  # a checksum file is one hex digest (sha512: 128 characters)


def effective(request: Request, endpoint: Endpoint) -> Endpoint:
    """The endpoint as this server accepts it: under maven_deploy_token_refused, without deploy tokens."""
    settings: ServerSettings = request.app.state.settings
    if settings.has(Fault.MAVEN_DEPLOY_TOKEN_REFUSED):
        return replace(endpoint, auth=replace(endpoint.auth, deploy_token=False))
    return endpoint


def loose_ref(full_path: str) -> FileRef | None:
    """The loose_name_rule fault's parse: the path's version and file name are checked by `parse_path` on a stand-in
    with a valid groupId and artifactId (`g/a`, the file name's `<artifactId>-` prefix as `a-`), and the real package
    name is kept unchecked. None when the path has no groupId and artifactId to take; ValueError when the version or
    the file name breaks its rule."""
    path, _, file_name = full_path.rpartition("/")
    base, _ = split_checksum(file_name)
    versionless = base == METADATA_FILE and not path.endswith(SNAPSHOT)
    package_name, _, version = (path, "", "") if versionless else path.rpartition("/")
    group_path, _, artifact_id = package_name.rpartition("/")
    if not group_path or not artifact_id:
        return None
    stand_in_file = "a-" + file_name[len(artifact_id) + 1:] if file_name.startswith(artifact_id + "-") else file_name
    stand_in = parse_path("/".join(["g/a", *([] if versionless else [version]), stand_in_file]))
    return FileRef(package_name, stand_in.version, base, stand_in.checksum)


def file_ref(request: Request) -> FileRef:
    """What the path names, or 400 naming the rule broken; under the loose_name_rule fault the groupId and
    artifactId are taken as they are (see `loose_ref`)."""
    settings: ServerSettings = request.app.state.settings
    full_path = request.path_params["path"]
    try:
        return parse_path(full_path)
    except ValueError as error:
        if not settings.has(Fault.LOOSE_NAME_RULE):
            raise bad_request(str(error)) from None
        try:
            loose = loose_ref(full_path)
        except ValueError as loose_error:
            raise bad_request(str(loose_error)) from None
        if loose is None:
            raise bad_request(str(error)) from None
        return loose


def is_duplicate(db: Database, project: Row, package: Row | None, ref: FileRef) -> bool:
    """True when the group's setting refuses duplicates and the version already has a file of this extension."""
    if package is None or ref.version is None or ref.is_metadata or ref.checksum:
        return False
    if not duplicates_refused(db, project, FORMAT, package["name"], package["version"]):
        return False
    _, files = db.package_files(package["id"], limit=1 << 30, offset=0)
    return any(f["file_name"] != METADATA_FILE and PurePosixPath(f["file_name"]).suffix == ref.extension
               for f in files)


async def read_checksum(request: Request, received: ReceivedFile | None) -> str:
    """The hex digest a checksum upload carries (its first word, lower-cased)."""
    if received is not None:
        data = received.path.read_bytes()[: CHECKSUM_BODY_LIMIT + 1]
    else:
        data = b""
        async for chunk in request.stream():
            data += chunk
            if len(data) > CHECKSUM_BODY_LIMIT:
                break
    if len(data) > CHECKSUM_BODY_LIMIT:
        raise bad_request(f"a checksum file holds one hex digest, at most {CHECKSUM_BODY_LIMIT} bytes")
    words = data.decode("ascii", "replace").split()
    return words[0].lower() if words else ""


async def verify_checksum(request: Request, project: Row, ref: FileRef, received: ReceivedFile | None) -> Response:
    db: Database = request.app.state.db
    store: FileStore = request.app.state.store
    sent = await read_checksum(request, received)
    if ref.checksum not in VERIFIED_CHECKSUMS:  # md5: GitLab answers `''` without looking (FIPS keeps no md5)
        return Response(status_code=UPLOAD.success_status)
    row = find_file(db, project, ref)
    if row is None:
        raise not_found("Package file")
    if sent != await stored_checksum(store, project, row, str(ref.checksum)):
        raise refused(409, f"the {ref.checksum} checksum sent does not match the stored {ref.file_name}")
    return Response(status_code=VERIFY_CHECKSUM.success_status)


def maven_metadatum(ref: FileRef) -> dict[str, str | None]:
    """What GitLab keeps in packages_maven_metadata."""
    path = ref.package_name if ref.version is None else f"{ref.package_name}/{ref.version}"
    return {"app_group": ref.group_id, "app_name": ref.artifact_id, "app_version": ref.version, "path": path}


async def save(request: Request, project: Row, ref: FileRef, received: ReceivedFile) -> Row:
    """Record the package (created if new) and the file, and move the upload into place, in one transaction."""
    settings: ServerSettings = request.app.state.settings
    db: Database = request.app.state.db
    version = stored_version(ref)
    # A version's package waits for processing under processing_stuck; the versionless one (the uploaded
    # artifact-level maven-metadata.xml, never served as stored) is not a version to install.
    status = "default" if version == VERSIONLESS else new_package_status(request)
    async with saving_package(request, project, FORMAT, ref.package_name, version, status) as package:
        if is_duplicate(db, project, package, ref) and not settings.has(Fault.IGNORE_REJECT_DUPLICATES):
            raise duplicate_refusal(FORMAT)  # lost a race with an identical upload
        db.set_package_metadata(package["id"], maven_metadatum(ref))
        return add_file(request, project, package, ref.file_name, received)


def file_json(row: Row) -> dict[str, object]:
    keys = ("id", "package_id", "file_name", "size", "file_md5", "file_sha1", "file_sha256", "created_at",
            "updated_at")
    return {key: row[key] for key in keys}


async def upload(request: Request) -> Response:
    settings: ServerSettings = request.app.state.settings
    db: Database = request.app.state.db
    store: FileStore = request.app.state.store
    received = await body_before_auth(request)
    try:
        granted = authorize(request, effective(request, UPLOAD), Permission.CREATE_PACKAGE)
        project = granted.project
        ref = file_ref(request)
        check_protection(request, UPLOAD, granted, ref.package_name)
        limit = refuse_oversized(request, FORMAT, received)
        if ref.checksum:
            return await verify_checksum(request, project, ref, received)
        package = db.find_package(project["id"], FORMAT, ref.package_name, stored_version(ref))
        if is_duplicate(db, project, package, ref) and not settings.has(Fault.IGNORE_REJECT_DUPLICATES):
            raise duplicate_refusal(FORMAT)
        if received is None:
            received = await receive_body(request, FORMAT, limit)
        row = await save(request, project, ref, received)
    finally:
        store.discard(received)  # a no-op once the file was moved into place
    if ref.extension == ".jar":  # GitLab counts pushes of jars only
        count_event(request, FORMAT, Operation.PUSH, granted.principal)
    return JSONResponse(file_json(row), status_code=UPLOAD.success_status)


def forward_missing(request: Request, namespace_id: int, missing: ApiError) -> Response:
    """A file the registry does not have, once the caller may read (GitLab's `find_and_present_package_file`):
    Maven Central's when the group (`namespace_id`) forwards Maven requests, else the route's 404."""
    path, _, file_name = request.path_params["path"].rpartition("/")
    redirect = forwarded(request, FORWARDING, namespace_id, FORMAT, forward_url(path, file_name))
    if redirect is None:
        raise missing
    return redirect


async def serve_or_forward(request: Request, project: Row, ref: FileRef, principal: Principal | None,
                           namespace_id: int) -> Response:
    try:
        return await serve(request, project, ref, principal)
    except ApiError as error:
        if error.status != 404:
            raise
        return forward_missing(request, namespace_id, error)


async def download(request: Request) -> Response:
    granted = authorize(request, effective(request, DOWNLOAD), Permission.READ_PACKAGE)
    return await serve_or_forward(request, granted.project, file_ref(request), granted.principal,
                                  granted.project["namespace_id"])


def _newest_holder(db: Database, projects: list[Row], ref: FileRef) -> Row | None:
    """The project holding the newest package of this path (GitLab's PackageFinder `.last` over a group)."""
    newest: tuple[int, Row] | None = None
    for project in projects:
        if ref.version is None:
            ids = [p["id"] for p in db.packages_named(project["id"], FORMAT, ref.package_name) if p["version"]]
        else:
            package = db.find_package(project["id"], FORMAT, ref.package_name, ref.version)
            ids = [package["id"]] if package is not None and installable(package) else []
        if ids and (newest is None or max(ids) > newest[0]):
            newest = (max(ids), project)
    return newest[1] if newest else None


async def group_download(request: Request) -> Response:
    db: Database = request.app.state.db
    endpoint = effective(request, GROUP_DOWNLOAD)
    access = group_access(request, endpoint, db.group_by_ref(unquote(request.path_params["group_id"])))
    if not access.projects:
        raise group_refusal(request, endpoint, access.caller)
    ref = file_ref(request)
    holder = _newest_holder(db, access.projects, ref)
    if holder is None:
        return forward_missing(request, access.group["id"], not_found("Package"))
    return await serve_or_forward(request, holder, ref, access.principal, access.group["id"])


async def instance_download(request: Request) -> Response:
    db: Database = request.app.state.db
    endpoint = effective(request, INSTANCE_DOWNLOAD)
    principal = authenticate_for(request, endpoint)
    ref = file_ref(request)
    project = db.project_by_ref(ref.package_name)  # GitLab: the project's full path is the package's name
    granted = authorize_on(request, endpoint, Permission.READ_PACKAGE, project, principal)
    return await serve(request, granted.project, ref, granted.principal)


ROUTES = [
    Route(UPLOAD.path, upload, methods=[UPLOAD.method]),
    Route(DOWNLOAD.path, download, methods=[DOWNLOAD.method]),
    Route(GROUP_DOWNLOAD.path, group_download, methods=[GROUP_DOWNLOAD.method]),
    Route(INSTANCE_DOWNLOAD.path, instance_download, methods=[INSTANCE_DOWNLOAD.method]),
]
