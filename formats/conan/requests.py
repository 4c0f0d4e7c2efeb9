"""Conan's requests, as the clients send them: each file a PUT of its raw bytes (Conan 2's `requests.put(url,
data=file)`, Conan 1's upload URLs), a GET per file for downloads, and the recipe search."""

from core.format_types import Artifact, RequestSpec

from .names import Protocol
from .rules import (
    INSTANCE_PACKAGE_UPLOAD,
    INSTANCE_RECIPE_DOWNLOAD,
    INSTANCE_RECIPE_UPLOAD,
    INSTANCE_SEARCH,
    PACKAGE_UPLOAD,
    RECIPE_DOWNLOAD,
    RECIPE_UPLOAD,
    SEARCH,
    V1_PACKAGE_UPLOAD,
    V1_RECIPE_DOWNLOAD,
    V1_RECIPE_UPLOAD,
    V1_REVISION,
    V1_SEARCH,
)

_RECIPE_UPLOAD = {Protocol.V2: RECIPE_UPLOAD, Protocol.V1: V1_RECIPE_UPLOAD, Protocol.INSTANCE: INSTANCE_RECIPE_UPLOAD}
_RECIPE_DOWNLOAD = {Protocol.V2: RECIPE_DOWNLOAD, Protocol.V1: V1_RECIPE_DOWNLOAD,
                    Protocol.INSTANCE: INSTANCE_RECIPE_DOWNLOAD}
_PACKAGE_UPLOAD = {Protocol.V2: PACKAGE_UPLOAD, Protocol.V1: V1_PACKAGE_UPLOAD,
                   Protocol.INSTANCE: INSTANCE_PACKAGE_UPLOAD}
_SEARCH = {Protocol.V2: SEARCH, Protocol.V1: V1_SEARCH, Protocol.INSTANCE: INSTANCE_SEARCH}


def _reference(protocol: Protocol, project_id: int | str, name: str, version: str, user: str, channel: str,
               revision: str) -> dict[str, object]:
    params: dict[str, object] = {"package_name": name, "package_version": version, "package_username": user,
                                 "package_channel": channel,
                                 "recipe_revision": V1_REVISION if protocol is not Protocol.V2 else revision}
    if protocol is not Protocol.INSTANCE:
        params["project_id"] = project_id
    return params


def recipe_upload(protocol: Protocol, project_id: int | str, name: str, version: str, user: str, channel: str,
                  revision: str, artifact: Artifact) -> RequestSpec:
    endpoint = _RECIPE_UPLOAD[protocol]
    path = endpoint.url_path(**_reference(protocol, project_id, name, version, user, channel, revision),
                             file_name=artifact.file_name)
    return RequestSpec(endpoint, path, headers={"Content-Type": "application/octet-stream"}, body=artifact.chunks(),
                       body_size=artifact.size)


def package_upload(protocol: Protocol, project_id: int | str, name: str, version: str, user: str, channel: str,
                   revision: str, reference: str, package_revision: str, artifact: Artifact) -> RequestSpec:
    endpoint = _PACKAGE_UPLOAD[protocol]
    path = endpoint.url_path(**_reference(protocol, project_id, name, version, user, channel, revision),
                             conan_package_reference=reference,
                             package_revision=V1_REVISION if protocol is not Protocol.V2 else package_revision,
                             file_name=artifact.file_name)
    return RequestSpec(endpoint, path, headers={"Content-Type": "application/octet-stream"}, body=artifact.chunks(),
                       body_size=artifact.size)


def recipe_download(protocol: Protocol, project_id: int | str, name: str, version: str, user: str, channel: str,
                    revision: str, file_name: str) -> RequestSpec:
    endpoint = _RECIPE_DOWNLOAD[protocol]
    path = endpoint.url_path(**_reference(protocol, project_id, name, version, user, channel, revision),
                             file_name=file_name)
    return RequestSpec(endpoint, path)


def search(protocol: Protocol, project_id: int | str, query: str) -> RequestSpec:
    """The recipe search (`conan search <query> -r gitlab`, `conan list '<query>/*' -r gitlab`)."""
    endpoint = _SEARCH[protocol]
    path = endpoint.url_path() if protocol is Protocol.INSTANCE else endpoint.url_path(project_id=project_id)
    return RequestSpec(endpoint, path, params={"q": query})
