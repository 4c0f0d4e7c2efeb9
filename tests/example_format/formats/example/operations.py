"""The example format's FormatOperations: what the engine and Locust users call. Everything not defined here keeps
FormatOperations' default: search through the Packages API, no metadata document, no tags, no group or instance
level, no format guard."""

from core.format_types import Artifact, FormatOperations, RequestSpec
from formats.generic.artifacts import GeneratedFile

from . import requests
from .artifacts import artifact
from .rules import EXAMPLE, PACKAGE_TYPE


class ExampleOperations(FormatOperations):
    no_format_guard = "the example format stores raw bytes: there is no package format to guard"

    format = EXAMPLE
    package_type = PACKAGE_TYPE

    def artifact(self, name: str, version: str, file_hint: str, size: int, seed: int) -> GeneratedFile:
        return artifact(name, version, size, seed)  # the file name is the format's, not the scenario's hint

    def push(self, project_id: int | str, name: str, version: str, artifact: Artifact, *,
             status: str | None = None, select: str | None = None) -> list[RequestSpec]:
        return [requests.push(project_id, name, version, artifact)]  # no GitLab options: status, select are Generic's

    def pull(self, project_id: int | str, name: str, version: str, file_name: str) -> RequestSpec:
        return requests.pull(project_id, name, version, file_name)


OPERATIONS = ExampleOperations()
