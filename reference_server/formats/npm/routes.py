"""GitLab's npm API (formats/npm/): publish, packument, tarball and dist-tags at the project level; packument and
dist-tags at the instance level, where the project is found by the package's scope.

A publish is refused before its body is read when the credential, the name or the declared length is wrong;
everything else (version, duplicate, size, the tarball itself) is in the JSON body, so it is read first (in
memory: a JSON body of a few hundred MiB is acceptable) and parsed, decoded and checked on a worker thread.
"""

import base64
import hashlib
import json
from collections.abc import Callable
from functools import partial
from typing import Any
from urllib.parse import unquote

import anyio
import anyio.to_thread
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from core.faults import Fault
from core.format_types import Endpoint
from core.vocabulary import Operation, Permission
from formats.npm import (
    DIST_TAG_ADD,
    DIST_TAG_REMOVE,
    DIST_TAGS,
    FORWARDING,
    INSTANCE_DIST_TAG_ADD,
    INSTANCE_DIST_TAG_REMOVE,
    INSTANCE_DIST_TAGS,
    INSTANCE_PACKUMENT,
    PACKUMENT,
    PUBLISH,
    RULES,
    TAG_PATTERN,
    TAG_RULE,
    TARBALL,
    forward_url,
    tarball_file_name,
    version_key,
)
from reference_server.access import Authorized, authenticate_for, check_protection
from reference_server.db import Database, Row
from reference_server.downloads import count_pull, file_response, served_file
from reference_server.duplicates import duplicate_refusal, duplicates_refused
from reference_server.errors import ApiError, bad_request, not_found, refused
from reference_server.formats.npm.lookup import (
    FORMAT,
    at_instance_level,
    at_project_level,
    dist_tags,
    package_name,
    packument,
    path_param,
)
from reference_server.formats.npm.publish import (
    Publication,
    check_dist,
    check_tarball,
    decode_attachment,
    publication,
    stored_manifest,
)
from reference_server.forwarding import forwarded
from reference_server.metadata_cache import Check, Subject, metadata_response
from reference_server.metrics import count_event
from reference_server.package_files import add_file, new_package_status, saving_package
from reference_server.settings import ServerSettings
from reference_server.storage import FileStore, ReceivedFile
from reference_server.transfers import declared_size, over_limit, size_limit

JSON_ALLOWANCE = 32 << 20  # bytes of JSON around the base64 tarball a publish body may carry
TAG_BODY_LIMIT = 1024

Locate = Callable[[Request, Endpoint, Permission], Authorized]


# --- publish ----------------------------------------------------------------------------------------------------


def body_limit(limit: int | None) -> int | None:
    """The largest body that can hold a tarball within `limit`: base64 (4/3) plus the JSON around it."""
    return None if limit is None else limit * 4 // 3 + 4 + JSON_ALLOWANCE


def body_too_large(size: int | None, cap: int, limit: int) -> ApiError:
    size_text = f"the request body ({size} bytes)" if size is not None else "the request body"
    return refused(413, f"{size_text} is over {cap} bytes, more than any npm publish document with a package "
                        f"within the npm limit of {limit} bytes can be")


def too_large(size: int, limit: int) -> ApiError:
    """GitLab: 400 'File is too large.' (the plan limit npm_max_file_size)."""
    return refused(RULES.too_large_status, f"File is too large. The package is {size} bytes, over the npm limit "
                                           f"of {limit} bytes")


async def read_body(request: Request, limit: int | None) -> bytearray:
    """The publish body, refused with 413 (by its declared length when it has one) once it cannot fit."""
    cap = body_limit(limit)
    size = declared_size(request)
    if cap is not None and limit is not None and size is not None and size > cap:
        raise body_too_large(size, cap, limit)
    body = bytearray()
    try:
        async for chunk in request.stream():
            body += chunk
            if cap is not None and limit is not None and len(body) > cap:
                raise body_too_large(None, cap, limit)
    except ClientDisconnect:
        raise bad_request("the client disconnected before the body was complete") from None
    return body


def parse_document(body: bytearray) -> Any:
    """The JSON document; the body's bytes are released once decoded, so at most two copies live at once."""
    try:
        text = body.decode("utf-8")
        body.clear()
        return json.loads(text)
    except ValueError:  # UnicodeDecodeError included
        raise bad_request("the body is not JSON: npm publishes a JSON document with versions, dist-tags and "
                          "_attachments") from None


def refuse_duplicate(request: Request, project: Row, name: str, version: str) -> None:
    settings: ServerSettings = request.app.state.settings
    db: Database = request.app.state.db
    if settings.has(Fault.IGNORE_REJECT_DUPLICATES) or not duplicates_refused(db, project, FORMAT, name, version):
        return
    package = db.find_package(project["id"], FORMAT, name, version)
    if package is not None and db.has_file_named(package["id"], tarball_file_name(name, version)):
        raise duplicate_refusal(FORMAT, f"npm allows one publish of {name}@{version} per project")


async def save(request: Request, project: Row, wanted: Publication, received: ReceivedFile,
               integrity: str) -> Row:
    """The package, its tarball, its package.json and its dist-tags, in one transaction."""
    db: Database = request.app.state.db
    name, version = wanted.name, wanted.version
    async with saving_package(request, project, FORMAT, name, version, new_package_status(request)) as package:
        refuse_duplicate(request, project, name, version)  # lost a race with an identical publish
        db.set_package_metadata(package["id"], stored_manifest(wanted, received, integrity))
        for tag in wanted.tags:
            db.set_tag(project["id"], FORMAT, name, tag, package["id"])
        add_file(request, project, package, tarball_file_name(name, version), received)
        return package


async def publish(request: Request) -> Response:
    settings: ServerSettings = request.app.state.settings
    store: FileStore = request.app.state.store
    limit = size_limit(request, FORMAT)
    body = await read_body(request, limit) if settings.has(Fault.READ_BODY_BEFORE_AUTH) else None
    granted = at_project_level(request, PUBLISH, Permission.CREATE_PACKAGE)
    project = granted.project
    if request.headers.get("npm-command") == "deprecate":
        raise bad_request("npm deprecate is not supported by the reference server (GitLab supports it)")
    name = package_name(request)
    if not settings.has(Fault.LOOSE_NAME_RULE) and (error := RULES.name_error(name)):
        raise bad_request(error)
    check_protection(request, PUBLISH, granted, name)
    if body is None:
        body = await read_body(request, limit)
    document = await anyio.to_thread.run_sync(parse_document, body)
    del body
    wanted = publication(document, name)
    refuse_duplicate(request, project, name, wanted.version)
    if limit is not None and over_limit(request, wanted.size, limit):
        raise too_large(wanted.size, limit)
    received, integrity = await anyio.to_thread.run_sync(decode_attachment, wanted.data, store.tmp)
    try:
        if not settings.has(Fault.NO_FORMAT_GUARD):
            await anyio.to_thread.run_sync(check_tarball, received.path, wanted)
        check_dist(wanted, received, integrity)
        package = await save(request, project, wanted, received, integrity)
    finally:
        store.discard(received)  # a no-op once the file was moved into place
    count_event(request, FORMAT, Operation.PUSH, granted.principal)
    return JSONResponse({"id": package["id"], "project_id": project["id"], "name": name, "version": wanted.version,
                         "package_type": FORMAT, "status": package["status"],
                         "created_at": package["created_at"]}, status_code=PUBLISH.success_status)


# --- packument and tarball --------------------------------------------------------------------------------------


def forward_missing(request: Request, endpoint: Endpoint) -> Response | None:
    """The project packument in GitLab's order (lib/api/npm_project_packages.rb): the caller is identified (a token
    GitLab cannot use is 401), the project is found without an access check (`project_or_nil`), and a package it
    does not have is redirected when its group forwards npm requests, before `authorize_read_package!`. The
    instance level finds no project for a missing package, so the instance's setting decides: here, none."""
    if endpoint is not PACKUMENT:
        return None
    db: Database = request.app.state.db
    authenticate_for(request, endpoint)
    project = db.project_by_ref(unquote(request.path_params["project_id"]))
    name = package_name(request)
    if project is None or db.packages_named(project["id"], FORMAT, name):
        return None
    return forwarded(request, FORWARDING, project["namespace_id"], FORMAT, forward_url(name))


async def read_packument(request: Request, endpoint: Endpoint, locate: Locate) -> Response:
    redirect = forward_missing(request, endpoint)
    if redirect is not None:
        return redirect
    granted = locate(request, endpoint, Permission.READ_PACKAGE)
    name = package_name(request)
    base_url = str(request.base_url).rstrip("/")

    def build(check: Check | None) -> Response:
        document = packument(request.app.state.db, base_url, granted.project, name, check)
        if document is None:
            raise not_found("Packages")
        return JSONResponse(_untruthful(request.app.state.settings, document))

    return await metadata_response(request, (FORMAT, endpoint.name, name, base_url), [granted.project],
                                   Subject(FORMAT, lambda stored: stored == name), build)


EMPTY_SHA1, EMPTY_SHA512 = hashlib.sha1(b"").hexdigest(), base64.b64encode(hashlib.sha512(b"").digest()).decode()


def _untruthful(settings: ServerSettings, document: dict[str, Any]) -> dict[str, Any]:
    """The packument as the metadata faults break it (unchanged without them)."""
    versions = document["versions"]
    if settings.has(Fault.METADATA_DROPS_NEWEST) and versions:
        del versions[max(versions, key=version_key)]
    for manifest in versions.values():
        dist = manifest["dist"]
        if settings.has(Fault.METADATA_WRONG_CHECKSUMS):
            dist["shasum"], dist["integrity"] = EMPTY_SHA1, f"sha512-{EMPTY_SHA512}"
        if settings.has(Fault.METADATA_WRONG_FILE_URL):
            dist["tarball"] = dist["tarball"].replace(".tgz", "-missing.tgz")
    return document


def version_in(name: str, file_name: str) -> str | None:
    """`1.0.0` from `<name>-1.0.0.tgz`, or None when the file name is not one of this package's."""
    prefix, suffix = f"{name}-", ".tgz"
    if not (file_name.startswith(prefix) and file_name.endswith(suffix)):
        return None
    return file_name[len(prefix):-len(suffix)] or None


async def download(request: Request) -> Response:
    db: Database = request.app.state.db
    granted = at_project_level(request, TARBALL, Permission.READ_PACKAGE)
    project = granted.project
    name, file_name = package_name(request), path_param(request, "file_name")
    version = version_in(name, file_name)
    package = db.find_package(project["id"], FORMAT, name, version) if version else None
    row = served_file(request, package, file_name)
    if row is None:
        raise not_found("Package")
    count_pull(request, FORMAT, granted.principal)
    return file_response(request, project["id"], row)


# --- dist-tags --------------------------------------------------------------------------------------------------


async def list_dist_tags(request: Request, endpoint: Endpoint, locate: Locate) -> Response:
    granted = locate(request, endpoint, Permission.READ_PACKAGE)
    db: Database = request.app.state.db
    name = package_name(request)
    versions = [p["version"] for p in db.packages_named(granted.project["id"], FORMAT, name)]
    if not versions:
        raise not_found("Package")
    return JSONResponse(dist_tags(db, granted.project, name, versions))


def tag_of(request: Request) -> str:
    tag = path_param(request, "tag")
    if not TAG_PATTERN.fullmatch(tag):
        raise bad_request(f"tag {tag!r} is invalid: {TAG_RULE}")
    return tag


def tagged_version(body: bytes) -> str:
    """`npm dist-tag add` sends the version as a JSON string; a bare version is read too."""
    text = body.decode("utf-8", errors="replace").strip()
    try:
        value = json.loads(text)
    except ValueError:
        value = text
    if not isinstance(value, str) or not value:
        raise bad_request("Version is missing: the body must be the version to tag, as a JSON string")
    if error := RULES.version_error(value):
        raise bad_request(error)
    return value


async def add_dist_tag(request: Request, endpoint: Endpoint, locate: Locate) -> Response:
    granted = locate(request, endpoint, Permission.CREATE_PACKAGE)
    db: Database = request.app.state.db
    name, tag = package_name(request), tag_of(request)
    body = await request.body()
    if len(body) > TAG_BODY_LIMIT:
        raise bad_request(f"the body must be the version to tag (at most {TAG_BODY_LIMIT} bytes)")
    version = tagged_version(body)
    package = db.find_package(granted.project["id"], FORMAT, name, version)
    if package is None:
        raise not_found("Package")
    db.set_tag(granted.project["id"], FORMAT, name, tag, package["id"])
    return Response(status_code=endpoint.success_status)


async def remove_dist_tag(request: Request, endpoint: Endpoint, locate: Locate) -> Response:
    granted = locate(request, endpoint, Permission.DESTROY_PACKAGE)
    db: Database = request.app.state.db
    if not db.delete_tag(granted.project["id"], FORMAT, package_name(request), tag_of(request)):
        raise not_found("Package tag")
    return Response(status_code=endpoint.success_status)


def _route(endpoint: Endpoint, handler: Callable[..., Any], locate: Locate | None = None) -> Route:
    bound = handler if locate is None else partial(handler, endpoint=endpoint, locate=locate)
    return Route(endpoint.path, bound, methods=[endpoint.method])


# Order matters: the `-/package/…` and `…/-/…` routes come before the packument's catch-all name.
ROUTES = [
    _route(DIST_TAGS, list_dist_tags, at_project_level),
    _route(DIST_TAG_ADD, add_dist_tag, at_project_level),
    _route(DIST_TAG_REMOVE, remove_dist_tag, at_project_level),
    _route(TARBALL, download),
    _route(PUBLISH, publish),
    _route(PACKUMENT, read_packument, at_project_level),
    _route(INSTANCE_DIST_TAGS, list_dist_tags, at_instance_level),
    _route(INSTANCE_DIST_TAG_ADD, add_dist_tag, at_instance_level),
    _route(INSTANCE_DIST_TAG_REMOVE, remove_dist_tag, at_instance_level),
    _route(INSTANCE_PACKUMENT, read_packument, at_instance_level),
]
