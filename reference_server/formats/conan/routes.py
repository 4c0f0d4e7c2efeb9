"""The reference server's Conan API, as GitLab serves it (lib/api/concerns/packages/conan_endpoints.rb for Conan 1,
lib/api/concerns/packages/conan/shared_endpoints.rb and lib/api/conan/v2/project_packages.rb for Conan 2, the
helpers in lib/api/helpers/packages/conan/api_helpers.rb).

A file upload is a PUT of the raw file: authorized (`authorize_upload!`), the reference's parts checked
(conan_recipe_component_regex for name and version, conan_recipe_user_channel_regex for user and channel, then
`check_username_channel`: `_` for one of them alone is a 400, `_` as the user at the instance level a 404), the
revision checked (`0` on Conan 1, 32 or 40 hex on Conan 2), the size limit applied (`conan_max_file_size`: 400 'File
is too large'), and the file added to the package of that name and version, created if new
(`find_or_create_package`), with its type and revisions; an empty body (the client's first probe) creates nothing.
Downloads serve the most recent file of that name, type and revisions (`PackageFileFinder`).

Authentication: `GET .../users/authenticate` turns the caller's Basic credentials into a token the client then sends
as Bearer (Gitlab::ConanToken, a JWT); every route reads that Bearer, or Basic (api_helpers.rb). Here the JWT names
the credentials it was issued for, and a request bearing it is authorized as they would be.

Faults handled here: `conan_search_omits_newest` (the recipe search leaves out each recipe's newest version), and the
shared `loose_name_rule`, `oldest_file_wins`, `no_size_limit`,
`at_limit_refused`, `read_body_before_auth`, `protection_rules_ignored`, `corrupt_download`.
"""

import base64
import fnmatch
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from core.faults import Fault
from core.format_types import Endpoint
from core.vocabulary import Operation, Permission
from formats.conan import (
    AUTHENTICATE,
    FORMAT,
    INSTANCE_PACKAGE_DOWNLOAD,
    INSTANCE_PACKAGE_UPLOAD,
    INSTANCE_RECIPE_DOWNLOAD,
    INSTANCE_RECIPE_UPLOAD,
    INSTANCE_SEARCH,
    NONE_VALUE,
    PACKAGE_DOWNLOAD,
    PACKAGE_FILES,
    PACKAGE_REFERENCE_REGEX,
    PACKAGE_UPLOAD,
    RECIPE_DOWNLOAD,
    RECIPE_FILES,
    RECIPE_UPLOAD,
    REVISION_REGEX_V2,
    RULES,
    SEARCH,
    USER_CHANNEL_REGEX,
    V1_PACKAGE_DOWNLOAD,
    V1_PACKAGE_UPLOAD,
    V1_RECIPE_DOWNLOAD,
    V1_RECIPE_UPLOAD,
    V1_REVISION,
    V1_SEARCH,
)
from reference_server.access import Authorized, authenticate_for, authorize, authorize_on, check_protection
from reference_server.db import Database, Row, installable
from reference_server.downloads import count_pull, file_response
from reference_server.errors import ApiError, bad_request, not_found, unauthorized
from reference_server.metrics import count_event
from reference_server.package_files import add_file, new_package_status, saving_package
from reference_server.settings import ServerSettings
from reference_server.storage import FileStore
from reference_server.transfers import body_before_auth, receive_body, refuse_oversized

CONAN_FILES = tuple(dict.fromkeys(RECIPE_FILES + PACKAGE_FILES))
JWT_LIFETIME_S = 3600  # Gitlab::ConanToken: `expire_time: 1.hour`
RECIPE, PACKAGE = "recipe_file", "package_file"  # Packages::Conan::FileMetadatum conan_file_type

Handler = Callable[[Request], Awaitable[Response]]


# --- authentication: the Conan JWT ---------------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _secret(request: Request) -> bytes:
    state = request.app.state
    if not hasattr(state, "conan_jwt_secret"):
        state.conan_jwt_secret = secrets.token_bytes(32)
        state.conan_jwt_credentials = {}
    secret: bytes = state.conan_jwt_secret
    return secret


def issue_jwt(request: Request, authorization: str) -> str:
    """An HS256 JWT for the credentials in `authorization` (Gitlab::ConanToken#to_jwt: the token's id, the user,
    one hour); the server keeps what it stands for."""
    secret = _secret(request)
    jti = secrets.token_hex(16)
    request.app.state.conan_jwt_credentials[jti] = authorization
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = _b64(json.dumps({"jti": jti, "exp": int(time.time()) + JWT_LIFETIME_S}).encode())
    signature = _b64(hmac.new(secret, f"{header}.{payload}".encode(), hashlib.sha256).digest())
    return f"{header}.{payload}.{signature}"


def jwt_credentials(request: Request, token: str) -> str | None:
    """The Authorization header a JWT this server issued stands for (None: not one of ours, or expired)."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    secret = _secret(request)
    expected = _b64(hmac.new(secret, f"{parts[0]}.{parts[1]}".encode(), hashlib.sha256).digest())
    if not hmac.compare_digest(expected, parts[2]):
        return None
    try:
        claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except ValueError:
        return None
    if int(claims.get("exp", 0)) < time.time():
        return None
    found: str | None = request.app.state.conan_jwt_credentials.get(str(claims.get("jti")))
    return found


def with_jwt(handler: Handler) -> Handler:
    """The route reading a Conan JWT sent as Bearer as the credentials it was issued for
    (ApiHelpers#decode_oauth_token_from_jwt); any other Bearer is left as it came (a raw token is not read)."""

    async def route(request: Request) -> Response:
        value = request.headers.get("authorization", "")
        scheme, _, token = value.partition(" ")
        if scheme.lower() == "bearer":
            credentials = jwt_credentials(request, token.strip())
            if credentials is not None:
                headers = [(k, v) for k, v in request.scope["headers"] if k.lower() != b"authorization"]
                headers.append((b"authorization", credentials.encode("latin-1")))
                request = Request({**request.scope, "headers": headers}, request.receive)
        return await handler(request)

    return route


def authenticate(endpoint: Endpoint) -> Handler:
    """`GET users/authenticate`: `authenticate!`, then the token as a JWT, text/plain."""

    async def route(request: Request) -> Response:
        principal = authenticate_for(request, endpoint)
        if principal is None:
            raise unauthorized()
        return PlainTextResponse(issue_jwt(request, request.headers.get("authorization", "")))

    return route


def check_credentials(endpoint: Endpoint) -> Handler:
    async def route(request: Request) -> Response:
        if authenticate_for(request, endpoint) is None:
            raise unauthorized()
        return PlainTextResponse("ok")

    return route


def ping(capabilities: str) -> Handler:
    """`GET ping`: the server's capabilities (SharedEndpoints `x_conan_server_capabilities_header`)."""

    async def route(request: Request) -> Response:
        return Response(status_code=200, headers={"X-Conan-Server-Capabilities": capabilities})

    return route


# --- references ------------------------------------------------------------------------------------------------


def _invalid(param: str) -> ApiError:
    return ApiError(400, f"{param} is invalid", body={"error": f"{param} is invalid"})


def reference(request: Request, instance: bool) -> tuple[str, str, str, str]:
    """Name, version, user and channel, validated as the routes' params and `check_username_channel` do."""
    settings: ServerSettings = request.app.state.settings
    p = request.path_params
    name, version = str(p["package_name"]), str(p["package_version"])
    user, channel = str(p["package_username"]), str(p["package_channel"])
    if not settings.has(Fault.LOOSE_NAME_RULE) and RULES.name_error(name):
        raise _invalid("package_name")
    if RULES.version_error(version):
        raise _invalid("package_version")
    for param, value in (("package_username", user), ("package_channel", channel)):
        if not USER_CHANNEL_REGEX.fullmatch(value):
            raise _invalid(param)
    if instance and user == NONE_VALUE:
        raise not_found()  # the naming convention: the user names the project
    if (user == NONE_VALUE) != (channel == NONE_VALUE):
        blank = "username" if user == NONE_VALUE else "channel"
        raise bad_request(f"{blank} can't be solely blank")
    return name, version, user, channel


def revisions(request: Request, v2: bool) -> tuple[str, str | None, str | None]:
    """The recipe revision, the package reference and the package revision of the path (the last two when it has
    them)."""
    p = request.path_params
    rrev = str(p["recipe_revision"])
    if not (REVISION_REGEX_V2.fullmatch(rrev) if v2 else rrev == V1_REVISION):
        raise _invalid("recipe_revision")
    ref = p.get("conan_package_reference")
    prev = p.get("package_revision")
    if ref is not None and not PACKAGE_REFERENCE_REGEX.fullmatch(str(ref)):
        raise _invalid("conan_package_reference")
    if prev is not None and not (REVISION_REGEX_V2.fullmatch(str(prev)) if v2 else str(prev) == V1_REVISION):
        raise _invalid("package_revision")
    return rrev, None if ref is None else str(ref), None if prev is None else str(prev)


def file_name_of(request: Request) -> str:
    file_name = str(request.path_params["file_name"])
    if file_name not in CONAN_FILES:
        raise ApiError(400, "file_name does not have a valid value", body={"error": "file_name does not have a valid "
                                                                                    "value"})
    return file_name


def authorized(request: Request, endpoint: Endpoint, permission: Permission, instance: bool,
               user: str) -> Authorized:
    """The project: the route's id, or at the instance level the one the recipe's user names (`+` for `/`)."""
    if not instance:
        return authorize(request, endpoint, permission)
    db: Database = request.app.state.db
    return authorize_on(request, endpoint, permission, db.project_by_ref(user.replace("+", "/")))


def _conan_files(db: Database, package: Row) -> dict[str, Any]:
    data = db.package_metadata(package["id"]) or {}
    files: dict[str, Any] = data.get("files", {})
    return files


def matching_file(request: Request, package: Row | None, user: str, channel: str, file_name: str, kind: str,
                  rrev: str, ref: str | None, prev: str | None) -> Row | None:
    """The most recent file of that name, type and revisions (the oldest under oldest_file_wins)."""
    settings: ServerSettings = request.app.state.settings
    db: Database = request.app.state.db
    if package is None or not installable(package):
        return None
    data = db.package_metadata(package["id"]) or {}
    if (data.get("user"), data.get("channel")) != (user, channel):
        return None
    files = data.get("files", {})
    _, rows = db.package_files(package["id"], 100_000, 0)
    found = [r for r in rows if r["file_name"] == file_name and (meta := files.get(str(r["id"]))) is not None
             and meta["type"] == kind and meta["rrev"] == rrev
             and meta.get("ref") == ref and meta.get("prev") == prev]
    if not found:
        return None
    return found[0] if settings.has(Fault.OLDEST_FILE_WINS) else found[-1]


# --- upload and download ---------------------------------------------------------------------------------------


def upload(endpoint: Endpoint, kind: str, v2: bool, instance: bool) -> Handler:
    async def route(request: Request) -> Response:
        db: Database = request.app.state.db
        store: FileStore = request.app.state.store
        received = await body_before_auth(request)
        try:
            name, version, user, channel = reference(request, instance)
            granted = authorized(request, endpoint, Permission.CREATE_PACKAGE, instance, user)
            project = granted.project
            rrev, ref, prev = revisions(request, v2)
            file_name = file_name_of(request)
            check_protection(request, endpoint, granted, name)
            limit = refuse_oversized(request, FORMAT, received)
            if received is None:
                received = await receive_body(request, FORMAT, limit)
            if received.size == 0:  # "conan sends two upload requests, the first has no file"
                return PlainTextResponse("", status_code=200)
            async with saving_package(request, project, FORMAT, name, version,
                                      new_package_status(request)) as package:
                row = add_file(request, project, package, file_name, received)
                data = db.package_metadata(package["id"]) or {"user": user, "channel": channel, "files": {}}
                data["files"][str(row["id"])] = {"type": kind, "rrev": rrev, "ref": ref, "prev": prev}
                db.set_package_metadata(package["id"], data)
        finally:
            store.discard(received)
        if file_name == "conan_package.tgz" or (kind == RECIPE and file_name == "conan_export.tgz"):
            count_event(request, FORMAT, Operation.PUSH, granted.principal)
        return PlainTextResponse("", status_code=200)

    return route


def download(endpoint: Endpoint, kind: str, v2: bool, instance: bool) -> Handler:
    async def route(request: Request) -> Response:
        db: Database = request.app.state.db
        name, version, user, channel = reference(request, instance)
        granted = authorized(request, endpoint, Permission.READ_PACKAGE, instance, user)
        project = granted.project
        rrev, ref, prev = revisions(request, v2)
        file_name = file_name_of(request)
        package = db.find_package(project["id"], FORMAT, name, version)
        row = matching_file(request, package, user, channel, file_name, kind, rrev, ref, prev)
        if row is None:
            raise not_found()
        count_pull(request, FORMAT, granted.principal)
        return file_response(request, int(project["id"]), row)

    return route


def search(endpoint: Endpoint, instance: bool) -> Handler:
    """`GET conans/search?q=`: the recipes whose name matches the query (`*` a wildcard), as references."""

    async def route(request: Request) -> Response:
        db: Database = request.app.state.db
        query = request.query_params.get("q")
        if not query:
            raise ApiError(400, "q is missing", body={"error": "q is missing"})
        if instance:
            if authenticate_for(request, endpoint) is None:
                return JSONResponse({"results": []})
            projects: list[Row] = []  # the instance search is the caller's projects; not modelled here
        else:
            projects = [authorize(request, endpoint, Permission.READ_PACKAGE).project]
        settings: ServerSettings = request.app.state.settings
        name_query = query.split("/", 1)[0]
        results = []
        for project in projects:
            packages = db.packages_of_type(int(project["id"]), FORMAT)
            if settings.has(Fault.CONAN_SEARCH_OMITS_NEWEST):
                newest = {p["name"]: p["id"] for p in packages}  # oldest first: the last id of a name is its newest
                packages = [p for p in packages if newest[p["name"]] != p["id"]]
            for package in packages:
                if not fnmatch.fnmatchcase(package["name"], name_query):
                    continue
                data = db.package_metadata(package["id"]) or {}
                recipe = f"{package['name']}/{package['version']}@{data.get('user')}/{data.get('channel')}"
                if "/" not in query or fnmatch.fnmatchcase(recipe, query if "@" in query else query + "@*"):
                    results.append(recipe)
        return JSONResponse({"results": sorted(results)})

    return route


# --- Conan 2 revisions ---------------------------------------------------------------------------------------


def _revision_entries(request: Request, endpoint: Endpoint, kind: str) -> list[tuple[str, str]]:
    """(revision, time) of the recipe's revisions (kind RECIPE), or of the package reference's (PACKAGE), newest
    first."""
    db: Database = request.app.state.db
    name, version, user, channel = reference(request, False)
    project = authorize(request, endpoint, Permission.READ_PACKAGE).project
    package = db.find_package(project["id"], FORMAT, name, version)
    if package is None or not installable(package):
        raise not_found("Package")
    data = db.package_metadata(package["id"]) or {}
    if (data.get("user"), data.get("channel")) != (user, channel):
        raise not_found("Package")
    _, rows = db.package_files(package["id"], 100_000, 0)
    created = {str(r["id"]): r["created_at"] for r in rows}
    seen: dict[str, str] = {}
    p = request.path_params
    for file_id, meta in sorted(data.get("files", {}).items(), key=lambda item: int(item[0])):
        if file_id not in created:
            continue
        if kind == RECIPE:
            seen.setdefault(meta["rrev"], created[file_id])
        elif meta["type"] == PACKAGE and meta["rrev"] == p["recipe_revision"] \
                and meta["ref"] == p["conan_package_reference"]:
            seen.setdefault(meta["prev"], created[file_id])
    return sorted(seen.items(), key=lambda item: item[1], reverse=True)


def latest(endpoint: Endpoint, kind: str) -> Handler:
    async def route(request: Request) -> Response:
        entries = _revision_entries(request, endpoint, kind)
        if not entries:
            raise not_found("Revision")
        return JSONResponse({"revision": entries[0][0], "time": entries[0][1]})

    return route


def revision_list(endpoint: Endpoint, kind: str) -> Handler:
    async def route(request: Request) -> Response:
        entries = _revision_entries(request, endpoint, kind)
        ref = f"{request.path_params['package_name']}/{request.path_params['package_version']}"
        return JSONResponse({"reference": ref, "revisions": [{"revision": r, "time": t} for r, t in entries]})

    return route


def file_list(endpoint: Endpoint, kind: str) -> Handler:
    async def route(request: Request) -> Response:
        db: Database = request.app.state.db
        name, version, user, channel = reference(request, False)
        project = authorize(request, endpoint, Permission.READ_PACKAGE).project
        rrev, ref, prev = revisions(request, True)
        package = db.find_package(project["id"], FORMAT, name, version)
        if package is None:
            raise not_found("Package")
        files = _conan_files(db, package)
        _, rows = db.package_files(package["id"], 100_000, 0)
        names = sorted({r["file_name"] for r in rows if (m := files.get(str(r["id"]))) is not None
                        and m["type"] == kind and m["rrev"] == rrev and m.get("ref") == ref
                        and m.get("prev") == prev})
        if not names:
            raise not_found("Recipe files" if kind == RECIPE else "Package files")
        return JSONResponse({"files": {n: {} for n in names}})

    return route


# --- Conan 1: snapshots, digests and upload / download URLs ---------------------------------------------------


def _v1_files(request: Request, endpoint: Endpoint, instance: bool, kind: str) -> tuple[str, dict[str, Row], Row]:
    """The recipe's (or the path's package reference's) newest file of each name, revision `0`, with the project
    (`authorize_read_package!`)."""
    db: Database = request.app.state.db
    name, version, user, channel = reference(request, instance)
    project = authorized(request, endpoint, Permission.READ_PACKAGE, instance, user).project
    ref = request.path_params.get("conan_package_reference")
    package = db.find_package(project["id"], FORMAT, name, version)
    newest: dict[str, Row] = {}
    if package is not None and installable(package):
        data = db.package_metadata(package["id"]) or {}
        if (data.get("user"), data.get("channel")) == (user, channel):
            files = data.get("files", {})
            _, rows = db.package_files(package["id"], 100_000, 0)
            for row in rows:
                meta = files.get(str(row["id"]))
                if meta is not None and meta["type"] == kind and meta["rrev"] == V1_REVISION \
                        and meta.get("ref") == (None if ref is None else str(ref)):
                    newest[row["file_name"]] = row
    recipe = "/".join(str(request.path_params[k]) for k in ("package_name", "package_version", "package_username",
                                                              "package_channel"))
    return recipe, newest, project


def _file_url(request: Request, instance: bool, project: Row, recipe: str, kind: str, file_name: str) -> str:
    """expose_url of the file route (`api_v4_projects_packages_conan_v1_files_export_path` and friends)."""
    base = str(request.base_url).rstrip("/")
    prefix = "/api/v4/packages/conan/v1" if instance else f"/api/v4/projects/{project['id']}/packages/conan/v1"
    if kind == RECIPE:
        return f"{base}{prefix}/files/{recipe}/{V1_REVISION}/export/{file_name}"
    ref = request.path_params["conan_package_reference"]
    return f"{base}{prefix}/files/{recipe}/{V1_REVISION}/package/{ref}/{V1_REVISION}/{file_name}"


def v1_snapshot(endpoint: Endpoint, instance: bool, kind: str) -> Handler:
    """`GET conans/<recipe>` and `.../packages/<ref>`: `{file: md5}` ({} when there is nothing yet)."""

    async def route(request: Request) -> Response:
        _, newest, _ = _v1_files(request, endpoint, instance, kind)
        return JSONResponse({name: row["file_md5"] for name, row in newest.items()})

    return route


def v1_urls(endpoint: Endpoint, instance: bool, kind: str, manifest_only: bool) -> Handler:
    """`digest` (the manifest's URL) and `download_urls` (every file's); 404 'No recipe manifest found' when
    empty (ApiHelpers#present_download_urls)."""

    async def route(request: Request) -> Response:
        recipe, newest, project = _v1_files(request, endpoint, instance, kind)
        names = [n for n in newest if not manifest_only or n == "conanmanifest.txt"]
        if not names:
            raise ApiError(404, "404 No recipe manifest found")
        return JSONResponse({n: _file_url(request, instance, project, recipe, kind, n) for n in sorted(names)})

    return route


def v1_upload_urls(endpoint: Endpoint, instance: bool, kind: str) -> Handler:
    """`POST upload_urls` with `{file: size}`: the URL of each file of the kind (recipe_upload_urls,
    package_upload_urls)."""

    async def route(request: Request) -> Response:
        name, version, user, channel = reference(request, instance)
        project = authorized(request, endpoint, Permission.READ_PACKAGE, instance, user).project
        try:
            wanted = json.loads(await request.body())
        except ValueError:
            wanted = None
        if not isinstance(wanted, dict):
            raise bad_request("the body is no JSON object")
        allowed = RECIPE_FILES if kind == RECIPE else PACKAGE_FILES
        recipe = f"{name}/{version}/{user}/{channel}"
        return JSONResponse({n: _file_url(request, instance, project, recipe, kind, n) for n in wanted
                             if n in allowed})

    return route


def _routes() -> list[Route]:
    v2 = "/api/v4/projects/{project_id}/packages/conan/v2"
    recipe = v2 + "/conans/{package_name}/{package_version}/{package_username}/{package_channel}"
    rrev = recipe + "/revisions/{recipe_revision}"
    pkg = rrev + "/packages/{conan_package_reference}"
    prev = pkg + "/revisions/{package_revision}"
    routes = [
        Route(v2 + "/ping", ping("revisions"), methods=["GET"]),
        Route(AUTHENTICATE.path, authenticate(AUTHENTICATE), methods=["GET"]),
        Route(v2 + "/users/check_credentials", with_jwt(check_credentials(AUTHENTICATE)), methods=["GET"]),
        Route(SEARCH.path, with_jwt(search(SEARCH, False)), methods=["GET"]),
        Route(recipe + "/latest", with_jwt(latest(RECIPE_DOWNLOAD, RECIPE)), methods=["GET"]),
        Route(recipe + "/revisions", with_jwt(revision_list(RECIPE_DOWNLOAD, RECIPE)), methods=["GET"]),
        Route(rrev + "/files", with_jwt(file_list(RECIPE_DOWNLOAD, RECIPE)), methods=["GET"]),
        Route(RECIPE_UPLOAD.path, with_jwt(upload(RECIPE_UPLOAD, RECIPE, True, False)), methods=["PUT"]),
        Route(RECIPE_DOWNLOAD.path, with_jwt(download(RECIPE_DOWNLOAD, RECIPE, True, False)), methods=["GET", "HEAD"]),
        Route(pkg + "/latest", with_jwt(latest(PACKAGE_DOWNLOAD, PACKAGE)), methods=["GET"]),
        Route(pkg + "/revisions", with_jwt(revision_list(PACKAGE_DOWNLOAD, PACKAGE)), methods=["GET"]),
        Route(prev + "/files", with_jwt(file_list(PACKAGE_DOWNLOAD, PACKAGE)), methods=["GET"]),
        Route(PACKAGE_UPLOAD.path, with_jwt(upload(PACKAGE_UPLOAD, PACKAGE, True, False)), methods=["PUT"]),
        Route(PACKAGE_DOWNLOAD.path, with_jwt(download(PACKAGE_DOWNLOAD, PACKAGE, True, False)),
              methods=["GET", "HEAD"]),
    ]
    for instance, base, up, down, pup, pdown, srch in (
            (False, "/api/v4/projects/{project_id}/packages/conan/v1", V1_RECIPE_UPLOAD, V1_RECIPE_DOWNLOAD,
             V1_PACKAGE_UPLOAD, V1_PACKAGE_DOWNLOAD, V1_SEARCH),
            (True, "/api/v4/packages/conan/v1", INSTANCE_RECIPE_UPLOAD, INSTANCE_RECIPE_DOWNLOAD,
             INSTANCE_PACKAGE_UPLOAD, INSTANCE_PACKAGE_DOWNLOAD, INSTANCE_SEARCH)):
        auth_endpoint = up
        recipe_v1 = base + "/conans/{package_name}/{package_version}/{package_username}/{package_channel}"
        pkg_v1 = recipe_v1 + "/packages/{conan_package_reference}"
        routes += [
            Route(recipe_v1, with_jwt(v1_snapshot(down, instance, RECIPE)), methods=["GET"]),
            Route(recipe_v1 + "/digest", with_jwt(v1_urls(down, instance, RECIPE, True)), methods=["GET"]),
            Route(recipe_v1 + "/download_urls", with_jwt(v1_urls(down, instance, RECIPE, False)), methods=["GET"]),
            Route(recipe_v1 + "/upload_urls", with_jwt(v1_upload_urls(down, instance, RECIPE)), methods=["POST"]),
            Route(pkg_v1, with_jwt(v1_snapshot(pdown, instance, PACKAGE)), methods=["GET"]),
            Route(pkg_v1 + "/digest", with_jwt(v1_urls(pdown, instance, PACKAGE, True)), methods=["GET"]),
            Route(pkg_v1 + "/download_urls", with_jwt(v1_urls(pdown, instance, PACKAGE, False)), methods=["GET"]),
            Route(pkg_v1 + "/upload_urls", with_jwt(v1_upload_urls(pdown, instance, PACKAGE)), methods=["POST"]),
            # x_conan_server_capabilities_header: `revisions` where the Conan 2 routes serve the project (Conan 2
            # clients ping `/v1/ping` for it); the instance level has no Conan 2 routes
            Route(base + "/ping", ping("" if instance else "revisions"), methods=["GET"]),
            Route(base + "/users/authenticate", authenticate(auth_endpoint), methods=["GET"]),
            Route(base + "/users/check_credentials", with_jwt(check_credentials(auth_endpoint)), methods=["GET"]),
            Route(srch.path, with_jwt(search(srch, instance)), methods=["GET"]),
            Route(up.path, with_jwt(upload(up, RECIPE, False, instance)), methods=["PUT"]),
            Route(down.path, with_jwt(download(down, RECIPE, False, instance)), methods=["GET", "HEAD"]),
            Route(pup.path, with_jwt(upload(pup, PACKAGE, False, instance)), methods=["PUT"]),
            Route(pdown.path, with_jwt(download(pdown, PACKAGE, False, instance)), methods=["GET", "HEAD"]),
        ]
    return routes


ROUTES = _routes()
