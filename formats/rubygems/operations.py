"""RubyGems' FormatOperations: what the engine and Locust users call."""

from core.format_types import Artifact, BytesArtifact, FormatOperations, RequestSpec
from formats.rubygems import requests
from formats.rubygems.artifacts import GemArtifact
from formats.rubygems.names import gem_file_name
from formats.rubygems.rules import FORMAT, RUBYGEMS


class RubygemsOperations(FormatOperations):
    format = RUBYGEMS
    package_type = FORMAT

    def artifact(self, name: str, version: str, file_hint: str, size: int, seed: int) -> Artifact:
        """A real gem (the hint is ignored: a gem's file is always `<name>-<version>.gem`)."""
        return GemArtifact(name, version, size, seed)

    def push(self, project_id: int | str, name: str, version: str, artifact: Artifact, *,
             status: str | None = None, select: str | None = None) -> list[RequestSpec]:
        if status is not None or select is not None:
            raise ValueError("gem push has no status or select option (those are Generic's)")
        return [requests.push(project_id, artifact)]

    def pull(self, project_id: int | str, name: str, version: str, file_name: str) -> RequestSpec:
        return requests.download(project_id, gem_file_name(name, version))

    def file_name(self, name: str, version: str, file_hint: str) -> str:
        return gem_file_name(name, version)

    def metadata(self, project_id: int | str, name: str) -> RequestSpec:
        """The dependency API for the one gem: every version GitLab holds, as Marshal (what Bundler resolves from)."""
        return requests.dependencies(project_id, name)

    def invalid_artifact(self, name: str, version: str) -> Artifact:
        """Named as the version's gem, but no tar with a gemspec: `Gem::Package` cannot read it."""
        return BytesArtifact(gem_file_name(name, version), b"this is not a gem\n" * 64)


OPERATIONS = RubygemsOperations()
