"""Maven's FormatOperations: what the engine and Locust users call."""

from urllib.parse import unquote
from xml.etree import ElementTree

from core.format_types import Artifact, FormatOperations, MetadataEntry, RequestSpec
from formats.maven import requests
from formats.maven.artifacts import MavenJar
from formats.maven.documents import pom_xml
from formats.maven.names import METADATA_FILE, coordinates
from formats.maven.rules import FORWARDING, MAVEN, forward_url


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
        return requests.deploy(project_id, coords, artifact, pom)

    def forwarded_to(self, spec: RequestSpec, name: str) -> str | None:
        """By the request's Maven path and file name (GitLab's `params[:path]` and `params[:file_name]`)."""
        if spec.endpoint.name not in FORWARDING.endpoints:
            return None
        path, _, file_name = unquote(spec.path.partition("/packages/maven/")[2]).rpartition("/")
        return forward_url(path, file_name)

    no_format_guard = ("GitLab stores Maven files as `mvn deploy` sends them: no content check; the file-name rule "
                       "(name and version validation) is its guard")

    def versions_push_concurrently(self) -> bool:
        return False  # every deploy rewrites the artifact's maven-metadata.xml and its .sha1

    def pull(self, project_id: int | str, name: str, version: str, file_name: str) -> RequestSpec:
        return requests.download(project_id, requests.version_segments(coordinates(name, version)), file_name)

    def metadata(self, project_id: int | str, name: str) -> RequestSpec:
        """The artifact-level maven-metadata.xml: every version of the package."""
        return requests.download(project_id, requests.artifact_segments(coordinates(name, "0")), METADATA_FILE)

    def metadata_entries(self, document: bytes, name: str) -> list[MetadataEntry]:
        """maven-metadata.xml's `versioning/versions`: versions only (Maven states no file URLs or digests there;
        each file's digest is its own `.sha1` file)."""
        try:
            root = ElementTree.fromstring(document)  # expat (Python 3.11) limits entity expansion
        except ElementTree.ParseError as exc:
            raise ValueError(f"not XML: {exc}") from None
        return [MetadataEntry(str(v.text).strip()) for v in root.iterfind("versioning/versions/version") if v.text]

    def group_pull(self, group_id: int | str, project_id: int | str, name: str, version: str,
                   file_name: str) -> RequestSpec:
        return requests.group_download(group_id, requests.version_segments(coordinates(name, version)), file_name)

    def group_metadata(self, group_id: int | str, name: str) -> RequestSpec:
        return requests.group_download(group_id, requests.artifact_segments(coordinates(name, "0")), METADATA_FILE)


OPERATIONS = MavenOperations()
