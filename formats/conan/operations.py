"""Conan's FormatOperations: what the engine and Locust users call.

A push is what `conan upload` sends for a recipe and one binary package: conan_export.tgz first (the artifact: the
engine judges the first request, and it is the one large file), then conanfile.py and conanmanifest.txt, then the
package's conan_package.tgz, conaninfo.txt and conanmanifest.txt. The protocol comes from the file hint
(`names.py`). Instance-level references need the project's full path: `prepare` reads it and `prepared` remembers
it for the pulls.
"""

import hashlib
import io
import tarfile
import threading
from typing import Any

from core.endpoints import Endpoint
from core.format_types import Artifact, FormatOperations, RequestSpec, streamed_sha256
from core.route_auth import REST_API_ROUTE
from core.vocabulary import Operation

from . import requests
from .artifacts import PAYLOAD, ConanRecipe, build_recipe
from .names import Protocol, hinted_file_name, protocol_of, recipe_revision, split_file_name, user_channel
from .rules import CONAN, PACKAGE_TYPE

# lib/api/projects.rb `get ':id'`: the set-up read of an instance-level publish (not a package route)
PROJECT = Endpoint("project", "GET", "/api/v4/projects/{project_id}", Operation.METADATA, 200, REST_API_ROUTE)


class ConanOperations(FormatOperations):
    format = CONAN
    package_type = PACKAGE_TYPE
    no_format_guard = ("GitLab stores Conan files as uploaded: CreatePackageFileService records the file and its "
                       "type and revision, it never opens conan_export.tgz or conanfile.py")

    served_built = ("conan_export.tgz is built by whichever client exports the recipe (the harness's, or Conan's own "
                    "compression when a real client uploads), and a real client unpacks it into its cache: a pull is "
                    "compared by the recipe's exported file, the sha256 of payload.bin inside it")

    def content_key(self, project_id: int | str, name: str, version: str, artifact: Artifact) -> str:
        if isinstance(artifact, ConanRecipe):
            return streamed_sha256(artifact.export.payload)
        return artifact.sha256()

    def pulled_key(self, data: bytes) -> str:
        """The sha256 of payload.bin: inside conan_export.tgz (an HTTP pull), or the file itself (a real client's
        pull copies it out of its cache)."""
        if data[:2] != b"\x1f\x8b":
            return hashlib.sha256(data).hexdigest()
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
            member = archive.extractfile(PAYLOAD)
            if member is None:
                raise ValueError(f"conan_export.tgz has no {PAYLOAD}")
            return hashlib.sha256(member.read()).hexdigest()

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._paths: dict[str, str] = {}  # project id → full path (instance-level references)
        self._revisions: dict[tuple[str, str, str], str] = {}  # (project, name, version) → newest recipe revision

    def artifact(self, name: str, version: str, file_hint: str, size: int, seed: int) -> Artifact:
        return build_recipe(name, version, size, seed, protocol_of(file_hint))

    def file_name(self, name: str, version: str, file_hint: str) -> str:
        return hinted_file_name(file_hint)

    def remember_path(self, project_id: int | str, full_path: str) -> None:
        with self._lock:
            self._paths[str(project_id)] = full_path

    def project_path(self, project_id: int | str) -> str | None:
        with self._lock:
            return self._paths.get(str(project_id))

    def remember_revision(self, project_id: int | str, name: str, version: str, artifact: Artifact) -> str:
        revision = artifact.recipe_revision if isinstance(artifact, ConanRecipe) else recipe_revision(name, version)
        with self._lock:
            self._revisions[(str(project_id), name, version)] = revision
        return revision

    def revision(self, project_id: int | str, name: str, version: str) -> str:
        """The recipe revision of the newest publish of this name and version (a client asks the remote for it:
        `.../latest`; the harness knows it from the publish), else one no publish has."""
        with self._lock:
            return self._revisions.get((str(project_id), name, version)) or recipe_revision(name, version)

    def prepare(self, project_id: int | str, name: str, version: str, artifact: Artifact) -> list[RequestSpec]:
        """The recipe revision of the publish (the commit of its recipe, the same whichever driver publishes) is
        remembered for the pulls that follow; an instance-level publish first reads the project's full path
        (`GET /api/v4/projects/:id`), which its reference's user spells (`prepared`)."""
        self.remember_revision(project_id, name, version, artifact)
        if isinstance(artifact, ConanRecipe) and artifact.protocol is Protocol.INSTANCE \
                and self.project_path(project_id) is None:
            return [RequestSpec(PROJECT, PROJECT.url_path(project_id=project_id))]
        return []

    def prepared(self, project_id: int | str, name: str, version: str, answers: list[Any]) -> None:
        for answer in answers:
            if isinstance(answer, dict) and answer.get("path_with_namespace"):
                self.remember_path(project_id, str(answer["path_with_namespace"]))

    def push(self, project_id: int | str, name: str, version: str, artifact: Artifact, *,
             status: str | None = None, select: str | None = None) -> list[RequestSpec]:
        if status is not None or select is not None:
            raise ValueError("Conan uploads have no status or select option (those are Generic's)")
        if not isinstance(artifact, ConanRecipe):
            raise TypeError("a Conan push takes a ConanRecipe")
        protocol = artifact.protocol
        user, channel = user_channel(protocol, self.project_path(project_id))
        revision = self.remember_revision(project_id, name, version, artifact)
        specs = [requests.recipe_upload(protocol, project_id, name, version, user, channel, revision, artifact)]
        specs += [requests.recipe_upload(protocol, project_id, name, version, user, channel, revision, f)
                  for f in artifact.recipe_files()]
        specs += [requests.package_upload(protocol, project_id, name, version, user, channel, revision,
                                          artifact.package_reference, artifact.package_revision, f)
                  for f in artifact.package_files()]
        return specs

    def pull(self, project_id: int | str, name: str, version: str, file_name: str) -> RequestSpec:
        protocol, recipe_file = split_file_name(file_name)
        user, channel = user_channel(protocol, self.project_path(project_id))
        return requests.recipe_download(protocol, project_id, name, version, user, channel,
                                        self.revision(project_id, name, version), recipe_file)

    def metadata(self, project_id: int | str, name: str) -> RequestSpec:
        """The project's recipe search for the name: `{"results": ["<name>/<version>@_/_", ...]}`, every version."""
        return requests.search(Protocol.V2, project_id, name)


OPERATIONS = ConanOperations()
