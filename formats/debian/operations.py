"""Debian's FormatOperations: what the engine and Locust users call.

A project's packages go to one distribution the owner creates first (`prepare`: `POST /projects/:id/
debian_distributions?codename=stable`, GitLab's guide's first step; GitLab answers 400 "Codename has already been
taken" to a second one, so it is created once per project, racing publishes of a project waiting for the one
creating it). A push is the `.deb` PUT with `distribution` and `component`; the metadata document is the
distribution's `main/binary-amd64/Packages` index, which lists every version of every package of the component.
"""

import threading
from typing import Any

from core.format_types import Artifact, FormatOperations, MetadataEntry, RequestSpec

from . import requests
from .artifacts import DebPackage, deb_file_name, not_a_deb
from .rules import DEBIAN, DEFAULT_CODENAME, DEFAULT_COMPONENT, PACKAGE_TYPE

PREPARE_WAIT_S = 60.0  # how long a publish waits for another publish of its project creating the distribution


class DebianOperations(FormatOperations):
    format = DEBIAN
    package_type = PACKAGE_TYPE
    validated_in_background = ("GitLab reads a package's name and version from the .deb's control file in "
                               "Packages::Debian::ProcessPackageFileWorker, after the upload answered 201 (the "
                               "upload names only the file): an invalid name or version (app/models/packages/"
                               "debian/package.rb) fails there and marks the temporary package `error`")
    prepare_refusal_judged = ("the distribution API refuses the owner where the package registry is switched off "
                              "(`authorize_create_package!`, lib/api/concerns/packages/"
                              "debian_distribution_endpoints.rb), as the upload then refuses its caller")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._distributions: dict[str, threading.Event] = {}  # project → its distribution is created (when set)

    def artifact(self, name: str, version: str, file_hint: str, size: int, seed: int) -> Artifact:
        return DebPackage(name, version, size, seed)

    def invalid_artifact(self, name: str, version: str) -> Artifact:
        """A file named as a .deb whose content is no ar archive (the worker marks the package `error`)."""
        return not_a_deb(name, version)

    def prepare(self, project_id: int | str, name: str, version: str, artifact: Artifact) -> list[RequestSpec]:
        """The project's distribution, created by the first publish of the project; later publishes wait for it."""
        project = str(project_id)
        with self._lock:
            created = self._distributions.get(project)
            if created is None:
                self._distributions[project] = threading.Event()
        if created is not None and created.wait(PREPARE_WAIT_S):
            return []
        return [requests.create_distribution(project_id, DEFAULT_CODENAME)]

    def prepared(self, project_id: int | str, name: str, version: str, answers: list[Any]) -> None:
        with self._lock:
            created = self._distributions.setdefault(str(project_id), threading.Event())
        created.set()

    def forget(self, project_id: int | str) -> None:
        """Forget a project's distribution (a target whose projects were reset)."""
        with self._lock:
            self._distributions.pop(str(project_id), None)

    def push(self, project_id: int | str, name: str, version: str, artifact: Artifact, *,
             status: str | None = None, select: str | None = None) -> list[RequestSpec]:
        if status is not None or select is not None:
            raise ValueError("Debian uploads have no status or select option (those are Generic's)")
        return [requests.upload(project_id, artifact, DEFAULT_CODENAME, DEFAULT_COMPONENT)]

    def pull(self, project_id: int | str, name: str, version: str, file_name: str) -> RequestSpec:
        return requests.download(project_id, DEFAULT_CODENAME, name, version, file_name)

    def file_name(self, name: str, version: str, file_hint: str) -> str:
        return deb_file_name(name, version)

    def metadata(self, project_id: int | str, name: str) -> RequestSpec:
        return requests.packages_index(project_id, DEFAULT_CODENAME)

    def metadata_entries(self, document: bytes, name: str) -> list[MetadataEntry]:
        """The Packages index's paragraphs of the package: each `Version` with its `Filename` (relative to the
        repository root, four levels above `dists/<codename>/<component>/binary-<arch>/Packages`) and the
        `MD5sum`, `SHA1` and `SHA256` apt checks after a download."""
        entries = []
        for paragraph in document.decode("utf-8", errors="replace").split("\n\n"):
            fields = dict(line.split(": ", 1) for line in paragraph.splitlines() if ": " in line and line[0] != " ")
            if fields.get("Package") != name:
                continue
            digests = {algorithm: fields[field].strip().lower() for field, algorithm in
                       (("MD5sum", "md5"), ("SHA1", "sha1"), ("SHA256", "sha256")) if field in fields}
            filename = fields.get("Filename")
            entries.append(MetadataEntry(fields.get("Version", "").strip(),
                                         f"../../../../{filename.strip()}" if filename else None, digests))
        return entries

    def duplicate_checked_before_body(self) -> bool:
        """False: the package's name and version are inside the .deb (GitLab reads them in the background)."""
        return False


OPERATIONS = DebianOperations()
