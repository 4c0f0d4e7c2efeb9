"""NuGet's FormatOperations: what the engine and Locust users call."""

import json

from core.format_types import Artifact, FormatOperations, MetadataEntry, RequestSpec

from . import requests
from .artifacts import Nupkg, build_nupkg, build_snupkg, not_a_package
from .names import stored_file_name
from .rules import NUGET, PACKAGE_TYPE, PUBLISH, SYMBOL_PUBLISH, V2_PUBLISH


class NugetOperations(FormatOperations):
    """NuGet's operations: a push is the v3 publish of a `.nupkg` (multipart field `package`), a pull the package
    content, the metadata document the registration index, and the group's registration index its group-level
    metadata (the group feed has no content download: clients take `packageContent` from the registration, a
    project URL)."""

    format = NUGET
    package_type = PACKAGE_TYPE

    def artifact(self, name: str, version: str, file_hint: str, size: int, seed: int) -> Artifact:
        """A real `.nupkg`. GitLab names the file after the .nuspec's id and version, so the hint names no file; it
        may name the publish instead: `v2/...` pushes through the v2 feed (GitLab's `PUT nuget/v2`), `symbols/...`
        publishes a symbol package (.snupkg) of the same id and version after the package."""
        head = file_hint.partition("/")[0] if "/" in file_hint else ""
        return build_nupkg(name, version, size, seed, feed="v2" if head == "v2" else "v3", symbols=head == "symbols")

    def invalid_artifact(self, name: str, version: str) -> Artifact:
        """Named as the version's package, but no zip with a .nuspec: GitLab answers 400 (ExtractionError)."""
        return not_a_package(name, version)

    def push(self, project_id: int | str, name: str, version: str, artifact: Artifact, *,
             status: str | None = None, select: str | None = None) -> list[RequestSpec]:
        if status is not None or select is not None:
            raise ValueError("NuGet publishes have no status or select option (those are Generic's)")
        if not isinstance(artifact, Nupkg):
            return [requests.publish(project_id, artifact)]
        specs = [requests.publish(project_id, artifact, V2_PUBLISH if artifact.feed == "v2" else PUBLISH)]
        if artifact.symbols:
            symbols = build_snupkg(artifact.name, artifact.version, artifact.seed)
            specs.append(requests.publish(project_id, symbols, SYMBOL_PUBLISH))
        return specs

    def pull(self, project_id: int | str, name: str, version: str, file_name: str) -> RequestSpec:
        return requests.download(project_id, name, version, file_name)

    def file_name(self, name: str, version: str, file_hint: str) -> str:
        return stored_file_name(name, version)

    def metadata(self, project_id: int | str, name: str) -> RequestSpec:
        return requests.registration(project_id, name)

    def metadata_entries(self, document: bytes, name: str) -> list[MetadataEntry]:
        """The registration index's leaves: each version (`catalogEntry.version`) with its `packageContent` URL,
        where NuGet clients download it from."""
        try:
            pages = json.loads(document)["items"]
            leaves = [leaf for page in pages for leaf in page.get("items") or []]
            return [MetadataEntry(str(leaf["catalogEntry"]["version"]), leaf.get("packageContent")) for leaf in leaves]
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"not a NuGet registration index: {exc}") from None

    def group_metadata(self, group_id: int | str, name: str) -> RequestSpec:
        return requests.group_registration(group_id, name)

    def duplicate_checked_before_body(self) -> bool:
        """False: the package's id and version are in the .nuspec inside the uploaded archive."""
        return False


OPERATIONS = NugetOperations()
