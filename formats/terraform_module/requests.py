"""Terraform's requests: the upload GitLab documents (`curl --upload-file <module>.tgz` with PUT: the raw archive,
streamed), the project-level archive download, and the registry protocol's namespace-level module versions, the
version's download location (204, X-Terraform-Get) and the archive it names."""

from core.format_types import Artifact, RequestSpec

from .rules import DOWNLOAD, NAMESPACE_DOWNLOAD, NAMESPACE_FILE, SYSTEM, UPLOAD, VERSIONS


def upload(project_id: int | str, name: str, version: str, artifact: Artifact, system: str = SYSTEM) -> RequestSpec:
    """PUT the archive as `curl --upload-file` does (doc/user/packages/terraform_module_registry/index.md)."""
    path = UPLOAD.url_path(project_id=project_id, module_name=name, module_system=system, module_version=version)
    return RequestSpec(UPLOAD, path, headers={"Content-Type": "application/octet-stream"}, body=artifact.chunks(),
                       body_size=artifact.size)


def download(project_id: int | str, name: str, version: str, system: str = SYSTEM) -> RequestSpec:
    """The archive of one version, from the project (`GET .../:module_version`, no `terraform-get`)."""
    return RequestSpec(DOWNLOAD, DOWNLOAD.url_path(project_id=project_id, module_name=name, module_system=system,
                                                   module_version=version))


def versions(namespace: str, name: str, system: str = SYSTEM) -> RequestSpec:
    """The module's versions in the namespace (the registry protocol's `:namespace/:name/:system/versions`)."""
    return RequestSpec(VERSIONS, VERSIONS.url_path(module_namespace=namespace, module_name=name,
                                                   module_system=system))


def namespace_download(namespace: str, name: str, version: str, system: str = SYSTEM) -> RequestSpec:
    """Where a version's archive is: 204 and `X-Terraform-Get` (the protocol's `:version/download`)."""
    return RequestSpec(NAMESPACE_DOWNLOAD, NAMESPACE_DOWNLOAD.url_path(
        module_namespace=namespace, module_name=name, module_system=system, module_version=version))


def namespace_file(namespace: str, name: str, version: str, token: str, system: str = SYSTEM) -> RequestSpec:
    """The archive the download's X-Terraform-Get names (`file?token=<JWT>&archive=tgz`)."""
    return RequestSpec(NAMESPACE_FILE, NAMESPACE_FILE.url_path(
        module_namespace=namespace, module_name=name, module_system=system, module_version=version),
        params={"token": token, "archive": "tgz"})
