"""npm's requests: publish (the JSON document `npm publish` sends, streamed), packument, tarball, dist-tags, at
the project and the instance level."""

import base64
import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import replace

from core.format_types import Artifact, Endpoint, RequestSpec
from formats.npm.artifacts import package_json
from formats.npm.names import escaped, tarball_file_name
from formats.npm.rules import (
    DIST_TAG_ADD,
    DIST_TAG_REMOVE,
    DIST_TAGS,
    INSTANCE_DIST_TAG_ADD,
    INSTANCE_DIST_TAG_REMOVE,
    INSTANCE_DIST_TAGS,
    INSTANCE_PACKUMENT,
    PACKUMENT,
    PUBLISH,
    TARBALL,
)


def _path(endpoint: Endpoint, name: str, **params: object) -> str:
    """Endpoint.url_path with the name encoded as npm encodes it (url_path would encode the '@' too)."""
    return replace(endpoint, path=endpoint.path.replace("{package_name:path}", escaped(name))).url_path(**params)


def _base64_chunks(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """Base64 of a byte stream, chunk by chunk (each piece a multiple of 3 bytes until the last)."""
    rest = b""
    for chunk in chunks:
        data = rest + chunk
        cut = len(data) - len(data) % 3
        if cut:
            yield base64.b64encode(data[:cut])
        rest = data[cut:]
    if rest:
        yield base64.b64encode(rest)


def publish_document(project_id: int | str, name: str, version: str, artifact: Artifact,
                     tag: str = "latest") -> tuple[bytes, bytes]:
    """The JSON `npm publish` sends, split around the attachment's base64 data: (before, after).

    The version's manifest carries `dist` (shasum, integrity, tarball) and the attachment is keyed
    `<name>-<version>.tgz`, as libnpmpublish writes them."""
    sha1, sha512 = hashlib.sha1(), hashlib.sha512()
    for chunk in artifact.chunks():
        sha1.update(chunk)
        sha512.update(chunk)
    file_name = tarball_file_name(name, version)
    dist = {"shasum": sha1.hexdigest(), "integrity": "sha512-" + base64.b64encode(sha512.digest()).decode(),
            "tarball": tarball_path(project_id, name, file_name)}
    manifest = {**package_json(name, version), "_id": f"{name}@{version}", "dist": dist}
    marker = "@@attachment-data@@"
    document = {"_id": name, "name": name, "dist-tags": {tag: version}, "versions": {version: manifest},
                "_attachments": {file_name: {"content_type": "application/octet-stream", "data": marker,
                                             "length": artifact.size}}}
    before, _, after = json.dumps(document).rpartition(marker)
    return before.encode(), after.encode()


def tarball_path(project_id: int | str, name: str, file_name: str) -> str:
    """GitLab's tarball path: name and file name keep their slashes (`…/npm/@s/p/-/@s/p-1.0.0.tgz`)."""
    return TARBALL.url_path(project_id=project_id, package_name=name, file_name=file_name).replace("%40", "@")


def publish(project_id: int | str, name: str, version: str, artifact: Artifact, tag: str = "latest") -> RequestSpec:
    """PUT the publish document, streamed: the tarball is base64-encoded on the way, never held twice."""
    before, after = publish_document(project_id, name, version, artifact, tag)
    body_size = len(before) + 4 * -(-artifact.size // 3) + len(after)

    def body() -> Iterator[bytes]:
        yield before
        yield from _base64_chunks(artifact.chunks())
        yield after

    return RequestSpec(PUBLISH, _path(PUBLISH, name, project_id=project_id),
                       headers={"Content-Type": "application/json", "npm-command": "publish"},
                       body=body(), body_size=body_size)


def packument(project_id: int | str, name: str) -> RequestSpec:
    """Every version of a package, with its dist-tags and tarball URLs (what `npm install` reads first)."""
    return RequestSpec(PACKUMENT, _path(PACKUMENT, name, project_id=project_id),
                       headers={"Accept": "application/json"})


def download(project_id: int | str, name: str, version: str) -> RequestSpec:
    """GET the tarball at the URL the packument gives for this version."""
    return RequestSpec(TARBALL, tarball_path(project_id, name, tarball_file_name(name, version)))


def dist_tags(project_id: int | str, name: str) -> RequestSpec:
    return RequestSpec(DIST_TAGS, _path(DIST_TAGS, name, project_id=project_id))


def add_dist_tag(project_id: int | str, name: str, tag: str, version: str) -> RequestSpec:
    """`npm dist-tag add`: the body is the version as a JSON string."""
    return RequestSpec(DIST_TAG_ADD, _path(DIST_TAG_ADD, name, project_id=project_id, tag=tag),
                       headers={"Content-Type": "application/json"}, body=json.dumps(version).encode())


def remove_dist_tag(project_id: int | str, name: str, tag: str) -> RequestSpec:
    return RequestSpec(DIST_TAG_REMOVE, _path(DIST_TAG_REMOVE, name, project_id=project_id, tag=tag))


def instance_packument(name: str) -> RequestSpec:
    """The packument found by the naming convention: `name` must be `@<top-level group path>/...`."""
    return RequestSpec(INSTANCE_PACKUMENT, _path(INSTANCE_PACKUMENT, name), headers={"Accept": "application/json"})


def instance_dist_tags(name: str) -> RequestSpec:
    return RequestSpec(INSTANCE_DIST_TAGS, _path(INSTANCE_DIST_TAGS, name))


def instance_add_dist_tag(name: str, tag: str, version: str) -> RequestSpec:
    return RequestSpec(INSTANCE_DIST_TAG_ADD, _path(INSTANCE_DIST_TAG_ADD, name, tag=tag),
                       headers={"Content-Type": "application/json"}, body=json.dumps(version).encode())


def instance_remove_dist_tag(name: str, tag: str) -> RequestSpec:
    return RequestSpec(INSTANCE_DIST_TAG_REMOVE, _path(INSTANCE_DIST_TAG_REMOVE, name, tag=tag))
