"""Helm's FormatOperations: what the engine and Locust users call."""

import yaml

from core.format_types import Artifact, BytesArtifact, FormatOperations, MetadataEntry, RequestSpec

from . import requests
from .artifacts import Chart, build_chart
from .names import channel_of, hinted_file_name, split_file_name
from .rules import DEFAULT_CHANNEL, HELM, PACKAGE_TYPE


class HelmOperations(FormatOperations):
    """Helm's operations. A push goes to the channel the scenario's file hint names (`names.channel_of`: `stable`
    unless the hint is `<channel>/...`); the metadata document of a package is its channel's index.yaml, which lists
    every chart of the channel."""

    format = HELM
    package_type = PACKAGE_TYPE
    validated_in_background = ("GitLab reads a chart's name and version from its Chart.yaml in "
                               "Packages::Helm::ExtractionWorker, after the upload answered 201: an invalid name or "
                               "version (app/models/packages/helm/package.rb) or a name a protection rule covers "
                               "(ProcessFileService#package_protected?) fails there and marks the temporary package "
                               "`error`, under GitLab's temporary name: no answer refuses the upload")

    def artifact(self, name: str, version: str, file_hint: str, size: int, seed: int) -> Artifact:
        return build_chart(name, version, size, seed, channel_of(file_hint))

    def invalid_artifact(self, name: str, version: str) -> Artifact:
        """A file named as a chart whose content is no gzip'd tar (GitLab's ExtractionWorker marks it `error`)."""
        return BytesArtifact(f"{name}-{version}.tgz", b"this is not a Helm chart archive\n" * 8)

    def push(self, project_id: int | str, name: str, version: str, artifact: Artifact, *,
             status: str | None = None, select: str | None = None) -> list[RequestSpec]:
        if status is not None or select is not None:
            raise ValueError("Helm uploads have no status or select option (those are Generic's)")
        channel = artifact.channel if isinstance(artifact, Chart) else DEFAULT_CHANNEL
        return [requests.upload(project_id, channel, artifact)]

    def pull(self, project_id: int | str, name: str, version: str, file_name: str) -> RequestSpec:
        channel, chart = split_file_name(file_name)
        return requests.download(project_id, channel, chart)

    def file_name(self, name: str, version: str, file_hint: str) -> str:
        return hinted_file_name(name, version, file_hint)

    def metadata(self, project_id: int | str, name: str) -> RequestSpec:
        return requests.index(project_id, DEFAULT_CHANNEL)

    def metadata_entries(self, document: bytes, name: str) -> list[MetadataEntry]:
        """The channel index's entries for the chart: each version with its `urls` (relative to the index, as
        GitLab gives them) and `digest` (the chart file's sha256), what `helm pull` fetches and checks."""
        try:
            charts = (yaml.safe_load(document) or {}).get("entries") or {}
        except (yaml.YAMLError, AttributeError) as exc:
            raise ValueError(f"not a Helm index: {exc}") from None
        return [MetadataEntry(str(chart.get("version")), (chart.get("urls") or [None])[0],
                              {"sha256": str(chart["digest"]).lower()} if chart.get("digest") else {})
                for chart in charts.get(name) or []]

    def duplicate_checked_before_body(self) -> bool:
        """False: the chart's name and version are inside the archive (GitLab reads them in the background)."""
        return False


OPERATIONS = HelmOperations()
