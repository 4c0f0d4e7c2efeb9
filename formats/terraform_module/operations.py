"""Terraform's FormatOperations: what the engine and Locust users call."""

import json
from urllib.parse import urlsplit

from core import project_urls
from core.format_types import Artifact, FormatOperations, MetadataEntry, RequestSpec

from . import requests
from .artifacts import build_module, file_name
from .rules import PACKAGE_TYPE, SYSTEM, TERRAFORM_MODULE


def namespace_of(project_id: int | str) -> str:
    """The project's top-level group's path (the registry's `:module_namespace`), from the web URL provisioning
    recorded: the first segment of the project's path."""
    path = urlsplit(project_urls.web_url(project_id)).path.strip("/")
    if "/" not in path:
        raise LookupError(f"project {project_id}: its web URL names no group ({path!r})")
    return path.split("/", 1)[0]


class TerraformModuleOperations(FormatOperations):
    """Terraform's operations. A module is published per project (`PUT .../file`) and pulled from the project
    (`GET .../:version`, the archive); its metadata document is the registry protocol's versions list, read at the
    namespace level (the project's top-level group), as `terraform init` reads it."""

    format = TERRAFORM_MODULE
    package_type = PACKAGE_TYPE
    no_format_guard = ("GitLab stores any file as the module's archive: the upload checks only the name, version "
                       "and size (create_package_service.rb), and ProcessPackageFileWorker, which reads the README "
                       "and variables afterwards, logs a file it cannot read and leaves the package installable")

    def artifact(self, name: str, version: str, file_hint: str, size: int, seed: int) -> Artifact:
        return build_module(name, version, size, seed)

    def push(self, project_id: int | str, name: str, version: str, artifact: Artifact, *,
             status: str | None = None, select: str | None = None) -> list[RequestSpec]:
        if status is not None or select is not None:
            raise ValueError("Terraform module uploads have no status or select option (those are Generic's)")
        return [requests.upload(project_id, name, version, artifact)]

    def pull(self, project_id: int | str, name: str, version: str, file_name: str) -> RequestSpec:
        return requests.download(project_id, name, version)

    def file_name(self, name: str, version: str, file_hint: str) -> str:
        return file_name(name, version)

    def package_name(self, name: str) -> str:
        """GitLab names the package `<module_name>/<module_system>`."""
        return f"{name}/{SYSTEM}"

    def metadata(self, project_id: int | str, name: str) -> RequestSpec:
        return requests.versions(namespace_of(project_id), name)

    def metadata_entries(self, document: bytes, name: str) -> list[MetadataEntry]:
        """The registry protocol's versions document: versions only (the download URL comes from a request per
        version, `X-Terraform-Get`)."""
        try:
            modules = json.loads(document)["modules"]
            return [MetadataEntry(str(v["version"])) for module in modules for v in module.get("versions") or []]
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"not a module registry versions document: {exc}") from None


OPERATIONS = TerraformModuleOperations()
