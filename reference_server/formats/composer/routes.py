"""GitLab's Composer API (lib/api/composer_packages.rb): publishing a tag or branch of the project's repository, the
group's `packages.json`, `p2/<name>.json`, `p/<sha>.json` and v1 `<name>$<sha>.json` documents
(app/presenters/packages/composer/packages_presenter.rb, lib/gitlab/composer/version_index.rb), and the archive of a
version's commit (`send_git_archive ... format: 'zip'`).

The composer_stale_cache fault serves each package's p2 document as the cache page written at its first publish
(only the first version), as GitLab's Gitlab::Composer::Cache page did when a publish did not rewrite it.
"""

import hashlib
import json
import re
from typing import Any
from urllib.parse import unquote

import anyio
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from core.faults import Fault
from core.format_types import Endpoint
from core.vocabulary import Operation, Permission
from formats.composer import ARCHIVE, FORMAT, P2, PACKAGE_V1, PACKAGES_JSON, PROVIDER, PUBLISH, version_of_ref
from formats.composer.rules import PACKAGE_NAME_REGEX, VERSION_REGEX
from reference_server.access import GroupAccess, authorize, group_access
from reference_server.db import Database, Row
from reference_server.downloads import count_pull
from reference_server.errors import ApiError, bad_request, not_found
from reference_server.metadata_cache import Check, Subject, metadata_response
from reference_server.metrics import count_event
from reference_server.package_files import new_package_status, saving_package
from reference_server.params import read_params
from reference_server.repository import repository_of
from reference_server.settings import ServerSettings

DEV_VERSION = re.compile(r"(^dev-)|(-dev$)")  # Gitlab::Regex.composer_dev_version_regex


def _dumps(document: object) -> bytes:
    return json.dumps(document, separators=(",", ":")).encode()


# --- publishing ------------------------------------------------------------------------------------------------


def _composer_json(data: bytes | None) -> dict[str, Any]:
    """Packages::Composer::ComposerJsonService: the ref's composer.json, parsed (InvalidJson → 422)."""
    if data is None:
        raise ApiError(422, "The file composer.json was not found.")
    try:
        parsed = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        raise ApiError(422, "Could not parse composer.json file. Invalid JSON.") from None
    if not isinstance(parsed, dict):
        raise ApiError(422, "Could not parse composer.json file. Invalid JSON.")
    return parsed


def _name_taken(db: Database, project_id: int, name: str) -> bool:
    """Packages::Composer::Package#valid_composer_global_name: the name is another project's package."""
    return any(holder != project_id for holder in db.projects_holding(FORMAT, name))


async def publish(request: Request) -> Response:
    """POST /projects/:id/packages/composer: `authorize_create_package!`, `find_tag!` / `find_branch!`, then
    CreatePackageService (ComposerJsonService, VersionParserService, find_or_create_package!, Metadatum.upsert)."""
    db: Database = request.app.state.db
    granted = authorize(request, PUBLISH, Permission.CREATE_PACKAGE)
    project = granted.project
    params = await read_params(request)
    tag, branch = params.get("tag") or None, params.get("branch") or None
    if tag and branch:
        raise bad_request("tag, branch are mutually exclusive")
    if not (tag or branch):
        raise bad_request("tag, branch are missing, exactly one parameter must be provided")
    repository = repository_of(request, project["id"])
    refs = await anyio.to_thread.run_sync(repository.tags if tag else repository.branches)
    wanted = str(tag or branch)
    ref = next((r for r in refs if r.name == wanted), None)
    if ref is None:
        raise not_found("Tag" if tag else "Branch")
    data = await anyio.to_thread.run_sync(lambda: repository.read_file(ref.sha, "composer.json"))
    manifest = _composer_json(data)
    name = manifest.get("name")
    version = version_of_ref(tag=str(tag)) if tag else version_of_ref(branch=str(branch))
    if not isinstance(name, str) or not name:
        raise bad_request("Validation failed: Name can't be blank")
    if not PACKAGE_NAME_REGEX.fullmatch(name):
        raise bad_request("Validation failed: Name is invalid")
    if version is None:  # GitLab: `match(...)` is nil and `.captures` raises (a 500); refused here as invalid
        raise bad_request("Validation failed: Version is invalid")
    if not DEV_VERSION.search(version) and not VERSION_REGEX.fullmatch(version):
        raise bad_request("Validation failed: Version is invalid")
    if _name_taken(db, project["id"], name):
        raise bad_request("Validation failed: Name is already taken by another project")
    async with saving_package(request, project, FORMAT, name, version, new_package_status(request)) as package:
        db.set_package_metadata(package["id"], {"target_sha": ref.sha, "composer_json": manifest,
                                                "ref": wanted, "version": version})
    count_event(request, FORMAT, Operation.PUSH, granted.principal)
    return JSONResponse({"message": "201 Created"}, status_code=201)


# --- the group's documents -------------------------------------------------------------------------------------


def _group(request: Request, endpoint: Endpoint) -> GroupAccess:
    db: Database = request.app.state.db
    return group_access(request, endpoint, db.group_by_ref(unquote(request.path_params["group_id"])))


def _packages(request: Request, access: GroupAccess, name: str | None = None) -> list[tuple[Row, dict[str, Any]]]:
    """Packages::Composer::PackagesFinder: the group's readable projects' installable Composer packages (of one
    name), each with its metadatum."""
    db: Database = request.app.state.db
    found: list[tuple[Row, dict[str, Any]]] = []
    for project in access.projects:
        rows = [p for p in db.packages_of_type(project["id"], FORMAT) if name is None or p["name"] == name]
        metadata = db.metadata_of([int(p["id"]) for p in rows])
        found.extend((p, metadata[int(p["id"])]) for p in rows if int(p["id"]) in metadata)
    return found


def _version_index(request: Request, packages: list[tuple[Row, dict[str, Any]]], check: Check | None
                   ) -> dict[str, Any]:
    """Gitlab::Composer::VersionIndex#as_json: `{packages: {name: {version: composer.json + dist, source, uid,
    version}}}`, versions sorted."""
    db: Database = request.app.state.db
    base = str(request.base_url).rstrip("/")
    versions: dict[str, Any] = {}
    for package, meta in sorted(packages, key=lambda item: str(item[0]["version"])):
        if check is not None:
            check(package)
        sha = meta["target_sha"]
        project = db.project(int(package["project_id"]))
        url = base + ARCHIVE.url_path(project_id=package["project_id"], package_name=package["name"]) + f"?sha={sha}"
        git = f"{base}/{project['full_path']}.git" if project is not None else ""
        versions[str(package["version"])] = {
            **meta["composer_json"], "dist": {"type": "zip", "url": url, "reference": sha, "shasum": ""},
            "source": {"type": "git", "url": git, "reference": sha}, "uid": package["id"],
            "version": package["version"]}
    name = packages[0][0]["name"] if packages else ""
    return {"packages": {name: versions}}


def _stale(request: Request, packages: list[tuple[Row, dict[str, Any]]]) -> list[tuple[Row, dict[str, Any]]]:
    """Under composer_stale_cache: the page written at each project's first publish of the name, never rewritten."""
    settings: ServerSettings = request.app.state.settings
    if not settings.has(Fault.COMPOSER_STALE_CACHE):
        return packages
    first: dict[int, tuple[Row, dict[str, Any]]] = {}
    for item in sorted(packages, key=lambda item: int(item[0]["id"])):
        first.setdefault(int(item[0]["project_id"]), item)
    return list(first.values())


def _sha(document: object) -> str:
    return hashlib.sha256(_dumps(document)).hexdigest()


def _providers(request: Request, access: GroupAccess) -> dict[str, Any]:
    """PackagesPresenter#provider: each package name with the sha256 of its version index."""
    by_name: dict[str, list[tuple[Row, dict[str, Any]]]] = {}
    for item in _packages(request, access):
        by_name.setdefault(str(item[0]["name"]), []).append(item)
    return {"providers": {name: {"sha256": _sha(_version_index(request, items, None))}
                          for name, items in sorted(by_name.items())}}


def _placeholder(endpoint: Endpoint, group_id: int, name: str) -> str:
    return endpoint.url_path(group_id=group_id, package_name="PLACEHOLDER").replace("PLACEHOLDER", name)


async def packages_json(request: Request) -> Response:
    """PackagesPresenter#root: the v2 `metadata-url`; for Composer 1 (no `Composer/2` in the User-Agent) also
    `provider-includes` and `providers-url`."""
    access = _group(request, PACKAGES_JSON)
    group_id = access.group["id"]
    # expose_path: the placeholders as they are, not URL-encoded (Composer fills them in)
    root: dict[str, Any] = {"packages": [], "metadata-url": _placeholder(P2, group_id, "%package%")}
    if "Composer/2" not in request.headers.get("user-agent", ""):
        provider = await anyio.to_thread.run_sync(lambda: _providers(request, access))
        root["provider-includes"] = {"p/%hash%.json": {"sha256": _sha(provider)}}
        root["providers-url"] = _placeholder(PACKAGE_V1, group_id, "%package%$%hash%")
    return JSONResponse(root)


async def provider(request: Request) -> Response:
    access = _group(request, PROVIDER)
    return JSONResponse(await anyio.to_thread.run_sync(lambda: _providers(request, access)))


async def _versions(request: Request, endpoint: Endpoint, name: str) -> Response:
    access = _group(request, endpoint)

    def build(check: Check | None) -> Response:
        packages = _stale(request, _packages(request, access, name))
        if not packages:
            raise not_found()
        return Response(_dumps(_version_index(request, packages, check)), media_type="application/json")

    return await metadata_response(request, (FORMAT, endpoint.name, name), access.projects,
                                   Subject(FORMAT, lambda n: n == name), build)


async def p2(request: Request) -> Response:
    """p2/<name>.json (Composer 2's `metadata-url`; `<name>~dev` finds no package of that name: 404)."""
    return await _versions(request, P2, request.path_params["package_name"])


async def package_v1(request: Request) -> Response:
    """`<name>$<sha>.json` (Composer 1's `providers-url`): 404 without a sha or a package."""
    name, _, sha = request.path_params["package_name"].partition("$")
    if not sha:
        _group(request, PACKAGE_V1)
        raise not_found()
    return await _versions(request, PACKAGE_V1, name)


# --- the archive -----------------------------------------------------------------------------------------------


async def archive(request: Request) -> Response:
    """archives/<name>.zip?sha=: `authorized_user_project(action: :read_package)`, the package of that name whose
    metadatum targets `sha`, and the zip of that commit."""
    db: Database = request.app.state.db
    granted = authorize(request, ARCHIVE, Permission.READ_PACKAGE)
    project = granted.project
    sha = request.query_params.get("sha")
    if not sha:
        raise bad_request("sha is missing")
    name = request.path_params["package_name"]
    packages = db.packages_named(project["id"], FORMAT, name)
    metadata = db.metadata_of([int(p["id"]) for p in packages])
    if not any(m.get("target_sha") == sha for m in metadata.values()):
        raise not_found()
    repository = repository_of(request, project["id"])
    prefix = f"{project['path']}-{sha}/"
    data = await anyio.to_thread.run_sync(lambda: repository.archive_zip(sha, prefix=prefix))
    count_pull(request, FORMAT, granted.principal)
    file_name = f"{project['path']}-{sha}.zip"
    return Response(data, media_type="application/zip",
                    headers={"Content-Disposition": f'attachment; filename="{file_name}"'})


ROUTES = [
    Route(PUBLISH.path, publish, methods=["POST"]),
    Route(ARCHIVE.path, archive, methods=["GET", "HEAD"]),
    Route(PACKAGES_JSON.path, packages_json, methods=["GET"]),
    Route(PROVIDER.path, provider, methods=["GET"]),
    Route(P2.path, p2, methods=["GET"]),
    Route(PACKAGE_V1.path, package_v1, methods=["GET"]),
]
