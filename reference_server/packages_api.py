"""GitLab's Packages API (core/packages_api.py): list packages, list a package's files, delete either."""

import math
from urllib.parse import urlencode

import anyio
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from core.faults import Fault
from core.packages_api import DELETE_PACKAGE, DELETE_PACKAGE_FILE, LIST, PACKAGE_FILES
from core.vocabulary import Permission
from formats import OPERATIONS
from reference_server.access import authorize
from reference_server.db import ORDER_COLUMNS, PROCESSING, Database, Row
from reference_server.errors import ApiError, bad_request, not_found
from reference_server.metadata_cache import Check, Subject, metadata_response
from reference_server.settings import ServerSettings
from reference_server.storage import FileStore

# GitLab's package types, and every discovered format's own (a format from HARNESS_FORMAT_DIRS may be one GitLab
# does not have yet).
GITLAB_PACKAGE_TYPES = ("maven", "npm", "conan", "nuget", "pypi", "composer", "generic", "golang", "debian",
                        "rubygems", "helm", "terraform_module", "rpm", "ml_model")
PACKAGE_TYPES = tuple(dict.fromkeys([*GITLAB_PACKAGE_TYPES, *(ops.package_type for ops in OPERATIONS.values())]))
STATUSES = ("default", "hidden", "processing", "error", "pending_destruction")
LISTED_STATUSES = ("default", "processing", "error")  # what GitLab lists when no status is asked for
DEFAULT_PER_PAGE, MAX_PER_PAGE = 20, 100
SLOW_LIST_SECONDS = 2.1  # over both metadata-many thresholds (p95 500 ms, max 2000 ms)


def choice(request: Request, name: str, allowed: tuple[str, ...], default: str | None = None) -> str | None:
    value = request.query_params.get(name) or default
    if value is not None and value not in allowed:
        raise bad_request(f"{name} does not have a valid value: {', '.join(allowed)}")
    return value


def positive_int(request: Request, name: str, default: int) -> int:
    value = request.query_params.get(name)
    if value is None or value == "":
        return default
    if not value.isdigit() or int(value) < 1:
        raise ApiError(400, f"{name} is invalid", body={"error": f"{name} is invalid"})
    return int(value)


def paginated(request: Request, items: list[object], total: int, page: int, per_page: int) -> JSONResponse:
    """A JSON list with GitLab's pagination headers."""
    total_pages = max(1, math.ceil(total / per_page))
    headers = {"X-Total": str(total), "X-Total-Pages": str(total_pages), "X-Per-Page": str(per_page),
               "X-Page": str(page), "X-Next-Page": str(page + 1) if page < total_pages else "",
               "X-Prev-Page": str(page - 1) if page > 1 else ""}
    links = []
    for rel, number in (("prev", page - 1 if page > 1 else None), ("next", page + 1 if page < total_pages else None),
                        ("first", 1), ("last", total_pages)):
        if number is not None:
            query = urlencode({**request.query_params, "page": number, "per_page": per_page})
            links.append(f'<{request.url.replace(query=query)}>; rel="{rel}"')
    headers["Link"] = ", ".join(links)
    return JSONResponse(items, headers=headers)


def page_args(request: Request) -> tuple[int, int]:
    return positive_int(request, "page", 1), min(positive_int(request, "per_page", DEFAULT_PER_PAGE), MAX_PER_PAGE)


def package_json(request: Request, project: Row, package: Row) -> dict[str, object]:
    delete_path = DELETE_PACKAGE.url_path(project_id=project["id"], package_id=package["id"])
    return {
        "id": package["id"], "name": package["name"], "version": package["version"],
        "package_type": package["package_type"], "status": package["status"], "created_at": package["created_at"],
        "_links": {"web_path": f"/{project['full_path']}/-/packages/{package['id']}",
                   "delete_api_path": str(request.base_url).rstrip("/") + delete_path},
        "tags": [],
    }


def package_file_json(row: Row) -> dict[str, object]:
    return {"id": row["id"], "package_id": row["package_id"], "created_at": row["created_at"],
            "file_name": row["file_name"], "size": row["size"], "file_md5": row["file_md5"],
            "file_sha1": row["file_sha1"], "file_sha256": row["file_sha256"], "pipelines": []}


def find_package(request: Request, db: Database, project: Row) -> Row:
    package_id = request.path_params["package_id"]
    package = db.package(project["id"], int(package_id)) if package_id.isdigit() else None
    if package is None:
        raise not_found("Package")
    return package


async def list_packages(request: Request) -> Response:
    settings: ServerSettings = request.app.state.settings
    db: Database = request.app.state.db
    project = authorize(request, LIST, Permission.READ_PACKAGE).project
    package_type = choice(request, "package_type", PACKAGE_TYPES)
    status = choice(request, "status", STATUSES)
    order_by = choice(request, "order_by", tuple(ORDER_COLUMNS), "created_at")
    sort = choice(request, "sort", ("asc", "desc"), "asc")
    page, per_page = page_args(request)
    if settings.has(Fault.SLOW_LIST):
        await anyio.sleep(SLOW_LIST_SECONDS)
    statuses: tuple[str, ...] | None = (
        (status,) if status else None if settings.has(Fault.LIST_SHOWS_HIDDEN) else LISTED_STATUSES)
    if settings.has(Fault.PROCESSING_STUCK) and not status:  # the stuck version is in no listing but its own
        statuses = tuple(s for s in statuses or STATUSES if s != PROCESSING)

    def build(check: Check | None) -> Response:
        total, rows = db.list_packages(
            project["id"], package_type=package_type, name_contains=request.query_params.get("package_name"),
            version=request.query_params.get("package_version"), statuses=statuses,
            order_by=order_by or "created_at", sort=sort or "asc", limit=per_page, offset=(page - 1) * per_page,
            include_versionless=request.query_params.get("include_versionless") == "true")
        if check is not None:
            for row in rows:
                check(row)
        return paginated(request, [package_json(request, project, row) for row in rows], total, page, per_page)

    # The query string is part of the cache key (the URL), the list's statuses are the server's settings.
    return await metadata_response(request, ("packages", "list"), [project], Subject(package_type), build)


async def list_package_files(request: Request) -> Response:
    db: Database = request.app.state.db
    project = authorize(request, PACKAGE_FILES, Permission.READ_PACKAGE).project
    package = find_package(request, db, project)
    page, per_page = page_args(request)
    total, rows = db.package_files(package["id"], per_page, (page - 1) * per_page)
    return paginated(request, [package_file_json(row) for row in rows], total, page, per_page)


async def delete_package(request: Request) -> Response:
    db: Database = request.app.state.db
    store: FileStore = request.app.state.store
    project = authorize(request, DELETE_PACKAGE, Permission.DESTROY_PACKAGE).project
    package = find_package(request, db, project)
    db.delete_package(package["id"])
    await store.remove(store.package_dir(project["id"], package["id"]))
    return Response(status_code=204)


async def delete_package_file(request: Request) -> Response:
    db: Database = request.app.state.db
    store: FileStore = request.app.state.store
    project = authorize(request, DELETE_PACKAGE_FILE, Permission.DESTROY_PACKAGE).project
    package = find_package(request, db, project)
    file_id = request.path_params["file_id"]
    row = db.package_file(package["id"], int(file_id)) if file_id.isdigit() else None
    if row is None:
        raise not_found("Package file")
    db.delete_package_file(row["id"])
    await store.remove(store.file_path(project["id"], package["id"], row["id"], row["file_name"]).parent)
    return Response(status_code=204)


ROUTES = [
    Route(LIST.path, list_packages, methods=[LIST.method]),
    Route(PACKAGE_FILES.path, list_package_files, methods=[PACKAGE_FILES.method]),
    Route(DELETE_PACKAGE.path, delete_package, methods=[DELETE_PACKAGE.method]),
    Route(DELETE_PACKAGE_FILE.path, delete_package_file, methods=[DELETE_PACKAGE_FILE.method]),
]
