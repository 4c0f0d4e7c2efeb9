"""The Maven format: GitLab's Maven rules, the endpoints mvn talks to, the requests `mvn deploy` sends, real jars.

Names. The harness calls a package by a short name ("small-package"); a Maven package needs coordinates. Every
harness package gets the fixed groupId `com.example.harness` and its name as artifactId, so GitLab names the package
by its path, `com/example/harness/small-package` (GitLab's Maven package name is the groupId, dots turned into
slashes, then the artifactId), and the Packages API lists it under that name.

Paths. Every Maven endpoint ends in `<groupId as path>/<artifactId>/<version>/<file>`, or `<groupId as path>/
<artifactId>/maven-metadata.xml` for the artifact-level metadata, which GitLab keeps in a versionless package. A
checksum file (`.md5`, `.sha1`, `.sha256`, `.sha512`) is about the file whose name it extends: its upload is
verified (GitLab verifies `.sha1` and takes `.md5` unread), never stored, and never a duplicate; neither is any
maven-metadata.xml.

Auth. mvn sends `Private-Token`, `Deploy-Token` or `Job-Token` from settings.xml, or Basic; every token kind is
accepted both ways. An anonymous request to a private project is answered 401 with `WWW-Authenticate: Basic`: Maven
sends Basic credentials on a GET only after that challenge (Endpoint's defaults say all of this).
"""

import hashlib
import random
import re
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from urllib.parse import quote
from xml.sax.saxutils import escape

from core import packages_api
from core.format_types import (
    Artifact,
    BytesArtifact,
    DuplicatePolicy,
    Endpoint,
    Format,
    FormatOperations,
    FormatRules,
    RequestSpec,
)
from core.vocabulary import Operation

GIB = 1 << 30

HARNESS_GROUP_ID = "com.example.harness"  # the groupId of every package the harness pushes
METADATA_FILE = "maven-metadata.xml"
SNAPSHOT = "-SNAPSHOT"
CHECKSUMS = ("md5", "sha1", "sha256", "sha512")  # the extensions of checksum files, as Maven's resolver writes them
DEPLOY_CHECKSUMS = ("sha1", "md5")  # what `mvn deploy` (Maven 3.8) uploads after each file
# The timestamp of the harness's SNAPSHOT files: fixed, so a pull can name the file a push stored without first
# reading the version-level maven-metadata.xml (mvn itself stamps the deploy time; the server accepts any).
SNAPSHOT_TIMESTAMP = "20240101.000000"
SNAPSHOT_BUILD = 1

# Gitlab::Regex (lib/gitlab/regex/packages.rb); Ruby's \w is ASCII, hence re.ASCII.
APP_NAME_PATTERN = re.compile(r"[\w.-]+", re.ASCII)  # maven_app_name_regex, and maven_app_group_regex
PATH_PATTERN = re.compile(r"@?(?:[\w.-]*/)*[\w.+-]*", re.ASCII)  # maven_path_regex
VERSION_PATTERN = re.compile(r"(?!.*\.\.)[\w+.-]+", re.ASCII)  # maven_version_regex
FILE_NAME_PATTERN = re.compile(r"[A-Za-z0-9._+-]+")  # maven_file_name_regex

APP_NAME_RULE = "only letters, digits, '_', '.' and '-' (Gitlab::Regex.maven_app_name_regex)"
PATH_RULE = r"must match \A\@?(([\w\-\.]*)/)*([\w\-\.\+]*)\z (Gitlab::Regex.maven_path_regex)"

RULES = FormatRules(
    name_pattern=APP_NAME_PATTERN,  # the harness's name is the artifactId
    version_pattern=VERSION_PATTERN,
    file_name_pattern=FILE_NAME_PATTERN,
    size_limit=3 * GIB,  # GitLab's default plan limit `maven_max_file_size`
    # maven_packages.rb: `bad_request!(result.errors.first)`, where FindOrCreatePackageService's error is
    # 'Duplicate package is not allowed'. Allowed by default; a group setting with an exceptions regex refuses them.
    duplicates=DuplicatePolicy(allowed_by_default=True, switchable=True, refused_status=400),
    name_rule=APP_NAME_RULE,
    version_rule=r"must match \A(?!.*\.\.)[\w+.-]+\z: letters, digits, '_', '+', '.', '-', never '..'"
                 " (Gitlab::Regex.maven_version_regex)",
    file_name_rule="only letters, digits, '.', '_', '-' and '+' (Gitlab::Regex.maven_file_name_regex)",
)

_PROJECT_PATH = "/api/v4/projects/{project_id}/packages/maven/{path:path}"
_AGGREGATION = ("GitLab-only aggregation: a Maven repository is one URL; GitLab also serves every project's packages"
                " through one URL per group and one for the instance.")

UPLOAD = Endpoint(name="upload", method="PUT", path=_PROJECT_PATH, operation=Operation.PUSH, success_status=200)
# The same route, for a `.sha1` (`.sha256`, `.sha512`) after a file: verified, not stored, answered 204 No Content.
# A `.md5` is answered by UPLOAD's 200, unverified, as GitLab does.
VERIFY_CHECKSUM = Endpoint(name="verify_checksum", method="PUT", path=_PROJECT_PATH, operation=Operation.PUSH,
                           success_status=204)
VERIFIED_CHECKSUMS = ("sha1", "sha256", "sha512")
DOWNLOAD = Endpoint(name="download", method="GET", path=_PROJECT_PATH, operation=Operation.PULL, success_status=200)
GROUP_DOWNLOAD = Endpoint(
    name="group_download",
    method="GET",
    path="/api/v4/groups/{group_id}/-/packages/maven/{path:path}",
    operation=Operation.PULL,
    success_status=200,
    custom_reason=_AGGREGATION + " The newest package of that path in any project of the group that the caller"
                                 " may read wins.",
)
INSTANCE_DOWNLOAD = Endpoint(
    name="instance_download",
    method="GET",
    path="/api/v4/packages/maven/{path:path}",
    operation=Operation.PULL,
    success_status=200,
    custom_reason=_AGGREGATION + " GitLab finds the project by the package's name: the project's full path must be"
                                 " the groupId (as a path) and the artifactId.",
)

MAVEN = Format(
    name="maven",
    rules=RULES,
    endpoints={e.name: e for e in (UPLOAD, VERIFY_CHECKSUM, DOWNLOAD, GROUP_DOWNLOAD, INSTANCE_DOWNLOAD)}
    | packages_api.ENDPOINTS,
)


# --- coordinates and paths ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Coordinates:
    """groupId, artifactId and version, and the names and paths GitLab derives from them."""

    group_id: str
    artifact_id: str
    version: str

    @property
    def package_name(self) -> str:
        """GitLab's name for the package: the groupId as a path, then the artifactId."""
        return f"{self.group_id.replace('.', '/')}/{self.artifact_id}"

    @property
    def version_path(self) -> str:
        return f"{self.package_name}/{self.version}"

    @property
    def is_snapshot(self) -> bool:
        return self.version.endswith(SNAPSHOT)

    @property
    def file_version(self) -> str:
        """The version in file names: a SNAPSHOT's files carry a timestamp and build number instead."""
        if not self.is_snapshot:
            return self.version
        return f"{self.version.removesuffix(SNAPSHOT)}-{SNAPSHOT_TIMESTAMP}-{SNAPSHOT_BUILD}"

    def file_name(self, extension: str) -> str:
        return f"{self.artifact_id}-{self.file_version}.{extension}"

    @property
    def gav(self) -> str:
        return f"{self.group_id}:{self.artifact_id}:{self.version}"


def coordinates(name: str, version: str) -> Coordinates:
    """The coordinates of the harness's package `name` (see the module docstring)."""
    return Coordinates(HARNESS_GROUP_ID, name, version)


@dataclass(frozen=True)
class FileRef:
    """What a request path names: a package (by GitLab's name and version) and one file of it, or its checksum."""

    package_name: str
    version: str | None  # None: the artifact-level maven-metadata.xml, kept in GitLab's versionless package
    file_name: str  # the file itself (for a checksum, the file it is the checksum of)
    checksum: str | None = None  # one of CHECKSUMS when the request is for a checksum of `file_name`

    @property
    def group_id(self) -> str:
        return self.package_name.rpartition("/")[0].replace("/", ".")

    @property
    def artifact_id(self) -> str:
        return self.package_name.rpartition("/")[2]

    @property
    def is_metadata(self) -> bool:
        return self.file_name == METADATA_FILE

    @property
    def extension(self) -> str:
        """What GitLab compares to find a duplicate: the file's last extension (`.jar`, `.pom`)."""
        return Path(self.file_name).suffix


def split_checksum(file_name: str) -> tuple[str, str | None]:
    """`a-1.0.jar.sha1` → (`a-1.0.jar`, `sha1`); any other name → (name, None)."""
    base, _, extension = file_name.rpartition(".")
    return (base, extension) if base and extension in CHECKSUMS else (file_name, None)


def parse_path(full_path: str) -> FileRef:
    """The package and file a Maven URL path names (everything after `/packages/maven/`); ValueError naming the
    rule broken. As GitLab does, a maven-metadata.xml outside a `-SNAPSHOT` directory is the artifact-level one."""
    path, _, file_name = full_path.rpartition("/")
    if not FILE_NAME_PATTERN.fullmatch(file_name):
        raise ValueError(f"file_name is invalid: {RULES.file_name_rule}")
    if not path or not PATH_PATTERN.fullmatch(path):
        raise ValueError(f"path is invalid: {PATH_RULE}")
    base, checksum = split_checksum(file_name)
    if base == METADATA_FILE and not path.endswith(SNAPSHOT):
        package_name, version = path, None
    else:
        package_name, _, version = path.rpartition("/")
        if not VERSION_PATTERN.fullmatch(version):
            raise ValueError(f"version is invalid: {RULES.version_rule}")
    group_path, _, artifact_id = package_name.rpartition("/")
    if not APP_NAME_PATTERN.fullmatch(artifact_id):
        raise ValueError(f"artifactId is invalid: {APP_NAME_RULE}")
    if not APP_NAME_PATTERN.fullmatch(group_path.replace("/", ".")):
        raise ValueError(f"groupId is invalid: a groupId is required, with {APP_NAME_RULE}")
    return FileRef(package_name, version, base, checksum)


# --- documents: pom and maven-metadata.xml ------------------------------------------------------------------------


def pom_xml(coords: Coordinates, seed: int = 0) -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
         xsi:schemaLocation="http://maven.apache.org/POM/4.0.0 https://maven.apache.org/xsd/maven-4.0.0.xsd">
  <modelVersion>4.0.0</modelVersion>
  <groupId>{escape(coords.group_id)}</groupId>
  <artifactId>{escape(coords.artifact_id)}</artifactId>
  <version>{escape(coords.version)}</version>
  <packaging>jar</packaging>
  <description>Built by the registry rollout harness (seed {seed}).</description>
</project>
""".encode()


def artifact_metadata_xml(group_id: str, artifact_id: str, versions: list[str], last_updated: str) -> bytes:
    """The artifact-level maven-metadata.xml: every version, oldest first; `latest` is the newest, `release` the
    newest that is not a SNAPSHOT. `last_updated` is yyyyMMddHHmmss (UTC)."""
    releases = [v for v in versions if not v.endswith(SNAPSHOT)]
    latest = f"\n    <latest>{escape(versions[-1])}</latest>" if versions else ""
    release = f"\n    <release>{escape(releases[-1])}</release>" if releases else ""
    listed = "".join(f"\n      <version>{escape(v)}</version>" for v in versions)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<metadata>
  <groupId>{escape(group_id)}</groupId>
  <artifactId>{escape(artifact_id)}</artifactId>
  <versioning>{latest}{release}
    <versions>{listed}
    </versions>
    <lastUpdated>{last_updated}</lastUpdated>
  </versioning>
</metadata>
""".encode()


def snapshot_metadata_xml(coords: Coordinates, extensions: tuple[str, ...] = ("jar", "pom")) -> bytes:
    """The version-level maven-metadata.xml of a SNAPSHOT: which timestamped file is the current one."""
    updated = SNAPSHOT_TIMESTAMP.replace(".", "")
    entries = "".join(f"""
      <snapshotVersion>
        <extension>{extension}</extension>
        <value>{escape(coords.file_version)}</value>
        <updated>{updated}</updated>
      </snapshotVersion>""" for extension in extensions)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<metadata modelVersion="1.1.0">
  <groupId>{escape(coords.group_id)}</groupId>
  <artifactId>{escape(coords.artifact_id)}</artifactId>
  <version>{escape(coords.version)}</version>
  <versioning>
    <snapshot>
      <timestamp>{SNAPSHOT_TIMESTAMP}</timestamp>
      <buildNumber>{SNAPSHOT_BUILD}</buildNumber>
    </snapshot>
    <lastUpdated>{updated}</lastUpdated>
    <snapshotVersions>{entries}
    </snapshotVersions>
  </versioning>
</metadata>
""".encode()


# --- the artifact: a real jar, streamed ---------------------------------------------------------------------------

_ZIP64_LIMIT = 0xFFFFFFFF
_DOS_DATE = (0 << 9) | (1 << 5) | 1  # 1980-01-01, 00:00: fixed, so a jar's bytes depend on its seed alone
PAYLOAD_ENTRY = "harness/payload.bin"


@dataclass(frozen=True)
class _Entry:
    name: bytes
    size: int
    crc: int
    offset: int
    zip64: bool


@dataclass(frozen=True)
class MavenJar:
    """A jar of exactly `size` bytes (or the smallest jar, when `size` is smaller): META-INF/MANIFEST.MF, the pom
    and pom.properties under META-INF/maven/<groupId>/<artifactId>/, and a payload of random bytes from
    random.Random(seed), all stored (ZIP_STORED). The payload is produced chunk by chunk, so a jar of any size is
    never held in memory; its CRC is computed in one pass first. `companions` holds the pom that travels with it."""

    coords: Coordinates
    requested_size: int
    seed: int = 0
    chunk_size: int = 1 << 20
    companions: tuple[BytesArtifact, ...] = field(init=False)

    def __post_init__(self) -> None:
        pom = BytesArtifact(self.coords.file_name("pom"), pom_xml(self.coords, self.seed))
        object.__setattr__(self, "companions", (pom,))

    @property
    def file_name(self) -> str:
        return self.coords.file_name("jar")

    @property
    def pom(self) -> BytesArtifact:
        return self.companions[0]

    @cached_property
    def _small_entries(self) -> list[tuple[str, bytes]]:
        g, a, v = self.coords.group_id, self.coords.artifact_id, self.coords.version
        manifest = b"Manifest-Version: 1.0\r\nCreated-By: registry-rollout-harness\r\n\r\n"
        properties = f"groupId={g}\nartifactId={a}\nversion={v}\n".encode()
        return [("META-INF/MANIFEST.MF", manifest), (f"META-INF/maven/{g}/{a}/pom.xml", self.pom.data),
                (f"META-INF/maven/{g}/{a}/pom.properties", properties)]

    def _overhead(self, zip64: bool) -> int:
        """Every byte of the jar that is not payload."""
        names = [n.encode() for n, _ in self._small_entries] + [PAYLOAD_ENTRY.encode()]
        small = sum(30 + 46 + 2 * len(n.encode()) + len(d) for n, d in self._small_entries)
        payload = 30 + 46 + 2 * len(names[-1]) + (2 * 20 if zip64 else 0)
        return small + payload + 22 + (56 + 20 if zip64 else 0)

    @property
    def zip64(self) -> bool:
        """Zip64 records once the jar reaches 4 GiB (its payload size and directory offset no longer fit)."""
        return self.requested_size >= _ZIP64_LIMIT

    @cached_property
    def payload_size(self) -> int:
        return max(0, self.requested_size - self._overhead(self.zip64))

    @property
    def size(self) -> int:
        return self.payload_size + self._overhead(self.zip64)

    @cached_property
    def _block(self) -> bytes:
        return random.Random(self.seed).randbytes(self.chunk_size)

    def _payload(self) -> Iterator[bytes]:
        """Each chunk is the seeded block with its index over the first 8 bytes (no two chunks alike)."""
        remaining, index = self.payload_size, 0
        while remaining > 0:
            take = min(remaining, self.chunk_size)
            yield (index.to_bytes(8, "big") + self._block[8:])[:take]
            remaining -= take
            index += 1

    @cached_property
    def _payload_crc(self) -> int:
        crc = 0
        for chunk in self._payload():
            crc = zlib.crc32(chunk, crc)
        return crc

    def chunks(self) -> Iterator[bytes]:
        entries: list[_Entry] = []
        offset = 0
        for name, data in self._small_entries:
            entry = _Entry(name.encode(), len(data), zlib.crc32(data), offset, False)
            header = _local_header(entry)
            entries.append(entry)
            offset += len(header) + len(data)
            yield header + data
        payload = _Entry(PAYLOAD_ENTRY.encode(), self.payload_size, self._payload_crc, offset, self.zip64)
        header = _local_header(payload)
        entries.append(payload)
        yield header
        yield from self._payload()
        offset += len(header) + payload.size
        directory = b"".join(_central_header(e) for e in entries)
        yield directory + _end_records(len(entries), len(directory), offset, self.zip64)

    @cached_property
    def digests(self) -> dict[str, str]:
        """md5, sha1 and sha256 of the jar, from one pass over it."""
        return file_digests(self.chunks())

    def sha256(self) -> str:
        return self.digests["sha256"]

    def write_to(self, directory: Path) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        self.pom.write_to(directory)
        path = directory / self.file_name
        with path.open("wb") as file:
            for chunk in self.chunks():
                file.write(chunk)
        return path


def file_digests(chunks: Iterator[bytes], algorithms: tuple[str, ...] = ("md5", "sha1", "sha256")) -> dict[str, str]:
    digests = {algorithm: hashlib.new(algorithm) for algorithm in algorithms}
    for chunk in chunks:
        for digest in digests.values():
            digest.update(chunk)
    return {algorithm: digest.hexdigest() for algorithm, digest in digests.items()}


def _local_header(entry: _Entry) -> bytes:
    size = _ZIP64_LIMIT if entry.zip64 else entry.size
    extra = struct.pack("<HHQQ", 1, 16, entry.size, entry.size) if entry.zip64 else b""
    return struct.pack("<IHHHHHIIIHH", 0x04034B50, 45 if entry.zip64 else 20, 0, 0, 0, _DOS_DATE, entry.crc, size,
                       size, len(entry.name), len(extra)) + entry.name + extra


def _central_header(entry: _Entry) -> bytes:
    size = _ZIP64_LIMIT if entry.zip64 else entry.size
    extra = struct.pack("<HHQQ", 1, 16, entry.size, entry.size) if entry.zip64 else b""
    version = 45 if entry.zip64 else 20
    return struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, version, version, 0, 0, 0, _DOS_DATE, entry.crc, size, size,
                       len(entry.name), len(extra), 0, 0, 0, 0, entry.offset) + entry.name + extra


def _end_records(count: int, directory_size: int, directory_offset: int, zip64: bool) -> bytes:
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, count, count, directory_size,
                      _ZIP64_LIMIT if zip64 else directory_offset, 0)
    if not zip64:
        return end
    record = struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, count, count, directory_size, directory_offset)
    locator = struct.pack("<IIQI", 0x07064B50, 0, directory_offset + directory_size, 1)
    return record + locator + end


# --- requests -----------------------------------------------------------------------------------------------------


def _url_path(endpoint: Endpoint, segments: list[str], **params: object) -> str:
    """The endpoint's path, its Maven path made of `segments`, each URL-encoded whole: a '/' inside a coordinate is
    sent as %2F, so a bad artifactId reaches the server as one (refused) segment, never as more path."""
    path = endpoint.path.replace("{path:path}", "/".join(quote(segment, safe="") for segment in segments))
    for key, value in params.items():
        path = path.replace("{" + key + "}", quote(str(value), safe=""))
    return path


def artifact_segments(coords: Coordinates) -> list[str]:
    """`com.example.harness:small-package` → com, example, harness, small-package."""
    return [*coords.group_id.split("."), coords.artifact_id]


def version_segments(coords: Coordinates) -> list[str]:
    return [*artifact_segments(coords), coords.version]


def upload(project_id: int | str, segments: list[str], file_name: str, body: bytes | Iterator[bytes],
           size: int) -> RequestSpec:
    """PUT one file under a Maven path (`<groupId parts>/<artifactId>[/<version>]`)."""
    return RequestSpec(UPLOAD, _url_path(UPLOAD, [*segments, file_name], project_id=project_id),
                       headers={"Content-Type": "application/octet-stream"}, body=body, body_size=size)


def upload_checksum(project_id: int | str, segments: list[str], file_name: str, algorithm: str,
                    hexdigest: str) -> RequestSpec:
    """PUT `<file_name>.<algorithm>` holding the file's hex digest, as mvn does after each file."""
    endpoint = VERIFY_CHECKSUM if algorithm in VERIFIED_CHECKSUMS else UPLOAD
    body = hexdigest.encode()
    return RequestSpec(endpoint, _url_path(endpoint, [*segments, f"{file_name}.{algorithm}"], project_id=project_id),
                       headers={"Content-Type": "application/octet-stream"}, body=body, body_size=len(body))


def download(project_id: int | str, segments: list[str], file_name: str) -> RequestSpec:
    return RequestSpec(DOWNLOAD, _url_path(DOWNLOAD, [*segments, file_name], project_id=project_id))


def group_download(group_id: int | str, segments: list[str], file_name: str) -> RequestSpec:
    return RequestSpec(GROUP_DOWNLOAD, _url_path(GROUP_DOWNLOAD, [*segments, file_name], group_id=group_id))


def instance_download(segments: list[str], file_name: str) -> RequestSpec:
    return RequestSpec(INSTANCE_DOWNLOAD, _url_path(INSTANCE_DOWNLOAD, [*segments, file_name]))


def _with_checksums(project_id: int | str, segments: list[str], file_name: str, data: bytes) -> list[RequestSpec]:
    """A small file and the checksums mvn uploads after it."""
    digests = file_digests(iter([data]), DEPLOY_CHECKSUMS)
    return [upload(project_id, segments, file_name, data, len(data)),
            *(upload_checksum(project_id, segments, file_name, a, digests[a]) for a in DEPLOY_CHECKSUMS)]


def deploy(project_id: int | str, coords: Coordinates, jar: Artifact, pom: bytes) -> list[RequestSpec]:
    """The requests `mvn deploy` sends, in its order: the jar and its checksums, the pom and its checksums, for a
    SNAPSHOT the version-level maven-metadata.xml, then the artifact-level maven-metadata.xml, each with checksums.
    The jar's checksums are computed by streaming it (it is never held in memory); a MavenJar keeps them."""
    digests = jar.digests if isinstance(jar, MavenJar) else file_digests(jar.chunks())
    version_path = version_segments(coords)
    specs = [upload(project_id, version_path, jar.file_name, jar.chunks(), jar.size),
             *(upload_checksum(project_id, version_path, jar.file_name, a, digests[a]) for a in DEPLOY_CHECKSUMS)]
    specs += _with_checksums(project_id, version_path, coords.file_name("pom"), pom)
    if coords.is_snapshot:
        specs += _with_checksums(project_id, version_path, METADATA_FILE, snapshot_metadata_xml(coords))
    listing = artifact_metadata_xml(coords.group_id, coords.artifact_id, [coords.version],
                                    SNAPSHOT_TIMESTAMP.replace(".", ""))
    return specs + _with_checksums(project_id, artifact_segments(coords), METADATA_FILE, listing)


class MavenOperations(FormatOperations):
    format = MAVEN
    package_type = "maven"

    def artifact(self, name: str, version: str, file_hint: str, size: int, seed: int) -> MavenJar:
        """A jar named `<artifactId>-<version>.jar` (Maven names files after the coordinates; `file_hint` is
        ignored)."""
        return MavenJar(coordinates(name, version), size, seed)

    def file_name(self, name: str, version: str, file_hint: str) -> str:
        return coordinates(name, version).file_name("jar")

    def package_name(self, name: str) -> str:
        return coordinates(name, "0").package_name

    def push(self, project_id: int | str, name: str, version: str, artifact: Artifact, *,
             status: str | None = None, select: str | None = None) -> list[RequestSpec]:
        """What `mvn deploy` sends. Maven has no `status` or `select`: GitLab's Maven API takes neither, so both
        are ignored. The pom is the artifact's companion when it has one, else one built from the coordinates."""
        coords = coordinates(name, version)
        companions = getattr(artifact, "companions", ())
        pom = companions[0].data if companions else pom_xml(coords)
        return deploy(project_id, coords, artifact, pom)

    no_format_guard = ("GitLab stores Maven files as `mvn deploy` sends them: no content check; the file-name rule "
                       "(name and version validation) is its guard")

    def versions_push_concurrently(self) -> bool:
        return False  # every deploy rewrites the artifact's maven-metadata.xml and its .sha1

    def pull(self, project_id: int | str, name: str, version: str, file_name: str) -> RequestSpec:
        return download(project_id, version_segments(coordinates(name, version)), file_name)

    def metadata(self, project_id: int | str, name: str) -> RequestSpec:
        """The artifact-level maven-metadata.xml: every version of the package."""
        return download(project_id, artifact_segments(coordinates(name, "0")), METADATA_FILE)

    def group_pull(self, group_id: int | str, project_id: int | str, name: str, version: str,
                   file_name: str) -> RequestSpec:
        return group_download(group_id, version_segments(coordinates(name, version)), file_name)

    def group_metadata(self, group_id: int | str, name: str) -> RequestSpec:
        return group_download(group_id, artifact_segments(coordinates(name, "0")), METADATA_FILE)


OPERATIONS = MavenOperations()
