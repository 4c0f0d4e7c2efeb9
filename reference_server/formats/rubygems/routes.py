"""GitLab's RubyGems API (lib/api/rubygem_packages.rb): `gem push`, the dependency API, `.gem` downloads, and the
routes GitLab declares but answers 404 (the spec indexes and quick gemspecs, "To be implemented").

A push is stored as GitLab stores it: a `processing` package named `Gem.Temporary.Package`, version `0.0.0-<uuid>`,
holding the upload as `package.gem`, answered 201 before the file is read; the extraction then runs in the
background (a Starlette BackgroundTask, as Packages::Rubygems::ExtractionWorker runs after the response): the
gemspec is read from the file, the package of that name and version is found or created (`default`), the file
joins it as `<name>-<version>.gem` with the Ruby gemspec beside it and the dependencies recorded, and the temporary
package goes. A file that is no gem destroys the temporary package (ExtractionWorker's `rescue ExtractionError`).
"""

import hashlib
import os
import shutil
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

from starlette.background import BackgroundTask
from starlette.datastructures import State
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from core.faults import Fault
from core.format_types import Endpoint
from core.vocabulary import Operation, Permission
from formats.rubygems.marshal import Symbol, dump
from formats.rubygems.names import gem_file_name, gemspec_file_name
from formats.rubygems.rules import (
    DEFAULT_PLATFORM,
    DEPENDENCIES,
    DOWNLOAD,
    FORMAT,
    PACKAGE_FILENAME,
    PUSH,
    QUICK_GEMSPEC,
    SPEC_INDEX,
    TEMPORARY_PACKAGE_NAME,
    TEMPORARY_VERSION_PREFIX,
)
from reference_server.access import authorize
from reference_server.db import Database, Row
from reference_server.downloads import count_pull, file_response
from reference_server.errors import ApiError, not_found
from reference_server.formats.rubygems.gems import GemError, read_gem
from reference_server.metadata_cache import Check, Subject, metadata_response
from reference_server.metrics import count_event
from reference_server.package_files import add_file, new_package_status, saving_package
from reference_server.settings import ServerSettings
from reference_server.storage import FileStore
from reference_server.transfers import body_before_auth, receive_body, refuse_oversized


async def push(request: Request) -> Response:
    """`post 'gems'`: authorize_upload!, the size limit (Workhorse's, from gems/authorize), the temporary package and
    its `package.gem` in one transaction, 201, then the extraction in the background."""
    store: FileStore = request.app.state.store
    received = await body_before_auth(request)
    try:
        granted = authorize(request, PUSH, Permission.CREATE_PACKAGE)
        project = granted.project
        limit = refuse_oversized(request, FORMAT, received)
        if received is None:
            received = await receive_body(request, FORMAT, limit)
        version = TEMPORARY_VERSION_PREFIX + str(uuid.uuid4())
        async with saving_package(request, project, FORMAT, TEMPORARY_PACKAGE_NAME, version,
                                  new_package_status(request, "processing")) as package:
            row = add_file(request, project, package, PACKAGE_FILENAME, received)
    finally:
        store.discard(received)  # a no-op once the file was moved into place
    count_event(request, FORMAT, Operation.PUSH, granted.principal)
    settings: ServerSettings = request.app.state.settings
    task = None if settings.has(Fault.PROCESSING_STUCK) else BackgroundTask(
        extract, request.app.state, int(project["id"]), int(package["id"]), int(row["id"]))
    return JSONResponse({"message": "201 Created"}, status_code=201, background=task)


def _place_copy(source: Path, destination: Path) -> None:
    destination.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, destination)
    except OSError:
        shutil.copyfile(source, destination)


def extract(state: State, project_id: int, temp_id: int, file_id: int) -> None:
    """ProcessGemService#execute for the upload `file_id` of the temporary package `temp_id`."""
    db: Database = state.db
    store: FileStore = state.store
    upload = db.package_file(temp_id, file_id)
    if upload is None:
        return
    source = store.file_path(project_id, temp_id, file_id, PACKAGE_FILENAME)
    temp_dir = store.package_dir(project_id, temp_id)
    try:
        spec = read_gem(source)
    except GemError:
        if state.settings.has(Fault.BACKGROUND_GUARD_SKIPPED):  # the fault: the non-gem stays, installable
            db.set_package_status(temp_id, "default")
            return
        db.delete_package(temp_id)  # ExtractionWorker: `package_file.package.destroy!`
        shutil.rmtree(temp_dir, ignore_errors=True)
        return
    file_name = gem_file_name(spec.name, spec.version, spec.platform)
    gemspec = spec.to_ruby().encode()
    with db.transaction():
        package = db.get_or_create_package(project_id, FORMAT, spec.name, spec.version, "default")
        db.set_package_status(package["id"], "default")
        gem_row = db.add_package_file(package["id"], file_name, upload["size"], upload["file_md5"],
                                      upload["file_sha1"], upload["file_sha256"])
        _place_copy(source, store.file_path(project_id, package["id"], gem_row["id"], file_name))
        spec_row = db.add_package_file(package["id"], gemspec_file_name(spec.name), len(gemspec),
                                       hashlib.md5(gemspec).hexdigest(), hashlib.sha1(gemspec).hexdigest(),
                                       hashlib.sha256(gemspec).hexdigest())
        spec_path = store.file_path(project_id, package["id"], spec_row["id"], gemspec_file_name(spec.name))
        spec_path.parent.mkdir(parents=True, exist_ok=True)
        spec_path.write_bytes(gemspec)
        db.set_package_metadata(package["id"], {
            "rubygems": spec.metadatum(),
            "dependencies": [[d.name, d.requirement, d.type] for d in spec.dependencies],
        })
        db.delete_package(temp_id)
    shutil.rmtree(temp_dir, ignore_errors=True)


def _entries(request: Request, project: Row, gem_name: str, check: Check | None) -> list[dict[Symbol, object]]:
    """DependencyResolverService's payload for one gem: each version with its dependencies, or 404."""
    settings: ServerSettings = request.app.state.settings
    db: Database = request.app.state.db
    packages = db.packages_named(project["id"], FORMAT, gem_name)
    if settings.has(Fault.RUBYGEMS_DEPENDENCIES_OMIT_NEWEST) and packages:
        packages = packages[:-1]
    if not packages:
        raise ApiError(404, f"{gem_name} not found")  # render_api_error!("#{gem_name} not found", :not_found)
    metadata = db.metadata_of([p["id"] for p in packages])
    entries = []
    for package in packages:
        if check is not None:
            check(package)
        links = (metadata.get(package["id"]) or {}).get("dependencies") or []
        entries.append({Symbol("name"): gem_name, Symbol("number"): package["version"],
                        Symbol("platform"): DEFAULT_PLATFORM,
                        Symbol("dependencies"): [[link[0], link[1]] for link in links]})
    return entries


async def dependencies(request: Request) -> Response:
    """`get 'dependencies'`: 200 with an empty body without `gems` (Bundler's probe); else Marshal.dump of every
    version of every gem asked for, 404 at the first gem the project does not have."""
    project = authorize(request, DEPENDENCIES, Permission.READ_PACKAGE).project
    names = [n for n in request.query_params.get("gems", "").split(",") if n]
    if not names:
        return Response(b"", status_code=200, media_type="application/octet-stream")

    def build(check: Check | None) -> Response:
        try:
            results = [entry for name in names for entry in _entries(request, project, name, check)]
        except ApiError as error:
            return JSONResponse(error.body, status_code=error.status)
        return Response(dump(results), media_type="application/octet-stream")

    wanted = set(names)
    return await metadata_response(request, (FORMAT, "dependencies", tuple(names)), [project],
                                   Subject(FORMAT, lambda name: name in wanted), build)


async def download(request: Request) -> Response:
    """`get 'gems/:file_name'`: the newest installable file of that name among the project's gems
    (`for_rubygem_with_file_name(...).installable.last!`)."""
    db: Database = request.app.state.db
    granted = authorize(request, DOWNLOAD, Permission.READ_PACKAGE)
    project = granted.project
    file_name = request.path_params["file_name"]
    newest: Row | None = None
    # a gem's files are named after its package (ProcessGemService#rename_package_file), so only the packages whose
    # name and version spell the file name can hold it: one query for the project's gems, one per candidate
    candidates = [p for p in db.packages_of_type(project["id"], FORMAT)
                  if file_name.startswith(f"{p['name']}-{p['version']}") or not file_name.endswith(".gem")]
    for package in candidates:
        row = db.file_named(package["id"], file_name)
        if row is not None and (newest is None or row["id"] > newest["id"]):
            newest = row
    if newest is None:
        raise not_found()
    count_pull(request, FORMAT, granted.principal)
    return file_response(request, project["id"], newest)


def unimplemented(endpoint: Endpoint) -> Callable[[Request], Awaitable[Response]]:
    async def route(request: Request) -> Response:
        """`not_found!` once `user_project(action: :read_package)` found the project: "To be implemented"."""
        authorize(request, endpoint, Permission.READ_PACKAGE)
        raise not_found()

    return route


ROUTES = [
    Route(PUSH.path, push, methods=["POST"]),
    Route(DEPENDENCIES.path, dependencies, methods=["GET"]),
    Route(DOWNLOAD.path, download, methods=["GET"]),
    Route(QUICK_GEMSPEC.path, unimplemented(QUICK_GEMSPEC), methods=["GET"]),
    Route(SPEC_INDEX.path, unimplemented(SPEC_INDEX), methods=["GET"]),
]
