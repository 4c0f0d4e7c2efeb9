"""A project's Debian distributions and the indexes GitLab generates for them.

Distributions (GitLab's `packages_debian_project_distributions`: codename, components, architectures, a key) are
kept per server (`state`) and written through to `debian/distributions.json` in its data directory, each with its
key's secret part, so a restart, even after SIGKILL, keeps them as GitLab's database does. Each processed file's
distribution, component, architecture and control fields live in its package's metadata (GitLab's
`packages_debian_file_metadata` and the package's publication): `{"distribution": codename, "files": {"<file id>":
{"component", "architecture", "fields"}}}`.

The indexes, as Packages::Debian::GenerateDistributionService writes them: a component's `Packages` for one
architecture lists, for each file of that component and architecture in an installable package of the distribution,
its control fields then `Filename: pool/<codename>/<letter>/<name>/<version>/<file>`, `Size`, `MD5sum`, `SHA1` and
`SHA256`, paragraphs separated by a blank line; `Release` names the distribution (Codename, Date, Architectures,
Components) and lists every component file with its size and digests. GitLab regenerates them in the background
after each processed upload; here they are built from the database on request, which gives the same documents.
"""

import hashlib
import json
import os
import threading
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from starlette.requests import Request

from formats.debian import FORMAT, letter_of
from reference_server.db import Database, Row, installable, now_iso
from reference_server.formats.debian.signing import Keyring

# GenerateDistributionService: the control fields first in this order, then the rest as the file has them
LEADING_FIELDS = ("Package", "Source", "Version", "Installed-Size", "Maintainer", "Architecture")


@dataclass
class Distribution:
    id: int
    container: tuple[str, int]  # ("project", id) or ("group", id)
    codename: str
    components: list[str]
    architectures: list[str]
    created_at: str
    suite: str | None = None
    fingerprint: str | None = None
    secret_key: str | None = None  # the key's armored secret part, imported into a new keyring after a restart

    def entity(self) -> dict[str, Any]:
        """API::Entities::Packages::Debian::Distribution."""
        return {"id": self.id, "codename": self.codename, "suite": self.suite, "origin": None, "label": None,
                "version": None, "description": None, "valid_time_duration_seconds": None,
                "components": self.components, "architectures": self.architectures}


@dataclass
class DebianState:
    keyring: Keyring = field(default_factory=Keyring)
    distributions: dict[tuple[str, int], dict[str, Distribution]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    next_id: int = 1
    path: Path | None = None  # where the distributions are written through; None: memory only (tests)
    imported: set[str] = field(default_factory=set)  # fingerprints this process's keyring holds

    @classmethod
    def load(cls, directory: Path) -> "DebianState":
        found = cls(path=directory / "distributions.json")
        if found.path is not None and found.path.exists():
            for item in json.loads(found.path.read_text(encoding="utf-8")):
                item["container"] = (item["container"][0], int(item["container"][1]))
                distribution = Distribution(**item)
                found.distributions.setdefault(distribution.container, {})[distribution.codename] = distribution
                found.next_id = max(found.next_id, distribution.id + 1)
        return found

    def _save(self) -> None:
        """Write every distribution, atomically (a new file renamed over the old). Called under the lock."""
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        rows = [asdict(d) for found in self.distributions.values() for d in found.values()]
        temporary = self.path.with_name(self.path.name + ".tmp")
        temporary.write_text(json.dumps(rows), encoding="utf-8")
        with temporary.open("rb") as handle:
            os.fsync(handle.fileno())
        os.replace(temporary, self.path)

    def find(self, container: tuple[str, int], codename: str) -> Distribution | None:
        """DistributionsFinder(codename_or_suite:).last"""
        with self.lock:
            found = self.distributions.get(container, {})
            if codename in found:
                return found[codename]
            return next((d for d in found.values() if d.suite == codename), None)

    def create(self, container: tuple[str, int], codename: str, components: list[str], architectures: list[str],
               suite: str | None) -> Distribution | None:
        """The new distribution, or None when the codename is taken in the container."""
        with self.lock:
            found = self.distributions.setdefault(container, {})
            if codename in found:
                return None
            distribution = Distribution(self.next_id, container, codename, components, architectures, now_iso(),
                                        suite)
            self.next_id += 1
            found[codename] = distribution
            self._save()
            return distribution

    def key_of(self, distribution: Distribution) -> str:
        """The distribution's key (GenerateDistributionKeyService), generated the first time it is needed, and
        imported again from its record after a restart."""
        with self.lock:
            fingerprint, secret = distribution.fingerprint, distribution.secret_key
            imported = fingerprint in self.imported
        if fingerprint is not None and secret and not imported:
            self.keyring.import_key(secret)
            with self.lock:
                self.imported.add(fingerprint)
        if fingerprint is None:
            fingerprint = self.keyring.generate(f"{distribution.codename} distribution {distribution.id} "
                                                "<debian@reference.invalid>")
            with self.lock:
                if distribution.fingerprint is None:
                    distribution.fingerprint = fingerprint
                    distribution.secret_key = self.keyring.export_secret(fingerprint)
                    self.imported.add(fingerprint)
                    self._save()
                fingerprint = distribution.fingerprint
        return fingerprint


def state(request: Request) -> DebianState:
    found: DebianState | None = getattr(request.app.state, "debian", None)
    if found is None:
        with _CREATING:
            found = getattr(request.app.state, "debian", None)
            if found is None:
                found = DebianState.load(request.app.state.settings.data_dir / "debian")
                request.app.state.debian = found
    return found


_CREATING = threading.Lock()


@dataclass(frozen=True)
class IndexedFile:
    package: Row
    row: Row
    component: str
    architecture: str
    fields: dict[str, str]


def distribution_files(db: Database, project_id: int, codename: str, packages: list[Row] | None = None
                       ) -> list[IndexedFile]:
    """Every processed file of the distribution's installable packages, the newest of each file name, oldest
    first."""
    if packages is None:
        packages = db.packages_of_type(project_id, FORMAT)
    ids = [int(p["id"]) for p in packages]
    metadata, files = db.metadata_of(ids), db.files_of(ids)
    found: list[IndexedFile] = []
    for package in packages:
        data = metadata.get(int(package["id"])) or {}
        if data.get("distribution") != codename or not installable(package):
            continue
        described = data.get("files") or {}
        newest: dict[str, IndexedFile] = {}
        for row in sorted(files.get(int(package["id"]), []), key=lambda r: int(r["id"])):
            meta = described.get(str(row["id"]))
            if isinstance(meta, dict):
                newest[row["file_name"]] = IndexedFile(package, row, str(meta.get("component")),
                                                       str(meta.get("architecture")), dict(meta.get("fields") or {}))
        found.extend(newest.values())
    return sorted(found, key=lambda f: int(f.row["id"]))


def pool_path(codename: str, package: Row, file_name: str) -> str:
    name = str(package["name"])
    return f"pool/{codename}/{letter_of(name)}/{name}/{package['version']}/{file_name}"


def packages_document(codename: str, files: list[IndexedFile], component: str, architecture: str) -> bytes:
    paragraphs = []
    for f in files:
        if f.component != component or f.architecture != architecture:
            continue
        lines = [f"{key}: {f.fields[key]}" for key in LEADING_FIELDS if key in f.fields]
        lines += [f"{key}: {value}" for key, value in f.fields.items() if key not in LEADING_FIELDS]
        lines += [f"Filename: {pool_path(codename, f.package, str(f.row['file_name']))}", f"Size: {f.row['size']}",
                  f"MD5sum: {f.row['file_md5']}", f"SHA1: {f.row['file_sha1']}", f"SHA256: {f.row['file_sha256']}"]
        paragraphs.append("\n".join(lines) + "\n")
    return "\n".join(paragraphs).encode()


def _date(distribution: Distribution, files: list[IndexedFile]) -> str:
    stamps = [distribution.created_at] + [str(f.row["created_at"]) for f in files]
    newest = max(stamps)
    try:
        moment = datetime.fromisoformat(newest.replace("Z", "+00:00"))
    except ValueError:
        moment = datetime.now(UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return format_datetime(moment.astimezone(UTC), usegmt=True)


def release_document(distribution: Distribution, files: list[IndexedFile],
                     index: dict[tuple[str, str], bytes] | None = None) -> bytes:
    """The distribution's Release: its fields and every component file's size and digests. `index` gives the
    Packages documents to list (by component and architecture), by default those rendered from `files`."""
    entries = []
    for component in distribution.components:
        for architecture in distribution.architectures:
            key = (component, architecture)
            document = index[key] if index is not None and key in index else packages_document(
                distribution.codename, files, component, architecture)
            entries.append((f"{component}/binary-{architecture}/Packages", document))
    lines = [f"Codename: {distribution.codename}"]
    if distribution.suite:
        lines.append(f"Suite: {distribution.suite}")
    lines += [f"Date: {_date(distribution, files)}", f"Architectures: {' '.join(distribution.architectures)}",
              f"Components: {' '.join(distribution.components)}"]
    for title, algorithm in (("MD5Sum", "md5"), ("SHA256", "sha256")):
        lines.append(f"{title}:")
        lines += [f" {hashlib.new(algorithm, doc).hexdigest()} {len(doc):>8} {path}" for path, doc in entries]
    return ("\n".join(lines) + "\n").encode()
