"""The npm publish document: check it against the npm rules, turn its base64 attachment into a file, and check
that the file is the npm package the document describes.

The checks follow GitLab's CreatePackageService (and its asynchronous ProcessPackageFileService, done here at
once, so a file that is not the package it claims to be is refused with 400 instead of being marked `error`).
Decoding and the tarball check are slow for big packages: the routes run them on a worker thread.
"""

import base64
import binascii
import hashlib
import json
import os
import re
import tarfile
import tempfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from formats.npm import RULES, TAG_PATTERN, TAG_RULE, same_version, tarball_file_name
from reference_server.errors import bad_request
from reference_server.storage import ReceivedFile

DECODE_CHUNK = 4 << 20  # base64 characters decoded at a time (a multiple of 4)
PACKAGE_JSON_ENTRY = re.compile(r"[^/]+/package\.json")  # npm's top folder is `package/`, any name is read
PACKAGE_JSON_LIMIT = 1 << 20
# Not kept in the stored package.json (GitLab's PACKAGE_JSON_NOT_ALLOWED_FIELDS): large, and not for installs.
DROPPED_FIELDS = ("readme", "readmeFilename", "licenseText", "contributors", "exports")
INSTALL_SCRIPTS = ("preinstall", "install", "postinstall")


@dataclass(frozen=True)
class Publication:
    """What one publish document asks for."""

    name: str
    version: str
    manifest: dict[str, Any]  # the version's package.json, as npm sent it (with `dist`)
    tags: tuple[str, ...]  # the dist-tags that point at this version
    data: str  # the tarball, base64

    @property
    def size(self) -> int:
        """The decoded size, from the base64 length alone (GitLab's calculation)."""
        return len(self.data) // 4 * 3 - self.data[-2:].count("=")


def _object(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise bad_request(f"{what} must be a JSON object")
    return value


def publication(document: Any, url_name: str) -> Publication:
    """The publication a document asks for, or 400 naming the first rule it breaks."""
    document = _object(document, "the body (an npm publish document)")
    name = document.get("name")
    if name != url_name:
        raise bad_request(f"the document's name {name!r} is not the package name in the URL {url_name!r}")
    versions = _object(document.get("versions"), "versions")
    if len(versions) != 1:
        raise bad_request(f"versions must hold exactly one version, the one published (it holds {len(versions)})")
    version, manifest = next(iter(versions.items()))
    if error := RULES.version_error(version):
        raise bad_request(error)
    manifest = _object(manifest, f"versions[{version!r}]")
    if manifest.get("name") != name or not same_version(str(manifest.get("version")), version):
        raise bad_request(f"versions[{version!r}] must have name {name!r} and version {version!r}")
    dist_tags = _object(document.get("dist-tags"), "dist-tags")
    tags = tuple(tag for tag, tagged in dist_tags.items() if tagged == version)
    if not tags:
        raise bad_request(f"dist-tags must tag the published version {version!r} (npm sends latest: {version!r})")
    for tag in tags:
        if not TAG_PATTERN.fullmatch(tag):
            raise bad_request(f"dist-tag {tag!r} is invalid: {TAG_RULE}")
    file_name = tarball_file_name(name, version)
    attachment = _object(document.get("_attachments"), "_attachments").get(file_name)
    data = attachment.get("data") if isinstance(attachment, dict) else None
    if not isinstance(data, str) or not data:
        raise bad_request(f"Attachment data is empty: _attachments must hold {file_name!r} with the tarball "
                          "in base64 under `data`")
    return Publication(name, version, manifest, tags, data)


def decode_attachment(data: str, directory: Path) -> tuple[ReceivedFile, str]:
    """Decode the base64 tarball into a temporary file under `directory`, hashing on the way: the file and its
    npm integrity string (`sha512-…`). Invalid base64 is 400 and leaves no file."""
    fd, name = tempfile.mkstemp(dir=directory, prefix="npm-")
    path = Path(name)
    digests = {algorithm: hashlib.new(algorithm) for algorithm in ("md5", "sha1", "sha256", "sha512")}
    size = 0
    try:
        with os.fdopen(fd, "wb") as file:
            for start in range(0, len(data), DECODE_CHUNK):
                raw = binascii.a2b_base64(data[start:start + DECODE_CHUNK].encode("ascii"), strict_mode=True)
                for digest in digests.values():
                    digest.update(raw)
                file.write(raw)
                size += len(raw)
    except (binascii.Error, UnicodeEncodeError):
        path.unlink(missing_ok=True)
        raise bad_request("the attachment's data is not valid base64") from None
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    received = ReceivedFile(path, size, digests["md5"].hexdigest(), digests["sha1"].hexdigest(),
                            digests["sha256"].hexdigest())
    return received, "sha512-" + base64.b64encode(digests["sha512"].digest()).decode()


def _package_json(path: Path) -> bytes:
    try:
        with tarfile.open(path, mode="r:gz") as tar:
            for member in tar:
                if member.isfile() and PACKAGE_JSON_ENTRY.fullmatch(member.name):
                    extracted = tar.extractfile(member)
                    assert extracted is not None
                    return extracted.read(PACKAGE_JSON_LIMIT)
    except (tarfile.TarError, OSError, EOFError, zlib.error):
        raise bad_request("the attachment is not an npm package: not a gzip-compressed tar archive") from None
    raise bad_request("the attachment is not an npm package: it has no package/package.json")


def check_tarball(path: Path, publication: Publication) -> None:
    """400 unless the tarball's package/package.json names the published name and version."""
    try:
        package_json = json.loads(_package_json(path))
    except ValueError:
        raise bad_request("the attachment is not an npm package: package/package.json is not valid JSON") from None
    if not isinstance(package_json, dict):
        raise bad_request("the attachment is not an npm package: package/package.json is not a JSON object")
    name, version = package_json.get("name"), package_json.get("version")
    if name != publication.name or not isinstance(version, str) or not same_version(version, publication.version):
        raise bad_request(f"the tarball's package/package.json is {name}@{version}, the document publishes "
                          f"{publication.name}@{publication.version}")


def check_dist(publication: Publication, received: ReceivedFile, integrity: str) -> None:
    """400 unless the client's own shasum and integrity, where it sent them, are the attachment's."""
    dist = publication.manifest.get("dist")
    if not isinstance(dist, dict):
        return
    if dist.get("shasum") not in (None, received.sha1):
        raise bad_request("dist.shasum is not the sha1 of the attachment (was it corrupted on the way?)")
    sent = str(dist.get("integrity") or "").split()
    sha512s = [entry.split("?", 1)[0] for entry in sent if entry.startswith("sha512-")]  # ssri: "algo-hash?opts"
    if sha512s and integrity not in sha512s:
        raise bad_request("dist.integrity is not the sha512 of the attachment (was it corrupted on the way?)")


def stored_manifest(publication: Publication, received: ReceivedFile, integrity: str) -> dict[str, Any]:
    """The version's package.json as the packument serves it; `dist` is the server's own (the tarball URL is
    added when serving, from the request's address)."""
    manifest = {key: value for key, value in publication.manifest.items() if key not in DROPPED_FIELDS}
    scripts = manifest.get("scripts")
    if isinstance(scripts, dict) and any(key in scripts for key in INSTALL_SCRIPTS):
        manifest["hasInstallScript"] = True  # what npm needs to know before installing (GitLab does the same)
    return {**manifest, "name": publication.name, "version": publication.version,
            "dist": {"shasum": received.sha1, "integrity": integrity}}
