"""GitLab's PyPI API: upload (see upload.py), simple index pages and file downloads, per project and per group.

Simple pages link each file to `.../files/<sha256>/<file name>` on the host the request came to (so a recording
proxy in front sees the download too), with `#sha256=` and `data-requires-python`. Package names are looked up
normalized (PEP 503), so `/simple/My.Pkg` and `/simple/my-pkg` are the same page. Each simple route also answers
with a trailing slash, the form pip and uv request. The pypi_file_links_public fault serves a private project's
file download to anonymous requests.
"""

import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import replace

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from core.faults import Fault
from core.format_types import Endpoint
from core.vocabulary import Permission
from formats.pypi import (
    DOWNLOAD,
    FORMAT,
    FORWARDING,
    GROUP_DOWNLOAD,
    GROUP_SIMPLE_INDEX,
    GROUP_SIMPLE_PACKAGE,
    SIMPLE_INDEX,
    SIMPLE_PACKAGE,
    UPLOAD,
    forward_url,
    normalize_name,
    parse_file_name,
)
from reference_server.access import authorize_on
from reference_server.auth import Principal
from reference_server.db import Database, Row
from reference_server.downloads import count_pull, file_response
from reference_server.errors import not_found
from reference_server.formats.pypi.access import (
    FILES_PER_PACKAGE,
    authorize_group,
    authorize_project,
    find_file,
    principal_for,
    project_of,
    pypi_packages,
)
from reference_server.formats.pypi.simple import FileLink, ProjectLink, index_page, package_page, wants_json
from reference_server.formats.pypi.upload import upload
from reference_server.forwarding import forwarded
from reference_server.metadata_cache import Check, Subject, metadata_response
from reference_server.settings import ServerSettings


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _project_links(request: Request, projects: list[Row], page: Endpoint, check: Check | None,
                   **where: object) -> list[ProjectLink]:
    db: Database = request.app.state.db
    links: dict[str, ProjectLink] = {}
    for project in projects:
        for package in pypi_packages(db, project["id"]):
            if check is not None:
                check(package)
            normalized = normalize_name(package["name"])
            url = _base(request) + page.url_path(**where, package_name=normalized)
            links.setdefault(normalized, ProjectLink(package["name"], normalized, url))
    return sorted(links.values(), key=lambda link: link.normalized)


def _file_links(request: Request, projects: list[Row], normalized: str, files: Endpoint, check: Check | None,
                **where: object) -> list[FileLink]:
    """Every file of every version, oldest first: three queries per project, whatever the number of versions."""
    db: Database = request.app.state.db
    base = _base(request)
    links = []
    for project in projects:
        packages = pypi_packages(db, project["id"], normalized)
        ids = [package["id"] for package in packages]
        metadata, stored = db.metadata_of(ids), db.files_of(ids)
        for package in packages:
            if check is not None:
                check(package)
            requires_python = (metadata.get(package["id"]) or {}).get("requires_python") or None
            for row in stored[package["id"]][:FILES_PER_PACKAGE]:
                url = base + files.url_path(**where, sha256=row["file_sha256"], file_name=row["file_name"])
                links.append(FileLink(row["file_name"], url, row["file_sha256"], requires_python))
    if not links:
        raise not_found("Package")
    return _untruthful(request.app.state.settings, links)


def _untruthful(settings: ServerSettings, links: list[FileLink]) -> list[FileLink]:
    """The simple page's links as the metadata faults break them (unchanged without them)."""
    if settings.has(Fault.METADATA_DROPS_NEWEST):
        def version(link: FileLink) -> str | None:
            parsed = parse_file_name(link.file_name)
            return parsed.version if parsed else None

        links = [link for link in links if version(link) != version(links[-1])] or links
    if settings.has(Fault.METADATA_WRONG_CHECKSUMS):
        links = [replace(link, sha256=hashlib.sha256(b"").hexdigest()) for link in links]
    if settings.has(Fault.METADATA_WRONG_FILE_URL):
        links = [replace(link, url=link.url.replace(link.sha256, hashlib.sha256(b"missing").hexdigest()))
                 for link in links]
    return links


def _all_names() -> Subject:
    return Subject(FORMAT)


def _named(normalized: str) -> Subject:
    return Subject(FORMAT, lambda name: normalize_name(name) == normalized)


async def _index(request: Request, projects: list[Row], page: Endpoint, **where: object) -> Response:
    def build(check: Check | None) -> Response:
        return index_page(request, _project_links(request, projects, page, check, **where))

    return await metadata_response(request, (FORMAT, "simple_index", wants_json(request)), projects, _all_names(),
                                   build)


async def _package(request: Request, projects: list[Row], files: Endpoint, **where: object) -> Response:
    normalized = normalize_name(request.path_params["package_name"])

    def build(check: Check | None) -> Response:
        return package_page(request, normalized, _file_links(request, projects, normalized, files, check, **where))

    return await metadata_response(request, (FORMAT, "simple_package", normalized, wants_json(request)), projects,
                                   _named(normalized), build)


def forward_missing(request: Request, projects: list[Row], namespace_id: int) -> Response | None:
    """A package none of the caller's readable projects has, once the caller may read (GitLab's
    `present_simple_package`: `authorize_read_package!`, then `redirect_registry_request` on an empty result):
    PyPI's page for the name as requested, when the group (`namespace_id`) forwards PyPI requests."""
    db: Database = request.app.state.db
    name = request.path_params["package_name"]
    normalized = normalize_name(name)
    if any(pypi_packages(db, project["id"], normalized) for project in projects):
        return None
    return forwarded(request, FORWARDING, namespace_id, FORMAT, forward_url(name))


async def simple_index(request: Request) -> Response:
    project = authorize_project(request, SIMPLE_INDEX, Permission.READ_PACKAGE).project
    return await _index(request, [project], SIMPLE_PACKAGE, project_id=project["id"])


async def simple_package(request: Request) -> Response:
    project = authorize_project(request, SIMPLE_PACKAGE, Permission.READ_PACKAGE).project
    redirect = forward_missing(request, [project], project["namespace_id"])
    if redirect is not None:
        return redirect
    return await _package(request, [project], DOWNLOAD, project_id=project["id"])


async def group_simple_index(request: Request) -> Response:
    access = authorize_group(request, GROUP_SIMPLE_INDEX)
    return await _index(request, access.projects, GROUP_SIMPLE_PACKAGE, group_id=access.group["id"])


async def group_simple_package(request: Request) -> Response:
    access = authorize_group(request, GROUP_SIMPLE_PACKAGE)
    redirect = forward_missing(request, access.projects, access.group["id"])
    if redirect is not None:
        return redirect
    return await _package(request, access.projects, GROUP_DOWNLOAD, group_id=access.group["id"])


def _serve(request: Request, projects: list[Row], principal: Principal | None) -> Response:
    db: Database = request.app.state.db
    found = find_file(db, projects, request.path_params["sha256"], request.path_params["file_name"])
    if found is None:
        raise not_found("Package")
    count_pull(request, FORMAT, principal)
    # A file is found by its name and sha256 (no oldest_file_wins); the corrupt_download fault never applied here.
    return file_response(request, found.project["id"], found.row, named=True, corruptible=False)


async def download(request: Request) -> Response:
    settings: ServerSettings = request.app.state.settings
    principal = principal_for(request, DOWNLOAD)
    project = project_of(request)
    if settings.has(Fault.PYPI_FILE_LINKS_PUBLIC) and principal is None and project is not None:
        return _serve(request, [project], None)
    granted = authorize_on(request, DOWNLOAD, Permission.READ_PACKAGE, project, principal)
    return _serve(request, [granted.project], granted.principal)


async def group_download(request: Request) -> Response:
    access = authorize_group(request, GROUP_DOWNLOAD)
    return _serve(request, access.projects, access.principal)


def _get(endpoint: Endpoint, handler: Callable[[Request], Awaitable[Response]], *, slash: bool = False) -> list[Route]:
    paths = [endpoint.path, endpoint.path + "/"] if slash else [endpoint.path]
    return [Route(path, handler, methods=["GET"]) for path in paths]


ROUTES = [
    Route(UPLOAD.path, upload, methods=[UPLOAD.method]),
    *_get(SIMPLE_INDEX, simple_index, slash=True),
    *_get(SIMPLE_PACKAGE, simple_package, slash=True),
    *_get(DOWNLOAD, download),
    *_get(GROUP_SIMPLE_INDEX, group_simple_index, slash=True),
    *_get(GROUP_SIMPLE_PACKAGE, group_simple_package, slash=True),
    *_get(GROUP_DOWNLOAD, group_download),
]
