"""Generic's FormatOperations: what the engine and Locust users call."""

from core.format_types import Artifact, FormatOperations, RequestSpec
from formats.generic import requests
from formats.generic.artifacts import GeneratedFile
from formats.generic.rules import GENERIC, PACKAGE_TYPE


class GenericOperations(FormatOperations):
    no_format_guard = "the Generic registry takes any file by design: there is no package format to guard"

    format = GENERIC
    package_type = PACKAGE_TYPE

    def artifact(self, name: str, version: str, file_hint: str, size: int, seed: int) -> GeneratedFile:
        return GeneratedFile(size=size, seed=seed, file_name=file_hint)

    def push(self, project_id: int | str, name: str, version: str, artifact: Artifact, *,
             status: str | None = None, select: str | None = None) -> list[RequestSpec]:
        return [requests.push(project_id, name, version, artifact.file_name, artifact, status=status,
                              select=select)]

    def pull(self, project_id: int | str, name: str, version: str, file_name: str) -> RequestSpec:
        return requests.pull(project_id, name, version, file_name)


OPERATIONS = GenericOperations()
