"""GitLab's format-independent Packages API (list, package files, delete), shared by every format."""

from core.endpoints import Endpoint, RequestSpec
from core.route_auth import PACKAGES_API_ROUTE
from core.vocabulary import Operation

# The Packages API uses GitLab's standard API authentication (core.route_auth.PACKAGES_API_ROUTE): personal, project
# access and job tokens, in their header or as Bearer. Deploy tokens and HTTP Basic are not read there.

LIST = Endpoint(
    name="list_packages",
    method="GET",
    path="/api/v4/projects/{project_id}/packages",
    operation=Operation.LIST,
    success_status=200,
    auth=PACKAGES_API_ROUTE,
)
PACKAGE_FILES = Endpoint(
    name="list_package_files",
    method="GET",
    path="/api/v4/projects/{project_id}/packages/{package_id}/package_files",
    operation=Operation.LIST,
    success_status=200,
    auth=PACKAGES_API_ROUTE,
)
DELETE_PACKAGE = Endpoint(
    name="delete_package",
    method="DELETE",
    path="/api/v4/projects/{project_id}/packages/{package_id}",
    operation=Operation.DELETE,
    success_status=204,
    auth=PACKAGES_API_ROUTE,
)
DELETE_PACKAGE_FILE = Endpoint(
    name="delete_package_file",
    method="DELETE",
    path="/api/v4/projects/{project_id}/packages/{package_id}/package_files/{file_id}",
    operation=Operation.DELETE,
    success_status=204,
    auth=PACKAGES_API_ROUTE,
)

ENDPOINTS = {e.name: e for e in (LIST, PACKAGE_FILES, DELETE_PACKAGE, DELETE_PACKAGE_FILE)}


def list_packages(
    project_id: int | str,
    *,
    package_type: str | None = None,
    package_name: str | None = None,
    package_version: str | None = None,
    per_page: int = 100,
    page: int = 1,
    status: str | None = None,
) -> RequestSpec:
    params = {"per_page": str(per_page), "page": str(page), "order_by": "created_at", "sort": "asc"}
    for key, value in (("package_type", package_type), ("package_name", package_name),
                       ("package_version", package_version), ("status", status)):
        if value is not None:
            params[key] = value
    return RequestSpec(LIST, LIST.url_path(project_id=project_id), params=params)


def list_package_files(project_id: int | str, package_id: int) -> RequestSpec:
    return RequestSpec(PACKAGE_FILES, PACKAGE_FILES.url_path(project_id=project_id, package_id=package_id),
                       params={"per_page": "100"})


def delete_package(project_id: int | str, package_id: int) -> RequestSpec:
    return RequestSpec(DELETE_PACKAGE, DELETE_PACKAGE.url_path(project_id=project_id, package_id=package_id))


def delete_package_file(project_id: int | str, package_id: int, file_id: int) -> RequestSpec:
    path = DELETE_PACKAGE_FILE.url_path(project_id=project_id, package_id=package_id, file_id=file_id)
    return RequestSpec(DELETE_PACKAGE_FILE, path)
