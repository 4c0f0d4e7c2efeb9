"""The Generic format (seed 003): rules, endpoints, requests and a streaming artifact builder."""

import hashlib
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from core import packages_api
from core.format_types import Artifact, DuplicatePolicy, Endpoint, Format, FormatOperations, FormatRules, RequestSpec
from core.vocabulary import Operation

GIB = 1 << 30

RULES = FormatRules(
    # Seed 003: names and file names may hold a-z, A-Z, 0-9, '.', '-' and '_'.
    name_pattern=re.compile(r"[A-Za-z0-9._-]+"),
    # Seed 003: \A(\.?[\w\+-]+\.?)+\z, written here without the catastrophic nesting but with the same language.
    version_pattern=re.compile(r"\.?[\w+-]+(?:\.{1,2}[\w+-]+)*\.?", re.ASCII),
    file_name_pattern=re.compile(r"[A-Za-z0-9._-]+"),
    size_limit=5 * GIB,
    # GitLab's generic_packages.rb: `bad_request!('Duplicate package is not allowed')`.
    duplicates=DuplicatePolicy(allowed_by_default=True, switchable=True, refused_status=400),
    name_rule="only letters, digits, '.', '-' and '_'",
    version_rule=r"must match \A(\.?[\w\+-]+\.?)+\z",
    file_name_rule="only letters, digits, '.', '-' and '_'",
)

_FILE_PATH = "/api/v4/projects/{project_id}/packages/generic/{package_name}/{package_version}/{file_name}"
_NO_UPSTREAM = "Generic has no upstream client or protocol: this API is GitLab's own, for curl and CI jobs."

UPLOAD = Endpoint(
    name="upload",
    method="PUT",
    path=_FILE_PATH,
    operation=Operation.PUSH,
    success_status=201,
    custom_reason=_NO_UPSTREAM + " `status=hidden` and `select=package_file` are GitLab options too.",
)
DOWNLOAD = Endpoint(
    name="download",
    method="GET",
    path=_FILE_PATH,
    operation=Operation.PULL,
    success_status=200,
    custom_reason=_NO_UPSTREAM,
)

GENERIC = Format(
    name="generic",
    rules=RULES,
    endpoints={UPLOAD.name: UPLOAD, DOWNLOAD.name: DOWNLOAD, **packages_api.ENDPOINTS},
)


@dataclass(frozen=True)
class GeneratedFile:
    """A deterministic file of any size, produced chunk by chunk (never held in memory whole).

    Each 1 MiB chunk is one random block, seeded by `seed`, with the chunk's index written over
    its first 8 bytes, so no two chunks are alike and a misplaced chunk changes the digest.
    """

    size: int
    seed: int = 0
    chunk_size: int = 1 << 20
    file_name: str = "package.bin"

    @cached_property
    def _block(self) -> bytes:
        return random.Random(self.seed).randbytes(self.chunk_size)

    def chunks(self) -> Iterator[bytes]:
        remaining, index = self.size, 0
        while remaining > 0:
            take = min(remaining, self.chunk_size)
            chunk = index.to_bytes(8, "big") + self._block[8:]
            yield chunk[:take]
            remaining -= take
            index += 1

    def sha256(self) -> str:
        digest = hashlib.sha256()
        for chunk in self.chunks():
            digest.update(chunk)
        return digest.hexdigest()

    def write_to(self, directory: Path) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / self.file_name
        with path.open("wb") as file:
            for chunk in self.chunks():
                file.write(chunk)
        return path


def push(
    project_id: int | str,
    package_name: str,
    package_version: str,
    file_name: str,
    artifact: Artifact,
    *,
    status: str | None = None,
    select: str | None = None,
) -> RequestSpec:
    """PUT one file; the package is created when it does not exist yet."""
    params = {}
    if status is not None:
        params["status"] = status
    if select is not None:
        params["select"] = select
    path = UPLOAD.url_path(project_id=project_id, package_name=package_name,
                           package_version=package_version, file_name=file_name)
    return RequestSpec(UPLOAD, path, params=params, headers={"Content-Type": "application/octet-stream"},
                       body=artifact.chunks(), body_size=artifact.size)


def pull(project_id: int | str, package_name: str, package_version: str, file_name: str) -> RequestSpec:
    """GET the most recent file with this name in this package name and version."""
    path = DOWNLOAD.url_path(project_id=project_id, package_name=package_name,
                             package_version=package_version, file_name=file_name)
    return RequestSpec(DOWNLOAD, path)


def search(project_id: int | str, package_name: str) -> RequestSpec:
    """The Packages API filtered to Generic packages whose name contains `package_name`."""
    return packages_api.list_packages(project_id, package_type="generic", package_name=package_name)


class GenericOperations(FormatOperations):
    no_format_guard = "the Generic registry takes any file by design: there is no package format to guard"

    format = GENERIC
    package_type = "generic"

    def artifact(self, name: str, version: str, file_hint: str, size: int, seed: int) -> GeneratedFile:
        return GeneratedFile(size=size, seed=seed, file_name=file_hint)

    def push(self, project_id: int | str, name: str, version: str, artifact: Artifact, *,
             status: str | None = None, select: str | None = None) -> list[RequestSpec]:
        return [push(project_id, name, version, artifact.file_name, artifact, status=status, select=select)]

    def pull(self, project_id: int | str, name: str, version: str, file_name: str) -> RequestSpec:
        return pull(project_id, name, version, file_name)


OPERATIONS = GenericOperations()
