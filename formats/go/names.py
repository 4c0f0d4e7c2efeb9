"""How Go spells modules and versions, as GitLab's proxy reads them: module paths under the project's path, the
major-version suffix, case encoding, tags, pseudo-versions, and Go's own hash of a module zip (`h1:`)."""

import base64
import hashlib
import io
import re
import zipfile
from dataclasses import dataclass
from urllib.parse import urlsplit

from .rules import SEMVER_REGEX

_MAJOR_SUFFIX = re.compile(r"/v(\d+)$", re.IGNORECASE)  # app/models/packages/go/module.rb `path_valid?`
_PSEUDO_TAIL = re.compile(r"\d{14}-[0-9a-fA-F]+")  # lib/gitlab/golang.rb `pseudo_version?`
_PSEUDO_DOT = re.compile(r"(.*\.)?0\.")


def module_base(web_url: str) -> str:
    """The module path of a project's repository root, from its web URL: GitLab's host without the port, its
    relative URL root, the project's full path (config/settings.rb `build_gitlab_go_url`, app/finders/packages/go/
    module_finder.rb)."""
    parts = urlsplit(web_url)
    if not parts.hostname:
        raise ValueError(f"{web_url!r} is no project web URL")
    return f"{parts.hostname}{parts.path.rstrip('/')}"


def tag_name(version: str) -> str:
    """The tag that publishes a version: `v` and the semver (Packages::SemVer.match?(tag, prefixed: true))."""
    return version if version.startswith("v") else f"v{version}"


@dataclass(frozen=True, slots=True)
class SemVer:
    major: int
    minor: int
    patch: int
    prerelease: str | None
    build: str | None


def parse_semver(version: str) -> SemVer | None:
    """Packages::SemVer.parse(str, prefixed: true): `v` then Gitlab::Regex.semver_regex; None when it is not one."""
    if not version.startswith("v"):
        return None
    match = SEMVER_REGEX.fullmatch(version[1:])
    if match is None:
        return None
    return SemVer(int(match["major"]), int(match["minor"]), int(match["patch"]), match["prerelease"], match["build"])


def major_of(version: str) -> int:
    semver = parse_semver(tag_name(version))
    if semver is None:
        raise ValueError(f"{version!r} is not a semantic version")
    return semver.major


def module_dir(name: str, version: str) -> str:
    """The module's folder in the repository: the package name, and for v2 and later its major-version folder
    (GitLab reads `<module path below the project>/go.mod`: the major subdirectory layout, not a major branch)."""
    major = major_of(version)
    return f"{name}/v{major}" if major >= 2 else name


def module_path(base: str, name: str, version: str) -> str:
    """`<project's module base>/<name>[/vN]`."""
    return f"{base}/{module_dir(name, version)}"


def path_valid(module_name: str, major: int | None) -> bool:
    """Packages::Go::Module#path_valid?: no `/vN` for v0 and v1, exactly `/v<major>` for the others."""
    match = _MAJOR_SUFFIX.search(module_name)
    if major in (0, 1):
        return match is None
    return match is not None and major is not None and int(match[1]) == major


def case_encode(text: str) -> str:
    """Go's case encoding of module paths and versions in proxy URLs: `A` → `!a` (`go help goproxy`)."""
    return re.sub(r"[A-Z]", lambda m: "!" + m[0].lower(), text)


def case_decode(text: str) -> str:
    """lib/api/go_proxy.rb `case_decode`: `!a` → `A`."""
    return re.sub(r"![A-Za-z]", lambda m: m[0][1:].upper(), text)


def is_pseudo_version(version: str) -> bool:
    """Gitlab::Golang#pseudo_version?: vX.0.0-yyyymmddhhmmss-sha, vX.Y.Z-pre.0.yyyymmddhhmmss-sha or
    vX.Y.(Z+1)-0.yyyymmddhhmmss-sha (forgiving; `validate_pseudo_version` checks the rest)."""
    semver = parse_semver(version)
    if semver is None or semver.prerelease is None:
        return False
    pre = semver.prerelease
    if semver.minor != 0 or semver.patch != 0:
        match = _PSEUDO_DOT.match(pre)
        if match is None:
            return False
        pre = pre[match.end():]
    return _PSEUDO_TAIL.fullmatch(pre) is not None


def pseudo_parts(version: str) -> tuple[str, str]:
    """Gitlab::Golang#parse_pseudo_version: (timestamp, commit prefix), from the prerelease's last two `-` parts."""
    semver = parse_semver(version)
    assert semver is not None and semver.prerelease is not None
    timestamp, commit = semver.prerelease.split("-")[-2:]
    return timestamp.split(".")[-1], commit


def pseudo_version(prefix: str, committed: str, sha: str) -> str:
    """A pseudo-version: `prefix` (e.g. `v1.0.1-0.` or `v0.0.0-`), the commit's UTC time as yyyymmddhhmmss, the
    first 12 characters of its sha."""
    return f"{prefix}{committed}-{sha[:12]}"


def zip_hash(data: bytes) -> str:
    """Go's hash of a module zip (golang.org/x/mod/sumdb/dirhash Hash1 over the zip's entries, what `go.sum` and
    `go mod download -json`'s `Sum` hold): sha256 of the lines `<sha256 of the file>  <entry name>` sorted by name,
    as `h1:` and base64. Two zips of the same files hash alike whatever their dates and compression."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        entries = {info.filename: archive.read(info) for info in archive.infolist() if not info.is_dir()}
    return files_hash(entries)


def files_hash(entries: dict[str, bytes]) -> str:
    """dirhash Hash1 of files by their zip entry names (`<module>@<version>/<path>`)."""
    summary = hashlib.sha256()
    for name in sorted(entries):
        if "\n" in name:
            raise ValueError(f"dirhash: file name with newline: {name!r}")
        summary.update(f"{hashlib.sha256(entries[name]).hexdigest()}  {name}\n".encode())
    return "h1:" + base64.b64encode(summary.digest()).decode()
