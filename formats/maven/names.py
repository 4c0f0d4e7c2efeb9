"""Maven's names and paths: coordinates, the names GitLab derives from them, and what a request path names.

Names. The harness calls a package by a short name ("small-package"); a Maven package needs coordinates. Every
harness package gets the fixed groupId `com.example.harness` and its name as artifactId, so GitLab names the package
by its path, `com/example/harness/small-package` (GitLab's Maven package name is the groupId, dots turned into
slashes, then the artifactId), and the Packages API lists it under that name.

Paths. Every Maven endpoint ends in `<groupId as path>/<artifactId>/<version>/<file>`, or `<groupId as path>/
<artifactId>/maven-metadata.xml` for the artifact-level metadata, which GitLab keeps in a versionless package. A
checksum file (`.md5`, `.sha1`, `.sha256`, `.sha512`) is about the file whose name it extends: its upload is
verified (GitLab verifies `.sha1` and takes `.md5` unread), never stored, and never a duplicate; neither is any
maven-metadata.xml.
"""

from dataclasses import dataclass
from pathlib import Path

from formats.maven.rules import (
    APP_NAME_PATTERN,
    APP_NAME_RULE,
    FILE_NAME_PATTERN,
    PATH_PATTERN,
    PATH_RULE,
    RULES,
    VERSION_PATTERN,
)

HARNESS_GROUP_ID = "com.example.harness"  # the groupId of every package the harness pushes
METADATA_FILE = "maven-metadata.xml"
SNAPSHOT = "-SNAPSHOT"
CHECKSUMS = ("md5", "sha1", "sha256", "sha512")  # the extensions of checksum files, as Maven's resolver writes them
# The timestamp of the harness's SNAPSHOT files: fixed, so a pull can name the file a push stored without first
# reading the version-level maven-metadata.xml (mvn itself stamps the deploy time; the server accepts any).
SNAPSHOT_TIMESTAMP = "20240101.000000"
SNAPSHOT_BUILD = 1


@dataclass(frozen=True, slots=True)
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


@dataclass(frozen=True, slots=True)
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
