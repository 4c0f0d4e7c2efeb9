"""Generic's requests: PUT a file, GET it back, find packages by name."""

from core import packages_api
from core.format_types import Artifact, RequestSpec
from formats.generic.rules import DOWNLOAD, PACKAGE_TYPE, UPLOAD


def push(
    project_id: int | str,
    package_name: str,
    package_version: str,
    file_name: str,
    artifact: Artifact,
    *,
    status: str | None = None,
    select: str | None = None,
) -> RequestSpec:
    """PUT one file; the package is created when it does not exist yet."""
    params = {}
    if status is not None:
        params["status"] = status
    if select is not None:
        params["select"] = select
    path = UPLOAD.url_path(project_id=project_id, package_name=package_name,
                           package_version=package_version, file_name=file_name)
    return RequestSpec(UPLOAD, path, params=params, headers={"Content-Type": "application/octet-stream"},
                       body=artifact.chunks(), body_size=artifact.size)


def pull(project_id: int | str, package_name: str, package_version: str, file_name: str) -> RequestSpec:
    """GET the most recent file with this name in this package name and version."""
    path = DOWNLOAD.url_path(project_id=project_id, package_name=package_name,
                             package_version=package_version, file_name=file_name)
    return RequestSpec(DOWNLOAD, path)


def search(project_id: int | str, package_name: str) -> RequestSpec:
    """The Packages API filtered to Generic packages whose name contains `package_name`."""
    return packages_api.list_packages(project_id, package_type=PACKAGE_TYPE, package_name=package_name)
