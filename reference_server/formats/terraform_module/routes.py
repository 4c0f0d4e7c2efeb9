"""The reference server's Terraform module registry: service discovery, the project-level upload and download, and
the registry protocol's namespace-level versions, download location and archive, as GitLab has them.

- `GET /.well-known/terraform.json` (Terraform::ServicesController): `{"modules.v1": "/api/v4/packages/terraform/
  modules/v1/"}`, to anyone.
- `PUT /api/v4/projects/:id/packages/terraform/modules/:name/:system/:version/file`
  (lib/api/terraform/modules/v1/project_packages.rb): authorized (tokens in their own headers), the version checked
  against semver_regex (400), the size limit on the declared length (Workhorse's MaximumSize: 413), then
  Packages::TerraformModule::CreatePackageService: 403 when another project of the top-level namespace has the name
  (unless the namespace settings allow it), 403 when the project has the version, 422 for a name the model refuses;
  the package is created `default` with `<name>-<system>-<version>.tgz`, and 201.
- `GET /api/v4/projects/:id/packages/terraform/modules/:name/:system/:version` (Basic): the archive, or with
  `terraform-get=1` a 204 whose X-Terraform-Get is the same URL with `archive=tgz`.
- `GET /api/v4/packages/terraform/modules/v1/:namespace/:name/:system/versions`, `.../:version/download` and
  `.../:version/file` (lib/api/terraform/modules/v1/namespace_packages.rb, Bearer): the namespace is the top-level
  group, found by path; its packages of the name that the caller may read (GroupPackagesFinder); with none, the
  route authorizes the namespace itself (`authorize_read_package!(package || module_namespace)`): a public group lets
  the caller through to an empty document or a 404, a private one answers anonymous 401 and others 403. The download
  answers 204 with `X-Terraform-Get: .../:version/file?token=<token>&archive=tgz`; the token is the server's own
  stand-in for GitLab's JWT (Gitlab::TerraformRegistryToken), read back by the file route.

Faults handled here: `terraform_versions_newest_only`, and through the shared helpers
`ignore_reject_duplicates`, `loose_name_rule`, `no_size_limit`, `at_limit_refused`, `read_body_before_auth`,
`duplicate_race`, `corrupt_download`, the authentication faults.
"""

import re
import secrets
import threading
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from core.faults import Fault
from core.permissions import Expected
from core.vocabulary import Operation, Permission
from formats.terraform_module import (
    DISCOVERY_PATH,
    DOWNLOAD,
    ELSEWHERE_MESSAGE,
    FORMAT,
    INVALID_NAME_STATUS,
    MODULES_V1,
    NAMESPACE_DOWNLOAD,
    NAMESPACE_FILE,
    PACKAGE_NAME_REGEX,
    UPLOAD,
    VERSION_REGEX,
    VERSIONS,
    file_name,
)
from reference_server.access import Caller, authorize, caller_for, project_answer, refusal
from reference_server.db import Database, Row, installable
from reference_server.downloads import count_pull, file_response, served_file
from reference_server.duplicates import duplicate_refusal
from reference_server.errors import ApiError, not_found, refused
from reference_server.metrics import count_event
from reference_server.package_files import add_file, new_package_status, saving_package
from reference_server.settings import ServerSettings
from reference_server.storage import FileStore
from reference_server.transfers import body_before_auth, receive_body, refuse_oversized

_TOKENS: dict[str, Caller] = {}  # the download's token → who asked (GitLab's JWT carries the token itself)
_TOKENS_LOCK = threading.Lock()
_TOKENS_MAX = 100_000


def invalid(param: str) -> ApiError:
    """Grape's answer for a parameter that fails its `regexp:`."""
    return ApiError(400, f"{param} is invalid", body={"error": f"{param} is invalid"})


def _names(request: Request) -> tuple[str, str, str]:
    params = request.path_params
    name, system = str(params["module_name"]), str(params["module_system"])
    version = str(params.get("module_version", ""))
    return name, system, version


# --- discovery ---------------------------------------------------------------------------------------------------


async def discovery(request: Request) -> Response:
    """Terraform's remote service discovery (app/controllers/terraform/services_controller.rb)."""
    return JSONResponse({"modules.v1": MODULES_V1})


# --- upload ------------------------------------------------------------------------------------------------------


def _exists_elsewhere(db: Database, project: Row, package_name: str) -> bool:
    """`current_package_exists_elsewhere?`: another project of the top-level namespace has a package of the name."""
    top = db.group_ancestry(int(project["namespace_id"]))[-1]
    return any(db.packages_named(pid, FORMAT, package_name, ("default", "processing", "error"))
               for pid in db.projects_under_group(int(top["id"])) if pid != project["id"])


def _duplicates_not_allowed(db: Database, project: Row, package_name: str) -> bool:
    """`duplicates_not_allowed?`: no namespace setting (self and ancestors) allows the name: a setting with
    duplicates allowed lets through names its exception regex does not match; one with duplicates refused lets
    through names it matches."""
    for group in db.group_ancestry(int(project["namespace_id"])):
        settings = db.package_settings(int(group["id"]))
        if settings is None or "terraform_module_duplicates_allowed" not in settings.keys():
            continue  # the server keeps duplicate settings only for switchable formats: GitLab's defaults apply
        allowed = bool(settings["terraform_module_duplicates_allowed"])
        pattern = settings["terraform_module_duplicate_exception_regex"] or ""
        try:
            matches = bool(pattern) and re.fullmatch(pattern, package_name) is not None
        except re.error:
            matches = False
        if (not matches) if allowed else matches:
            return False
    return True


async def upload(request: Request) -> Response:
    settings: ServerSettings = request.app.state.settings
    db: Database = request.app.state.db
    store: FileStore = request.app.state.store
    received = await body_before_auth(request)
    try:
        granted = authorize(request, UPLOAD, Permission.CREATE_PACKAGE)
        project = granted.project
        name, system, version = _names(request)
        if not VERSION_REGEX.fullmatch(version):
            raise invalid("module_version")
        limit = refuse_oversized(request, FORMAT, received)
        package_name = f"{name}/{system}"
        if _duplicates_not_allowed(db, project, package_name) and _exists_elsewhere(db, project, package_name):
            raise refused(403, ELSEWHERE_MESSAGE)
        if db.find_package(project["id"], FORMAT, package_name, version) is not None and \
                not settings.has(Fault.IGNORE_REJECT_DUPLICATES):
            raise duplicate_refusal(FORMAT)
        if not PACKAGE_NAME_REGEX.fullmatch(package_name) and not settings.has(Fault.LOOSE_NAME_RULE):
            raise ApiError(INVALID_NAME_STATUS, "Validation failed: Name is invalid")
        if received is None:
            received = await receive_body(request, FORMAT, limit)
        async with saving_package(request, project, FORMAT, package_name, version,
                                  new_package_status(request)) as package:
            stored = file_name(name, version, system)
            if db.has_file_named(package["id"], stored) and not settings.has(Fault.IGNORE_REJECT_DUPLICATES):
                raise duplicate_refusal(FORMAT)  # lost a race with an identical upload
            add_file(request, project, package, stored, received)
    finally:
        store.discard(received)
    count_event(request, FORMAT, Operation.PUSH, granted.principal)
    return JSONResponse({"message": "201 Created"}, status_code=201)


# --- project-level download ----------------------------------------------------------------------------------------


async def project_download(request: Request) -> Response:
    """The archive of a version (no `terraform-get`), or where it is (`terraform-get=1`: 204, X-Terraform-Get)."""
    db: Database = request.app.state.db
    granted = authorize(request, DOWNLOAD, Permission.READ_PACKAGE)
    name, system, version = _names(request)
    if not VERSION_REGEX.fullmatch(version):
        raise invalid("module_version")
    get = request.query_params.get("terraform-get")
    if get is not None and get != "1":
        raise ApiError(400, "terraform-get does not have a valid value", body={"error": "terraform-get does not have"
                                                                                " a valid value"})
    if get == "1":
        url = str(request.url).split("?", 1)[0] + "?archive=tgz"
        return Response(status_code=204, headers={"X-Terraform-Get": url})
    package = db.find_package(granted.project["id"], FORMAT, f"{name}/{system}", version)
    row = served_file(request, package, file_name(name, version, system))
    if row is None:
        raise not_found()
    count_pull(request, FORMAT, granted.principal)
    return file_response(request, int(granted.project["id"]), row)


# --- namespace level (the registry protocol) -----------------------------------------------------------------------


def _namespace_packages(request: Request, caller: Caller, endpoint: Any, package_name: str) -> list[Row]:
    """GroupPackagesFinder: the namespace's installable packages of the name in projects the caller may read,
    oldest first; with none, the namespace's own check (`authorize_read_package!(module_namespace)`)."""
    db: Database = request.app.state.db
    namespace = db.group_by_ref(str(request.path_params["module_namespace"]))
    found: list[Row] = []
    refusals: list[Expected] = []
    if namespace is not None and namespace["parent_id"] is None:
        for pid in db.projects_under_group(int(namespace["id"])):
            packages = db.packages_named(pid, FORMAT, package_name)
            project = db.project(pid)
            if not packages or project is None:
                continue
            answer = project_answer(request, endpoint, Permission.READ_PACKAGE, project, caller)
            if answer.permitted:
                found.extend(packages)
            else:
                refusals.append(answer)
    if found:
        return sorted(found, key=lambda p: int(p["id"]))
    if namespace is not None and namespace["visibility"] == "public":
        return []
    principal = caller.principal
    if principal is not None and principal.is_admin:
        return []
    if caller.identity.kind is None:
        raise refusal(Expected(False, 401, "anonymous request to a private namespace", refusals[0].challenge
                               if refusals else None))
    raise ApiError(403, "403 Forbidden")


def _semver_key(version: str) -> tuple[Any, ...]:
    match = VERSION_REGEX.fullmatch(version)
    if match is None:
        return (0, 0, 0, 1, ())
    pre = match["prerelease"]
    parts = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in pre.split(".")) if pre else ()
    return (int(match["major"]), int(match["minor"]), int(match["patch"]), 0 if pre else 1, parts)


async def versions(request: Request) -> Response:
    """The registry protocol's module versions (API::Entities::Terraform::ModuleVersions, ModulesPresenter)."""
    settings: ServerSettings = request.app.state.settings
    caller = caller_for(request, VERSIONS)
    name, system, _ = _names(request)
    packages = _namespace_packages(request, caller, VERSIONS, f"{name}/{system}")
    listed = [p["version"] for p in packages]
    if settings.has(Fault.TERRAFORM_VERSIONS_NEWEST_ONLY) and listed:
        listed = [max(listed, key=_semver_key)]
    entries = [{"version": v, "submodules": [], "root": {"dependencies": [], "providers": [
        {"name": system, "version": ""}]}} for v in listed]
    return JSONResponse({"modules": [{"versions": entries, "source": f"{name}/{system}"}]})


def _version_package(request: Request, caller: Caller) -> tuple[Row, Row]:
    """The namespace's package of the version and its file, or 404 (`not_found! unless package && package_file`)."""
    name, system, version = _names(request)
    if not VERSION_REGEX.fullmatch(version):
        raise not_found()
    packages = [p for p in _namespace_packages(request, caller, NAMESPACE_DOWNLOAD, f"{name}/{system}")
                if p["version"] == version and installable(p)]
    if not packages:
        raise not_found()
    package = packages[-1]
    row = served_file(request, package, file_name(name, version, system))
    if row is None:
        raise not_found()
    return package, row


async def namespace_download(request: Request) -> Response:
    """204 and where the archive is: `file?token=<token>&archive=tgz`, relative to the API (GitLab's path only)."""
    caller = caller_for(request, NAMESPACE_DOWNLOAD)
    _version_package(request, caller)
    token = ""
    if caller.principal is not None:
        token = secrets.token_urlsafe(24)
        with _TOKENS_LOCK:
            if len(_TOKENS) >= _TOKENS_MAX:
                _TOKENS.clear()
            _TOKENS[token] = caller
    path = request.url.path.removesuffix("/download") + f"/file?token={token}&archive=tgz"
    return Response(status_code=204, headers={"X-Terraform-Get": path})


async def namespace_file(request: Request) -> Response:
    """The archive, for the caller the token names (anonymous without one)."""
    token = request.query_params.get("token", "")
    with _TOKENS_LOCK:
        caller = _TOKENS.get(token) if token else None
    if token and caller is None:
        raise ApiError(401, "401 Unauthorized")
    if caller is None:
        caller = caller_for(request, NAMESPACE_FILE)
    package, row = _version_package(request, caller)
    count_pull(request, FORMAT, caller.principal)
    return file_response(request, int(package["project_id"]), row)


_NAMESPACE = VERSIONS.path.removesuffix("/versions")
ROUTES = [
    Route(DISCOVERY_PATH, discovery, methods=["GET"]),
    Route(UPLOAD.path, upload, methods=[UPLOAD.method]),
    Route(DOWNLOAD.path, project_download, methods=["GET", "HEAD"]),
    Route(VERSIONS.path, versions, methods=["GET"]),
    Route(NAMESPACE_DOWNLOAD.path, namespace_download, methods=["GET"]),
    Route(NAMESPACE_FILE.path, namespace_file, methods=["GET"]),
]
