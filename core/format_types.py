"""The format interface: rules, endpoints and request builders every format module provides."""

import hashlib
import re
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from core import packages_api
from core.endpoints import (
    RATE_LIMITED_PATH,
    RATE_LIMITED_PREFIXES,
    Body,
    Endpoint,
    RequestSpec,
)


@dataclass(frozen=True, slots=True)
class DuplicatePolicy:
    """Whether a second upload of the same name/version is accepted by default, and if it can be switched."""

    allowed_by_default: bool
    switchable: bool  # a group setting "reject duplicates" with an exceptions regex exists
    refused_status: int = 400  # how a refused duplicate is answered
    refused_message: str = "Duplicate package is not allowed"


FORWARD_STATUS = 302  # Grape's `redirect` for a GET, which GitLab's `redirect_registry_request` calls


@dataclass(frozen=True, slots=True)
class Forwarding:
    """GitLab's package request forwarding for a format (`redirect_registry_request`,
    lib/api/helpers/packages/dependency_proxy_helpers.rb): a request for a package the registry does not have, when
    the project's group forwards the format's requests, is answered 302 with a `Location` on the public registry
    (each format's `forward_url` in formats/<name>/rules.py builds it on `upstream`); with forwarding off, 404."""

    upstream: str  # DependencyProxyHelpers::REGISTRY_BASE_URLS
    endpoints: frozenset[str]  # the routes that redirect by the project's (or group's) setting, by endpoint name
    rule: str  # the GitLab files the routes' order was read from
    before_read_check: bool = False  # the redirect comes before the read-package check (npm): any caller redirected
    by_instance_setting: frozenset[str] = frozenset()  # routes that redirect by the instance's setting instead
    status: int = FORWARD_STATUS


@dataclass(frozen=True, slots=True)
class FormatRules:
    """Validation facts, enforced by the reference server and exercised by the harness."""

    name_pattern: re.Pattern[str]
    version_pattern: re.Pattern[str]
    file_name_pattern: re.Pattern[str]
    size_limit: int  # bytes; GitLab's default for the format
    duplicates: DuplicatePolicy
    name_rule: str  # the rule as a sentence, for refusal messages
    version_rule: str
    file_name_rule: str
    too_large_status: int = 413  # how GitLab answers a file over the size limit
    too_large_before_body: bool = True  # GitLab refuses it before the body is read (False: once it has been read)
    too_large_rule: str = ""  # how GitLab refuses it, and the file that says so
    invalid_status: int = 400  # a file that is not a valid package of the format
    forwarding: Forwarding | None = None  # GitLab's request forwarding to the public registry (None: it has none)
    # The column of GitLab's plan limits (`app/models/plan_limits.rb`, `GET /api/v4/application/plan_limits`) that
    # holds the format's size limit; `size_limit` is its default. None: no plan limit covers the format.
    plan_limit: str | None = None
    # GitLab extracts the package's metadata in a background job after the upload answers (Helm, RubyGems, NuGet):
    # the package is `processing` until then, and a client may only find it once its status is `default`.
    processed_in_background: bool = False
    # GitLab's format guard runs in that background processing, not in the upload (RubyGems, Helm): a file that is no
    # package is accepted, then marked `error` or destroyed, and never becomes installable.
    invalid_in_background: bool = False
    # A package's name is GitLab's instance-wide (Composer: "Name is already taken by another project",
    # app/models/packages/composer/package.rb `valid_composer_global_name`): each case's names then carry a prefix
    # of the run and the case, as two cases' projects must not publish the same name.
    names_instance_wide: bool = False

    def name_error(self, name: str) -> str | None:
        return None if self.name_pattern.fullmatch(name) else f"package_name is invalid: {self.name_rule}"

    def version_error(self, version: str) -> str | None:
        return None if self.version_pattern.fullmatch(version) else f"package_version is invalid: {self.version_rule}"

    def file_name_error(self, file_name: str) -> str | None:
        if self.file_name_pattern.fullmatch(file_name):
            return None
        return f"file_name is invalid: {self.file_name_rule}"


@dataclass(frozen=True, slots=True)
class Format:
    """A package format: name, rules, and its endpoints by name."""

    name: str
    rules: FormatRules
    endpoints: dict[str, Endpoint]

    def endpoint(self, name: str) -> Endpoint:
        return self.endpoints[name]

    def custom_endpoints(self) -> list[Endpoint]:
        return [e for e in self.endpoints.values() if e.custom_reason]


def iter_chunks(data: bytes, chunk_size: int = 1 << 16) -> Iterator[bytes]:
    for start in range(0, len(data), chunk_size):
        yield data[start : start + chunk_size]


# --- artifacts and operations: what the engine (and Locust users) call for any format --------------------


@runtime_checkable
class Artifact(Protocol):
    """A package file built by a format's artifact builder: a real, valid package of the format.

    `size` is the file's exact size; `chunks()` yields its bytes (an artifact of any size is never held in
    memory whole when the format allows streaming); `write_to` puts it on disk for a real client to use.
    """

    @property
    def file_name(self) -> str: ...

    @property
    def size(self) -> int: ...

    def chunks(self) -> Iterator[bytes]: ...

    def sha256(self) -> str: ...

    def write_to(self, directory: Path) -> Path: ...


def streamed_sha256(artifact: Artifact) -> str:
    """The sha256 of an artifact produced chunk by chunk, from its chunks."""
    digest = hashlib.sha256()
    for chunk in artifact.chunks():
        digest.update(chunk)
    return digest.hexdigest()


def write_streamed(artifact: Artifact, directory: Path) -> Path:
    """Write an artifact produced chunk by chunk into `directory`, under its file name."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / artifact.file_name
    with path.open("wb") as out:
        for chunk in artifact.chunks():
            out.write(chunk)
    return path


@dataclass(frozen=True, slots=True)
class BytesArtifact:
    """An artifact held in memory (formats whose files are archives with a manifest inside)."""

    file_name: str
    data: bytes
    companions: tuple["BytesArtifact", ...] = ()  # files that travel with it (a Maven jar's pom)

    @property
    def size(self) -> int:
        return len(self.data)

    def chunks(self) -> Iterator[bytes]:
        return iter_chunks(self.data)

    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    def write_to(self, directory: Path) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        for companion in self.companions:
            (directory / companion.file_name).write_bytes(companion.data)
        path = directory / self.file_name
        path.write_bytes(self.data)
        return path


@dataclass(frozen=True)
class MetadataEntry:
    """One version as a metadata document gives it: the file URL it names (absolute, or None when it names none)
    and the digests it states, by hashlib name, as lower-case hex (npm's sha512 `integrity` decoded)."""

    version: str
    url: str | None = None
    digests: dict[str, str] | None = None


def file_digests(artifact: "Artifact", algorithms: Iterator[str] | list[str]) -> dict[str, str]:
    """The artifact's digests under the hashlib names given, in one pass over its bytes."""
    hashes = {name: hashlib.new(name) for name in algorithms}
    if hashes:
        for chunk in artifact.chunks():
            for digest in hashes.values():
                digest.update(chunk)
    return {name: digest.hexdigest() for name, digest in hashes.items()}


class FormatOperations(ABC):
    """A format's operations as requests: defined once, sent by the HTTP driver, checked by the engine, reused by
    Locust users. Names and versions given here are final (any run prefix is already applied)."""

    format: Format
    package_type: str  # the Packages API's `package_type`

    @abstractmethod
    def artifact(self, name: str, version: str, file_hint: str, size: int, seed: int) -> Artifact:
        """A valid package file of about `size` bytes (exactly, where the format allows) whose content depends
        on `seed`. `file_hint` is the scenario's file name; formats with fixed file names may ignore it."""

    @abstractmethod
    def push(self, project_id: int | str, name: str, version: str, artifact: Artifact, *,
             status: str | None = None, select: str | None = None) -> list[RequestSpec]:
        """The requests a client sends to publish the artifact, in order (one for most formats)."""

    @abstractmethod
    def pull(self, project_id: int | str, name: str, version: str, file_name: str) -> RequestSpec:
        """Download one file of a package, as a client installing it would."""

    def prepare(self, project_id: int | str, name: str, version: str, artifact: Artifact) -> list[RequestSpec]:
        """Set-up a publish needs before its own requests, sent in order with the owner's token (Composer and Go:
        a commit of the package's files to the project's repository and a tag, `core.repository`); none by
        default."""
        return []

    def prepared(self, project_id: int | str, name: str, version: str, answers: list[Any]) -> None:
        """The target's answers to `prepare`'s requests (parsed JSON, None where not JSON), once all succeeded:
        what a later request must name and only the target tells (Composer: the commit's sha its archive URL
        carries). Nothing to remember by default."""
        return None

    def publishes_concurrently(self) -> bool:
        """True when packages of one project can be published at the same time; False when every publish of a
        project re-points something they all share (Composer: the repository's version tags, `v1.0.0` naming one
        commit at a time), so bulk publishes of one project go one after another."""
        return True

    # Why GitLab has no size limit for the format (nothing is uploaded: Composer), or None; the size-limit
    # scenarios are then not applicable with it.
    no_size_limit: str | None = None

    # Why a set-up that GitLab refuses (401, 403, 404) is no failure of the publish itself, or None: the publish's
    # requests are then sent and judged on their own answers (Debian: the distribution API refuses the owner where
    # the package registry is switched off, as the upload then refuses its caller).
    prepare_refusal_judged: str | None = None

    # Why the format has no upload request (Go: a version is a tag of the project's repository), or None. Without
    # one, `push` returns no request, a publish is `prepare` alone, and the subject's pushes are not applicable.
    no_upload: str | None = None

    # Why GitLab's Packages API lists none of the format's packages (Go: nothing creates them), or None. The list,
    # search and delete scenarios are then not applicable with it.
    not_listed: str | None = None

    # Why a version names something the whole project shares (Go: a tag of the project's repository), so two
    # packages of one project cannot both have it, or None. Seeding then gives each package versions of its own.
    versions_project_wide: str | None = None

    # Why the registry builds the file a pull serves rather than keeping the pushed bytes (Go: GitLab zips the module
    # from the repository on every request), or None: a pull must then be the very bytes pushed (sha256 and size).
    # With a reason, a pull is compared by `content_key` of what was pushed against `pulled_key` of what was served.
    served_built: str | None = None

    def content_key(self, project_id: int | str, name: str, version: str, artifact: Artifact) -> str:
        """What a pull of the published artifact must match (the format's own identity of the content where
        `served_built`, e.g. Go's h1: hash of the module's files); by default its sha256."""
        return artifact.sha256()

    def pulled_key(self, data: bytes) -> str:
        """The same identity computed from the bytes a pull got; by default their sha256."""
        return hashlib.sha256(data).hexdigest()

    def invalid_artifact(self, name: str, version: str) -> Artifact | None:
        """A file named as the format's package would be, whose content is not a valid package (the format guard
        must refuse it); None when the format takes any file (`no_format_guard` says why)."""
        return None

    no_format_guard = "the format takes any file"

    # Why an upload of an invalid name or version, or of a name a protection rule covers, is answered as any other
    # (GitLab reads the name from the file in a background job and marks the package `error` there, out of the
    # client's sight), or None: the upload refuses it. Name validation and protection rules are then not applicable.
    validated_in_background: str | None = None

    def forwarded_to(self, spec: RequestSpec, name: str) -> str | None:
        """Where GitLab redirects `spec`, a request for package `name` that the registry does not have, when the
        group forwards the format's requests: the public registry's URL, or None when the format (or this route)
        does not forward."""
        return None

    def file_name(self, name: str, version: str, file_hint: str) -> str:
        """The file a push of this name and version stores (what a pull asks for)."""
        return self.artifact(name, version, file_hint, 0, 0).file_name

    def package_name(self, name: str) -> str:
        """How the Packages API names a package the harness calls `name` (Maven: its group path and artifact)."""
        return name

    def metadata(self, project_id: int | str, name: str) -> RequestSpec | None:
        """The format's metadata document for a package name (all versions), where the format has one."""
        return None

    def metadata_entries(self, document: bytes, name: str) -> list[MetadataEntry] | None:
        """The versions a metadata document lists, with the file URL and digests it gives for each; None when the
        format's document is not read this way (the metadata-truth checks are then not applicable). Raises
        ValueError when the document cannot be read."""
        return None

    @property
    def has_metadata_document(self) -> bool:
        """Whether the format has a metadata document (its operations define `metadata` or `group_metadata`)."""
        return (type(self).metadata is not FormatOperations.metadata
                or type(self).group_metadata is not FormatOperations.group_metadata)

    @property
    def metadata_group_only(self) -> bool:
        """The format's metadata document is served at the group level only (Composer's `p2/<name>.json`): a
        project-level step reads the project's group's document."""
        return (type(self).metadata is FormatOperations.metadata
                and type(self).group_metadata is not FormatOperations.group_metadata)

    def search(self, project_id: int | str, term: str, page: int = 1) -> RequestSpec:
        """Packages of this format whose name contains `term` (GitLab's Packages API)."""
        return packages_api.list_packages(project_id, package_type=self.package_type, package_name=term, page=page)

    def group_pull(self, group_id: int | str, project_id: int | str, name: str, version: str,
                   file_name: str) -> RequestSpec | None:
        """Download through the group-level endpoint (GitLab's own aggregation), where the format has one."""
        return None

    def group_metadata(self, group_id: int | str, name: str) -> RequestSpec | None:
        """The metadata document through the group-level endpoint, where the format has one."""
        return None

    def tag(self, project_id: int | str, name: str, tag: str, version: str | None) -> RequestSpec | None:
        """Point a tag at a version (npm's dist-tags), or remove the tag when `version` is None; None when the
        format has no tags."""
        return None

    def tags(self, project_id: int | str, name: str) -> RequestSpec | None:
        """The package's tags as a JSON object, tag → version; None when the format has no tags."""
        return None

    def instance_metadata(self, name: str) -> RequestSpec | None:
        """The metadata document through the instance-level endpoint, where the format has one."""
        return None

    def versions_push_concurrently(self) -> bool:
        """True when versions of one package can be published at the same time; False when each publish rewrites a
        file the package's versions share (Maven's artifact-level maven-metadata.xml and its checksums), so that
        concurrent publishes race, as concurrent `mvn deploy`s of one artifact do."""
        return True

    def duplicate_checked_before_body(self) -> bool:
        """True when the URL names the package and file, so a duplicate is refused before the body is read;
        False when they travel inside the body (PyPI's multipart form)."""
        return True

    def size_checked_before_body(self) -> bool:
        """True when GitLab refuses an over-limit file before its body is read (the format's rules say)."""
        return self.format.rules.too_large_before_body


__all__ = ["RATE_LIMITED_PATH", "RATE_LIMITED_PREFIXES", "Artifact", "Body",
           "BytesArtifact", "DuplicatePolicy", "Endpoint", "Format", "FormatOperations", "FormatRules", "RequestSpec",
           "iter_chunks"]
