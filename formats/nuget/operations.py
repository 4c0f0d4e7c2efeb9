"""NuGet's FormatOperations: what the engine and Locust users call."""

from core.format_types import Artifact, FormatOperations, RequestSpec

from . import requests
from .artifacts import build_nupkg, not_a_package
from .names import stored_file_name
from .rules import NUGET, PACKAGE_TYPE


class NugetOperations(FormatOperations):
    """NuGet's operations: a push is the v3 publish of a `.nupkg` (multipart field `package`), a pull the package
    content, the metadata document the registration index, and the group's registration index its group-level
    metadata (the group feed has no content download: clients take `packageContent` from the registration, a
    project URL)."""

    format = NUGET
    package_type = PACKAGE_TYPE

    def artifact(self, name: str, version: str, file_hint: str, size: int, seed: int) -> Artifact:
        """A real `.nupkg` (the hint is ignored: GitLab names the file after the .nuspec's id and version)."""
        return build_nupkg(name, version, size, seed)

    def invalid_artifact(self, name: str, version: str) -> Artifact:
        """Named as the version's package, but no zip with a .nuspec: GitLab answers 400 (ExtractionError)."""
        return not_a_package(name, version)

    def push(self, project_id: int | str, name: str, version: str, artifact: Artifact, *,
             status: str | None = None, select: str | None = None) -> list[RequestSpec]:
        if status is not None or select is not None:
            raise ValueError("NuGet publishes have no status or select option (those are Generic's)")
        return [requests.publish(project_id, artifact)]

    def pull(self, project_id: int | str, name: str, version: str, file_name: str) -> RequestSpec:
        return requests.download(project_id, name, version, file_name)

    def file_name(self, name: str, version: str, file_hint: str) -> str:
        return stored_file_name(name, version)

    def metadata(self, project_id: int | str, name: str) -> RequestSpec:
        return requests.registration(project_id, name)

    def group_metadata(self, group_id: int | str, name: str) -> RequestSpec:
        return requests.group_registration(group_id, name)

    def duplicate_checked_before_body(self) -> bool:
        """False: the package's id and version are in the .nuspec inside the uploaded archive."""
        return False


OPERATIONS = NugetOperations()
