"""Composer's FormatOperations: what the engine and Locust users call.

A publish is the owner's set-up (`prepare`: a commit of the package's files on a fresh branch, the version's tag
moved onto it) and the POST naming the tag. One project's packages share its repository's tags: `v1.0.0` can point
at one commit only, so two packages (or two contents) of one version take turns on the tag, and a project's
publishes go one at a time (`publishes_concurrently`). A download names the commit (`?sha=`), which only the
commit's answer tells: `prepared` remembers it.
"""

import threading
from typing import Any

from core import repository
from core.format_types import Artifact, FormatOperations, RequestSpec
from formats.composer import requests
from formats.composer.artifacts import BrokenPackage, ComposerPackage, archive_files, content_digest
from formats.composer.names import archive_file_name, branch_name, composer_name
from formats.composer.rules import COMPOSER, FORMAT, NO_SIZE_LIMIT, tag_name

PREPARE_WAIT_S = 120.0  # how long a publish of content already being set up waits for that set-up


class ComposerOperations(FormatOperations):
    served_built = ("GitLab builds the archive from the tagged commit on every request (`git archive` through "
                    "Gitaly): its bytes are git's, so a pull is compared by the files it holds")
    format = COMPOSER
    package_type = FORMAT
    no_size_limit = NO_SIZE_LIMIT

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # (project, tag) → (package name, content sha256) the tag was last set up for, and when that is done
        self._tags: dict[tuple[str, str], tuple[str, str, threading.Event]] = {}
        self._serial: dict[str, int] = {}  # project → publishes set up (fresh branch names)
        self._commits: dict[tuple[str, str, str], str] = {}  # (project, name, version) → newest commit sha

    def artifact(self, name: str, version: str, file_hint: str, size: int, seed: int) -> Artifact:
        return ComposerPackage(name, version, size, seed)

    def invalid_artifact(self, name: str, version: str) -> Artifact:
        return BrokenPackage(name, version, 0, 0)

    def prepare(self, project_id: int | str, name: str, version: str, artifact: Artifact) -> list[RequestSpec]:
        """Commit the version's files on a branch of its own and point the version's tag at it. Nothing when the
        tag already points at these very files (a retry); when another publish is setting them up right now, wait
        until it is done (racing publishes of one version share one set-up, as CI jobs of one tag would)."""
        if not isinstance(artifact, ComposerPackage):
            raise ValueError(f"not a Composer package: {artifact.file_name}")
        project, tag = str(project_id), tag_name(version)
        with self._lock:
            current = self._tags.get((project, tag))
            if current is not None and current[:2] == (name, artifact.sha256()):
                wait = current[2]
            else:
                wait = None
                self._serial[project] = serial = self._serial.get(project, 0) + 1
                self._tags[(project, tag)] = (name, artifact.sha256(), threading.Event())
        if wait is not None:
            wait.wait(PREPARE_WAIT_S)
            return []
        branch = branch_name(version, serial)
        specs = [repository.commit_files(project_id, branch, f"{composer_name(name)} {version}", artifact.files)]
        if current is not None:  # the tag exists: GitLab cannot move a tag, it is deleted and made again
            specs.append(repository.delete_tag(project_id, tag))
        specs.append(repository.create_tag(project_id, tag, branch))
        return specs

    def prepared(self, project_id: int | str, name: str, version: str, answers: list[Any]) -> None:
        """The set-up's answers: the commit's sha (what the archive URL names), and the tag is ready."""
        project = str(project_id)
        with self._lock:
            for answer in answers:
                if isinstance(answer, dict) and isinstance(answer.get("commit"), dict):  # the tag's answer
                    self._commits[(project, name, version)] = str(answer["commit"].get("id"))
            current = self._tags.get((project, tag_name(version)))
        if current is not None:
            current[2].set()

    def publishes_concurrently(self) -> bool:
        return False

    def push(self, project_id: int | str, name: str, version: str, artifact: Artifact, *,
             status: str | None = None, select: str | None = None) -> list[RequestSpec]:
        if status is not None or select is not None:
            raise ValueError("Composer publishes have no status or select option (those are Generic's)")
        return [requests.publish(project_id, tag=tag_name(version))]

    def commit_of(self, project_id: int | str, name: str, version: str) -> str | None:
        with self._lock:
            return self._commits.get((str(project_id), name, version))

    def pull(self, project_id: int | str, name: str, version: str, file_name: str,
             sha: str | None = None) -> RequestSpec:
        """The archive of the version's newest commit (what the p2 document's `dist.url` names)."""
        sha = sha or self.commit_of(project_id, name, version)
        if sha is None:
            raise ValueError(f"no commit known for {name} {version}: publish it first (the archive URL names the "
                             "commit's sha, which only the repository's answer tells)")
        return requests.archive(project_id, name, sha)

    def pulled_key(self, data: bytes) -> str:
        """The digest of the package's files in an archive GitLab built (`content_digest`, as `sha256()` of the
        artifact computes it)."""
        files = archive_files(data)
        if files is None:
            raise ValueError("the archive is not a zip file")
        return content_digest(files)[0]

    def file_name(self, name: str, version: str, file_hint: str) -> str:
        return archive_file_name(name, version)

    def package_name(self, name: str) -> str:
        return composer_name(name)

    def group_metadata(self, group_id: int | str, name: str) -> RequestSpec:
        return requests.p2(group_id, name)


OPERATIONS = ComposerOperations()
