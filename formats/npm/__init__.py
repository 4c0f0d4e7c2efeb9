"""The npm format (GitLab's npm API): rules, endpoints, requests, a real-tarball artifact builder.

GitLab speaks the npm registry protocol at two levels. The project level (`/projects/:id/packages/npm/`) is a
full registry: publish, packument, tarball, dist-tags. The instance level (`/packages/npm/`) has no registry
upstream: GitLab finds the project by a naming convention (the package's scope is the top-level group's path),
so its endpoints are marked custom. Tarball URLs always point at the project level, as GitLab writes them.
"""

import base64
import gzip
import hashlib
import io
import json
import re
import tarfile
from collections.abc import Iterable, Iterator
from dataclasses import replace
from urllib.parse import quote

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
from core.vocabulary import AuthScheme, Operation
from formats.generic import GeneratedFile

MIB = 1 << 20

# npm sends every token as `Authorization: Bearer` (`_authToken` in .npmrc); GitLab's npm API also takes the
# token headers (PRIVATE-TOKEN, DEPLOY-TOKEN, JOB-TOKEN). HTTP Basic is not read there.
SCHEMES = frozenset({AuthScheme.BEARER, AuthScheme.HEADER})

# validate-npm-package-name's rules for new packages (lowercase, URL-safe without ~'!()*, at most 214 characters,
# not starting with '.' or '_', not node_modules or favicon.ico), within GitLab's npm_package_name_regex (the
# scope is a GitLab namespace path: it does not end with '.').
_SCOPE = r"@[a-z0-9_](?:[a-z0-9._-]*[a-z0-9_-])?/[a-z0-9_-][a-z0-9._-]*"
_UNSCOPED = r"[a-z0-9-][a-z0-9._-]*"
NAME_PATTERN = re.compile(rf"(?=.{{1,214}}\Z)(?!(?:node_modules|favicon\.ico)\Z)(?:{_SCOPE}|{_UNSCOPED})")

# Semantic Versioning 2.0.0, the regex semver.org gives (GitLab's semver_regex).
_NUMBER = r"(?:0|[1-9][0-9]*)"
_PRE_ID = r"(?:0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*)"
VERSION_PATTERN = re.compile(
    rf"{_NUMBER}\.{_NUMBER}\.{_NUMBER}(?:-{_PRE_ID}(?:\.{_PRE_ID})*)?(?:\+[0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*)?")

# GitLab stores an npm tarball as `<name>-<version>.tgz`, the scope included (`@scope/pkg-1.0.0.tgz`).
FILE_NAME_PATTERN = re.compile(r"(?:@[a-z0-9_.-]+/)?[a-z0-9_.-]+-[0-9]+\.[0-9]+\.[0-9]+[0-9A-Za-z.+-]*\.tgz")

# A dist-tag: npm refuses tags that parse as a version range (`1.x`, `v2`), so a tag starts with a letter.
TAG_PATTERN = re.compile(r"(?![vV][0-9])[A-Za-z][A-Za-z0-9._-]{0,127}")
TAG_RULE = "a letter, then letters, digits, '.', '-' or '_' (at most 128), not shaped like a version"

RULES = FormatRules(
    name_pattern=NAME_PATTERN,
    version_pattern=VERSION_PATTERN,
    file_name_pattern=FILE_NAME_PATTERN,
    size_limit=500 * MIB,  # GitLab's plan limit npm_max_file_size
    # GitLab's CreatePackageService: `error('Package already exists.', :package_already_exists)`, mapped to 403;
    # npm has no "allow duplicates" setting.
    duplicates=DuplicatePolicy(allowed_by_default=False, switchable=False, refused_status=403,
                               refused_message="Package already exists."),
    name_rule="an npm package name: lowercase letters, digits, '-', '.' and '_', optionally scoped as @scope/name, "
              "at most 214 characters, not starting with '.' or '_' (nor the scope ending with '.')",
    version_rule="a Semantic Versioning 2.0.0 version (MAJOR.MINOR.PATCH[-prerelease][+build])",
    file_name_rule="<package name>-<version>.tgz",
    # GitLab answers an attachment over npm_max_file_size with 400 'File is too large.' (not 413).
    too_large_status=400,
)

_PROJECT = "/api/v4/projects/{project_id}/packages/npm"
_INSTANCE = "/api/v4/packages/npm"
_BY_SCOPE = ("npm registries have no instance-wide endpoint that finds a project: GitLab finds it by a naming "
             "convention, the package's @scope being the top-level group's path.")

PUBLISH = Endpoint("publish", "PUT", _PROJECT + "/{package_name:path}", Operation.PUSH, 200,
                   accepted_schemes=SCHEMES, anonymous_status=401)
# `authenticate_non_public: true`: an anonymous request for a private project's packument gets 401.
PACKUMENT = Endpoint("packument", "GET", _PROJECT + "/{package_name:path}", Operation.METADATA, 200,
                     accepted_schemes=SCHEMES, anonymous_status=401)
# The tarball route has no `authenticate_non_public`: GitLab hides the private project (404).
TARBALL = Endpoint("tarball", "GET", _PROJECT + "/{package_name:path}/-/{file_name:path}", Operation.PULL, 200,
                   accepted_schemes=SCHEMES, anonymous_status=404)
DIST_TAGS = Endpoint("dist_tags", "GET", _PROJECT + "/-/package/{package_name:path}/dist-tags", Operation.METADATA,
                     200, accepted_schemes=SCHEMES, anonymous_status=404)
DIST_TAG_ADD = Endpoint("dist_tag_add", "PUT", _PROJECT + "/-/package/{package_name:path}/dist-tags/{tag}",
                        Operation.PUSH, 204, accepted_schemes=SCHEMES, anonymous_status=401)
DIST_TAG_REMOVE = Endpoint("dist_tag_remove", "DELETE", _PROJECT + "/-/package/{package_name:path}/dist-tags/{tag}",
                           Operation.DELETE, 204, accepted_schemes=SCHEMES, anonymous_status=401)

INSTANCE_PACKUMENT = Endpoint("instance_packument", "GET", _INSTANCE + "/{package_name:path}", Operation.METADATA,
                              200, accepted_schemes=SCHEMES, anonymous_status=401, custom_reason=_BY_SCOPE)
INSTANCE_DIST_TAGS = Endpoint("instance_dist_tags", "GET", _INSTANCE + "/-/package/{package_name:path}/dist-tags",
                              Operation.METADATA, 200, accepted_schemes=SCHEMES, anonymous_status=404,
                              custom_reason=_BY_SCOPE)
INSTANCE_DIST_TAG_ADD = Endpoint("instance_dist_tag_add", "PUT",
                                 _INSTANCE + "/-/package/{package_name:path}/dist-tags/{tag}", Operation.PUSH, 204,
                                 accepted_schemes=SCHEMES, anonymous_status=401, custom_reason=_BY_SCOPE)
INSTANCE_DIST_TAG_REMOVE = Endpoint("instance_dist_tag_remove", "DELETE",
                                    _INSTANCE + "/-/package/{package_name:path}/dist-tags/{tag}", Operation.DELETE,
                                    204, accepted_schemes=SCHEMES, anonymous_status=401, custom_reason=_BY_SCOPE)

# Every endpoint takes every token kind (the default), as GitLab's npm docs list them.
NPM_ENDPOINTS = (PUBLISH, PACKUMENT, TARBALL, DIST_TAGS, DIST_TAG_ADD, DIST_TAG_REMOVE, INSTANCE_PACKUMENT,
                 INSTANCE_DIST_TAGS, INSTANCE_DIST_TAG_ADD, INSTANCE_DIST_TAG_REMOVE)

NPM = Format(name="npm", rules=RULES, endpoints={**{e.name: e for e in NPM_ENDPOINTS}, **packages_api.ENDPOINTS})


# --- names, versions and files ---------------------------------------------------------------------------------


def escaped(name: str) -> str:
    """The name as npm puts it in a URL: one path segment, the scope's slash encoded (`@scope%2Fpkg`)."""
    return quote(name, safe="@")


def unscoped(name: str) -> str:
    return name.rsplit("/", 1)[-1]


def scope_of(name: str) -> str | None:
    """`scope` of `@scope/pkg`; None for an unscoped name."""
    return name[1:].split("/", 1)[0] if name.startswith("@") and "/" in name else None


def tarball_file_name(name: str, version: str) -> str:
    """The file name GitLab stores and serves: `<name>-<version>.tgz`, scope included."""
    return f"{name}-{version}.tgz"


def pack_file_name(name: str, version: str) -> str:
    """The file `npm pack` writes: `@scope/pkg` becomes `scope-pkg-<version>.tgz`."""
    return f"{name.lstrip('@').replace('/', '-')}-{version}.tgz"


def version_key(version: str) -> tuple[object, ...]:
    """Semantic Versioning precedence as a sort key (build metadata ignored; a release outranks its prereleases)."""
    core, _, prerelease = version.split("+", 1)[0].partition("-")
    numbers = tuple(int(part) if part.isdigit() else 0 for part in core.split("."))
    identifiers = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in prerelease.split(".") if p)
    return (numbers, not prerelease, identifiers)


def same_version(a: str, b: str) -> bool:
    """Equal as npm compares versions: a leading `v` or `=` and build metadata do not count."""
    def clean(version: str) -> str:
        return version.strip().lstrip("=v").split("+", 1)[0]
    return clean(a) == clean(b)


# --- the artifact: a real npm tarball --------------------------------------------------------------------------

PAYLOAD = "package/payload.bin"
_MTIME = 499162500  # 1985-10-26T08:15:00Z, the date npm pack gives every entry


def package_json(name: str, version: str) -> dict[str, object]:
    return {"name": name, "version": version, "description": "A package built by the rollout harness.",
            "license": "UNLICENSED", "files": ["payload.bin"]}


def _tar_header(path: str, size: int) -> bytes:
    info = tarfile.TarInfo(path)
    info.size, info.mode, info.mtime = size, 0o644, _MTIME
    return info.tobuf(format=tarfile.USTAR_FORMAT)


def _tar_padding(size: int) -> bytes:
    return tarfile.NUL * (-size % tarfile.BLOCKSIZE)


def _tgz(name: str, version: str, payload: Iterable[bytes], payload_size: int, header_name: str = "") -> bytes:
    """The tar written by hand straight into gzip level 0 (stored): random bytes do not compress, so big
    tarballs build at memory speed, held once. Two zero blocks end the archive (no record padding, which would
    make small tarballs 10 KiB)."""
    manifest = json.dumps(package_json(name, version), indent=2).encode()
    buffer = io.BytesIO()
    # `header_name` goes into the gzip header's FNAME field: a byte-exact filler that changes nothing inside
    with gzip.GzipFile(filename=header_name, fileobj=buffer, mode="wb", compresslevel=0, mtime=0) as gz:
        gz.write(_tar_header("package/package.json", len(manifest)) + manifest + _tar_padding(len(manifest)))
        gz.write(_tar_header(PAYLOAD, payload_size))
        for chunk in payload:
            gz.write(chunk)
        gz.write(_tar_padding(payload_size) + tarfile.NUL * 2 * tarfile.BLOCKSIZE)
    return buffer.getvalue()


def tarball(name: str, version: str, size: int, seed: int) -> bytes:
    """A valid npm tarball of exactly `size` bytes when that is above the tarball with an empty payload (else that
    smallest one): a size limit is then tested at the limit itself. The payload is Generic's GeneratedFile, so any
    size builds without drawing that many random bytes; the last bytes are made up in the gzip header's file name."""
    overhead = len(_tgz(name, version, (), 0))
    payload_size = max(0, (size - overhead) * 65535 // 65540 // tarfile.BLOCKSIZE * tarfile.BLOCKSIZE)
    for _ in range(8):
        data = _tgz(name, version, GeneratedFile(payload_size, seed).chunks(), payload_size)
        gap = size - len(data)
        if gap == 0 or (gap < 0 and payload_size == 0):
            return data
        if gap >= 2:  # FNAME adds its characters and a NUL
            exact = _tgz(name, version, GeneratedFile(payload_size, seed).chunks(), payload_size, "p" * (gap - 1))
            if len(exact) == size:
                return exact
        payload_size = max(0, payload_size - tarfile.BLOCKSIZE * max(1, -(-(2 - gap) // tarfile.BLOCKSIZE)))
    return data


# --- requests --------------------------------------------------------------------------------------------------


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


class NpmOperations(FormatOperations):
    format = NPM
    package_type = "npm"

    def artifact(self, name: str, version: str, file_hint: str, size: int, seed: int) -> BytesArtifact:
        """A real tarball named `<unscoped name>-<version>.tgz`; npm names its files itself, so the hint is unused."""
        return BytesArtifact(f"{unscoped(name)}-{version}.tgz", tarball(name, version, size, seed))

    def push(self, project_id: int | str, name: str, version: str, artifact: Artifact, *,
             status: str | None = None, select: str | None = None) -> list[RequestSpec]:
        """npm has no `status` or `select`: a publish is one PUT, tagged `latest`."""
        return [publish(project_id, name, version, artifact)]

    def pull(self, project_id: int | str, name: str, version: str, file_name: str) -> RequestSpec:
        """The tarball URL is GitLab's (`<name>-<version>.tgz`), whatever the artifact was called locally."""
        return download(project_id, name, version)

    def metadata(self, project_id: int | str, name: str) -> RequestSpec:
        return packument(project_id, name)

    def invalid_artifact(self, name: str, version: str) -> Artifact:
        """Named as the version's tarball, but not a gzip'd tar with a package.json (GitLab refuses it with 400)."""
        return BytesArtifact(tarball_file_name(name, version), b"this is not a gzip tarball\n" * 8)

    def size_checked_before_body(self) -> bool:
        return False  # the tarball is base64 inside the JSON document: its size is known once the body is read

    def instance_metadata(self, name: str) -> RequestSpec:
        return instance_packument(name)

    def tag(self, project_id: int | str, name: str, tag: str, version: str | None) -> RequestSpec:
        if version is None:
            return remove_dist_tag(project_id, name, tag)
        return add_dist_tag(project_id, name, tag, version)

    def tags(self, project_id: int | str, name: str) -> RequestSpec:
        return dist_tags(project_id, name)

    def duplicate_checked_before_body(self) -> bool:
        return False  # the version is named inside the JSON document, not in the URL


OPERATIONS = NpmOperations()
