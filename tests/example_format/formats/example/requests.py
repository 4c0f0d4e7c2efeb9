"""The example format's requests: PUT a version's file, GET it back."""

from core.format_types import Artifact, RequestSpec

from .rules import DOWNLOAD, UPLOAD


def push(project_id: int | str, package_name: str, package_version: str, artifact: Artifact) -> RequestSpec:
    """PUT the version's file; the package is created with it."""
    path = UPLOAD.url_path(project_id=project_id, package_name=package_name, package_version=package_version,
                           file_name=artifact.file_name)
    return RequestSpec(UPLOAD, path, headers={"Content-Type": "application/octet-stream"}, body=artifact.chunks(),
                       body_size=artifact.size)


def pull(project_id: int | str, package_name: str, package_version: str, file_name: str) -> RequestSpec:
    """GET the version's file."""
    path = DOWNLOAD.url_path(project_id=project_id, package_name=package_name, package_version=package_version,
                             file_name=file_name)
    return RequestSpec(DOWNLOAD, path)
