"""Which charts a channel has, and its index.yaml, as GitLab builds them.

`Packages::Helm::PackagesFinder`: the project's installable Helm packages with a file in the channel, the 1000 most
recent (`limit_recent(MAX_PACKAGES_COUNT)`); for each, its most recent installable file in the channel
(`PackageFile.most_recent_for_helm_with_channel`). `Packages::Helm::GenerateMetadataService` (and the older
IndexPresenter) lists each file under its chart's name: the Chart.yaml metadata merged with `created`, `digest` (the
file's sha256) and `urls: ["charts/<file name>"]`, then `generated` and `serverInfo.contextPath`, rendered by
`to_yaml` (`---\\napiVersion: v1\\nentries:\\n...`, text/yaml).

Each stored file's channel and Chart.yaml live in its package's metadata, by file id (GitLab's
`packages_helm_file_metadata` table): `{"files": {"<file id>": {"channel": ..., "chart": {...}}}}`.
"""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import yaml

from core.faults import Fault
from formats.helm import FORMAT, MAX_PACKAGES_COUNT, VERSION_REGEX
from reference_server.db import Database, Row


@dataclass(frozen=True)
class ChartFile:
    package: Row
    row: Row
    channel: str
    chart: dict[str, Any]


def file_metadata(data: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    files = (data or {}).get("files")
    return files if isinstance(files, dict) else {}


def packages_for_file(db: Database, project_id: int, file_name: str) -> list[Row]:
    """The installable packages a chart file of this name can be in: `<name>-<version>.tgz` split at each '-' whose
    tail is a version (a download looks at these alone, not at every chart of the project)."""
    stem = file_name.removesuffix(".tgz")
    found = []
    for at in range(len(stem)):
        if stem[at] == "-" and VERSION_REGEX.fullmatch(stem[at + 1:]):
            package = db.find_package(project_id, FORMAT, stem[:at], stem[at + 1:])
            if package is not None and package["status"] == "default":  # as packages_of_type lists them
                found.append(package)
    return found


def channel_files(db: Database, project_id: int, channel: str, faults: frozenset[str] = frozenset(),
                  packages: list[Row] | None = None) -> list[ChartFile]:
    """Every installable file of the channel (in `packages`, by default all the project's Helm packages), oldest
    first. Under the helm_channel_ignored fault, every channel's."""
    if packages is None:
        packages = db.packages_of_type(project_id, FORMAT)
    ids = [int(p["id"]) for p in packages]
    metadata, files = db.metadata_of(ids), db.files_of(ids)
    found = []
    for package in packages:
        described = file_metadata(metadata.get(int(package["id"])))
        for row in files[int(package["id"])]:
            info = described.get(str(row["id"]))
            if info is None:
                continue
            if info.get("channel") != channel and Fault.HELM_CHANNEL_IGNORED not in faults:
                continue
            found.append(ChartFile(package, row, str(info.get("channel")), dict(info.get("chart") or {})))
    return sorted(found, key=lambda f: int(f.row["id"]))


def most_recent_file(files: list[ChartFile], file_name: str, newest: bool = True) -> ChartFile | None:
    """The file a download serves (`PackageFilesFinder#most_recent!`: the highest id of that name), or the oldest."""
    named = [f for f in files if f.row["file_name"] == file_name]
    if not named:
        return None
    return named[-1] if newest else named[0]


def listed(files: list[ChartFile]) -> list[ChartFile]:
    """One file per package, its most recent in the channel, for the MAX_PACKAGES_COUNT most recent packages; in
    package order (GitLab's `each_batch` walks the packages by id)."""
    newest: dict[int, ChartFile] = {}
    for f in files:
        newest[int(f.package["id"])] = f  # oldest first: the last one of a package is its most recent
    recent = sorted(newest, reverse=True)[:MAX_PACKAGES_COUNT]
    return [newest[package_id] for package_id in sorted(recent)]


def _timestamp(value: str | datetime) -> str:
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f000Z")


def render(project_ref: str, files: list[ChartFile]) -> str:
    """index.yaml for the listed files."""
    entries: dict[str, list[dict[str, Any]]] = {}
    for f in files:
        entry = dict(f.chart)
        entry.update({"created": _timestamp(f.row["created_at"]), "digest": f.row["file_sha256"],
                      "urls": [f"charts/{f.row['file_name']}"]})
        entries.setdefault(str(f.chart.get("name")), []).append(entry)
    document = {"apiVersion": "v1", "entries": entries, "generated": _timestamp(datetime.now(UTC)),
                "serverInfo": {"contextPath": f"/api/v4/projects/{quote(project_ref, safe='')}/packages/helm"}}
    return yaml.safe_dump(document, explicit_start=True, sort_keys=False, default_flow_style=False,
                          allow_unicode=True)
