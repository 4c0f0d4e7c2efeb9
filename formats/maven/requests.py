"""Maven's requests: what `mvn deploy` sends (each file, then its checksums, then maven-metadata.xml) and the
downloads at the project, group and instance level."""

from collections.abc import Iterator
from urllib.parse import quote

from core.format_types import Artifact, Endpoint, RequestSpec
from formats.maven.artifacts import MavenJar, file_digests
from formats.maven.documents import artifact_metadata_xml, snapshot_metadata_xml
from formats.maven.names import METADATA_FILE, SNAPSHOT_TIMESTAMP, Coordinates
from formats.maven.rules import DOWNLOAD, GROUP_DOWNLOAD, INSTANCE_DOWNLOAD, UPLOAD, VERIFIED_CHECKSUMS, VERIFY_CHECKSUM

DEPLOY_CHECKSUMS = ("sha1", "md5")  # what `mvn deploy` (Maven 3.8) uploads after each file


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
