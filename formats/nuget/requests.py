"""NuGet's requests: the publish GitLab documents (`curl --request PUT --form 'package=@<file>.nupkg'`: a multipart
form whose one field, `package`, is the package, streamed), the content download, the registration index and the
search query service, as a v3 client asks for them (PackageBaseAddress lowercases the id and version)."""

from collections.abc import Iterator

from core.format_types import Artifact, Endpoint, RequestSpec

from .names import stored_file_name
from .rules import DOWNLOAD, GROUP_METADATA, METADATA, PUBLISH, QUERY, VERSIONS

FIELD = "package"  # `requires :package, type: ::API::Validations::Types::WorkhorseFile`


def _multipart(head: bytes, artifact: Artifact, tail: bytes) -> Iterator[bytes]:
    yield head
    yield from artifact.chunks()
    yield tail


def publish(project_id: int | str, artifact: Artifact, endpoint: Endpoint = PUBLISH, field: str = FIELD,
            headers: dict[str, str] | None = None) -> RequestSpec:
    """PUT the package as curl's `--form package=@<file>` does (`endpoint`: the v3 publish, the symbol publish or
    the v2 push; `field` changes the form field, for negative tests)."""
    boundary = "harness-nuget-" + artifact.sha256()[:24]
    head = (f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="{artifact.file_name}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n").encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    return RequestSpec(endpoint, endpoint.url_path(project_id=project_id),
                       headers={"Content-Type": f"multipart/form-data; boundary={boundary}", **(headers or {})},
                       body=_multipart(head, artifact, tail), body_size=len(head) + artifact.size + len(tail))


def download(project_id: int | str, name: str, version: str, file_name: str | None = None) -> RequestSpec:
    """The package's content (`download/<id>/<version>/<id>.<version>.nupkg`, lowercased as a v3 client asks)."""
    file_name = file_name or stored_file_name(name, version)
    return RequestSpec(DOWNLOAD, DOWNLOAD.url_path(project_id=project_id, package_name=name.lower(),
                                                   package_version=version.lower(), package_filename=file_name))


def versions(project_id: int | str, name: str) -> RequestSpec:
    """PackageBaseAddress's version list (`download/<id>/index.json`: `{"versions": [...]}`)."""
    return RequestSpec(VERSIONS, VERSIONS.url_path(project_id=project_id, package_name=name.lower()))


def registration(project_id: int | str, name: str) -> RequestSpec:
    """The registration index (`metadata/<id>/index.json`): every version, each with its catalog entry and
    `packageContent` URL."""
    return RequestSpec(METADATA, METADATA.url_path(project_id=project_id, package_name=name))


def group_registration(group_id: int | str, name: str) -> RequestSpec:
    return RequestSpec(GROUP_METADATA, GROUP_METADATA.url_path(group_id=group_id, package_name=name))


def query(project_id: int | str, term: str, skip: int = 0, take: int = 20) -> RequestSpec:
    """The search query service (`query?q=<term>&skip=&take=&prerelease=true`)."""
    return RequestSpec(QUERY, QUERY.url_path(project_id=project_id),
                       params={"q": term, "skip": str(skip), "take": str(take), "prerelease": "true"})
