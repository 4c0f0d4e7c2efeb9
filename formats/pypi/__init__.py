"""The PyPI format: rules, GitLab's PyPI endpoints, request builders, and real wheel / sdist builders.

GitLab serves PyPI per project (`/api/v4/projects/:id/packages/pypi`: the legacy upload API twine and uv use,
a PEP 503 / PEP 691 simple index, file downloads addressed by sha256) and per group (a simple index over every
project of the group the caller can read). Facts checked against GitLab's `lib/api/pypi_packages.rb`,
`Packages::Pypi::CreatePackageService`, `Packages::Pypi::Package` and `Packages::PackageFile`.
"""

import base64
import gzip
import hashlib
import io
import re
import struct
import tarfile
import threading
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from core import packages_api
from core.format_types import (
    ALL_KINDS,
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

GIB = 1 << 30
FORMAT = "pypi"

# GitLab's Gitlab::Regex.pypi_version_regex (packaging 16.7's PEP 440 regex, case-insensitive), with names on the
# groups so versions can be normalized the way wheel file names and the simple index need them.
VERSION_REGEX = re.compile(r"""
    v?
    (?:(?P<epoch>[0-9]+)!)?
    (?P<release>[0-9]+(?:\.[0-9]+)*)
    (?:[-_.]?(?P<pre_l>a|b|c|rc|alpha|beta|pre|preview)[-_.]?(?P<pre_n>[0-9]+)?)?
    (?:-(?P<post_n1>[0-9]+)|[-_.]?(?P<post_l>post|rev|r)[-_.]?(?P<post_n2>[0-9]+)?)?
    (?:[-_.]?(?P<dev_l>dev)[-_.]?(?P<dev_n>[0-9]+)?)?
    (?:\+(?P<local>[a-z0-9]+(?:[-_.][a-z0-9]+)*))?
""", re.VERBOSE | re.IGNORECASE | re.ASCII)

# PEP 508's project name. GitLab itself only applies its generic package_name_regex (which also lets through
# '/', '@', '+' and leading or trailing punctuation); the reference server holds uploads to what pip, twine and uv
# can install, and the report lists the difference.
NAME_REGEX = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?")

RULES = FormatRules(
    name_pattern=NAME_REGEX,
    version_pattern=VERSION_REGEX,
    file_name_pattern=re.compile(r"[A-Za-z0-9._+!-]+\.(?:whl|tar\.gz|zip)"),
    size_limit=3 * GIB,  # GitLab's default pypi_max_file_size
    # Packages::PackageFile validates `file_name, uniqueness: { scope: :package }` for PyPI packages; the create
    # service turns the RecordInvalid into `bad_request!`. There is no group setting to allow duplicates.
    duplicates=DuplicatePolicy(allowed_by_default=False, switchable=False, refused_status=400,
                               refused_message="Validation failed: File name has already been taken"),
    name_rule="a PEP 508 name: letters, digits, '.', '-' and '_', starting and ending with a letter or digit",
    version_rule="a PEP 440 version (GitLab's pypi_version_regex), e.g. 1.0, 2.1rc1, 1.0.post2.dev3+local.1",
    file_name_rule="a wheel (.whl) or source distribution (.tar.gz, .zip) file name of letters, digits,"
                   " '.', '_', '-', '+' and '!'",
)

DEFAULT_REQUIRES_PYTHON = ">=3.8"
SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"  # PEP 691
SIMPLE_JSON_LATEST = "application/vnd.pypi.simple.latest+json"

# --- names, versions and file names --------------------------------------------------------------------------


def normalize_name(name: str) -> str:
    """PEP 503's normalized name: runs of '-', '_' and '.' become one '-', lowercased."""
    return re.sub(r"[-_.]+", "-", name).lower()


def wheel_dist_name(name: str) -> str:
    """The distribution name as wheel and sdist file names spell it (PEP 427 / PEP 625): '_' for the runs."""
    return re.sub(r"[-_.]+", "_", name).lower()


def normalize_version(version: str) -> str:
    """PEP 440's normalized form (1.0-Alpha.1 → 1.0a1); ValueError when it is not a PEP 440 version."""
    match = VERSION_REGEX.fullmatch(version.strip())
    if match is None:
        raise ValueError(f"{version!r} is not a PEP 440 version")
    g = match.groupdict()
    text = f"{int(g['epoch'])}!" if g["epoch"] and int(g["epoch"]) else ""
    text += ".".join(str(int(part)) for part in g["release"].split("."))
    if g["pre_l"]:
        letter = {"alpha": "a", "beta": "b", "c": "rc", "pre": "rc", "preview": "rc"}.get(g["pre_l"].lower(),
                                                                                          g["pre_l"].lower())
        text += f"{letter}{int(g['pre_n'] or 0)}"
    if g["post_n1"] or g["post_l"]:
        text += f".post{int(g['post_n1'] or g['post_n2'] or 0)}"
    if g["dev_l"]:
        text += f".dev{int(g['dev_n'] or 0)}"
    if g["local"]:  # numeric segments compare as numbers, so PEP 440 writes them without leading zeros
        text += "+" + ".".join(str(int(part)) if part.isdigit() else part.lower()
                               for part in re.split(r"[-_.]", g["local"]))
    return text


def wheel_file_name(name: str, version: str) -> str:
    """The pure-Python wheel this format's builder makes for a name and version."""
    return f"{wheel_dist_name(name)}-{normalize_version(version)}-py3-none-any.whl"


def sdist_file_name(name: str, version: str) -> str:
    return f"{wheel_dist_name(name)}-{normalize_version(version)}.tar.gz"


@dataclass(frozen=True)
class DistributionName:
    """What a distribution's file name says about it."""

    kind: str  # "wheel" or "sdist"
    name: str  # as spelled in the file name
    version: str


def parse_file_name(file_name: str) -> DistributionName | None:
    """Name and version from a wheel (`name-ver[-build]-py-abi-plat.whl`) or sdist (`name-ver.tar.gz`) name."""
    if file_name.endswith(".whl"):
        parts = file_name[: -len(".whl")].split("-")
        if len(parts) in (5, 6):
            return DistributionName("wheel", parts[0], parts[1])
        return None
    for suffix in (".tar.gz", ".zip"):
        if file_name.endswith(suffix):
            name, _, version = file_name[: -len(suffix)].rpartition("-")
            return DistributionName("sdist", name, version) if name and version else None
    return None


# --- endpoints ---------------------------------------------------------------------------------------------

_PROJECT = "/api/v4/projects/{project_id}/packages/pypi"
_GROUP = "/api/v4/groups/{group_id}/-/packages/pypi"
# GitLab's PyPI routes take personal access, deploy and job tokens over Basic (`basic_auth_personal_access_token`,
# `deploy_token_allowed`, `job_token_allowed: :basic_auth`) as well as the PRIVATE-TOKEN / DEPLOY-TOKEN headers.
# Anonymous requests to a private project or group get 401 with the Basic challenge, so pip retries with its
# credentials.
SCHEMES = frozenset({AuthScheme.BASIC, AuthScheme.HEADER})
_GROUP_REASON = ("GitLab-only: upstream PyPI has one index per server, GitLab has one per project; the group-level"
                 " index merges the packages of every project of a group (and its subgroups) the caller can read,"
                 " so pip needs one --index-url instead of one per project.")

UPLOAD = Endpoint("upload", "POST", _PROJECT, Operation.PUSH, 201, ALL_KINDS, SCHEMES)
SIMPLE_INDEX = Endpoint("simple_index", "GET", _PROJECT + "/simple", Operation.LIST, 200, ALL_KINDS, SCHEMES)
SIMPLE_PACKAGE = Endpoint("simple_package", "GET", _PROJECT + "/simple/{package_name}", Operation.METADATA, 200,
                          ALL_KINDS, SCHEMES)
DOWNLOAD = Endpoint("download", "GET", _PROJECT + "/files/{sha256}/{file_name}", Operation.PULL, 200, ALL_KINDS,
                    SCHEMES)
GROUP_SIMPLE_INDEX = Endpoint("group_simple_index", "GET", _GROUP + "/simple", Operation.LIST, 200, ALL_KINDS,
                              SCHEMES, custom_reason=_GROUP_REASON)
GROUP_SIMPLE_PACKAGE = Endpoint("group_simple_package", "GET", _GROUP + "/simple/{package_name}", Operation.METADATA,
                                200, ALL_KINDS, SCHEMES, custom_reason=_GROUP_REASON)
GROUP_DOWNLOAD = Endpoint("group_download", "GET", _GROUP + "/files/{sha256}/{file_name}", Operation.PULL, 200,
                          ALL_KINDS, SCHEMES, custom_reason=_GROUP_REASON)

PYPI = Format(
    name=FORMAT,
    rules=RULES,
    endpoints={e.name: e for e in (UPLOAD, SIMPLE_INDEX, SIMPLE_PACKAGE, DOWNLOAD, GROUP_SIMPLE_INDEX,
                                   GROUP_SIMPLE_PACKAGE, GROUP_DOWNLOAD)} | packages_api.ENDPOINTS,
)

# --- artifacts: real wheels (streamed, any size up to ZIP's 4 GiB) and sdists (in memory) -------------------

_DOS_DATE = (0 << 9) | (1 << 5) | 1  # 1980-01-01, ZIP's epoch: the same bytes on every run
_LOCAL = struct.Struct("<IHHHHHIIIHH")
_CENTRAL = struct.Struct("<IHHHHHHIIIHHHHHII")
_END = struct.Struct("<IHHHHIIH")
_ZIP_MAX = 0xFFFFFFFF
_RECORD_HASH_LEN = 43  # urlsafe base64 of a sha256, without padding


def record_hash(data: bytes) -> str:
    """A RECORD entry's hash (PEP 376 / PEP 427): sha256, urlsafe base64 without padding."""
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def core_metadata(name: str, version: str, requires_python: str, seed: int) -> bytes:
    """METADATA / PKG-INFO (core metadata 2.1)."""
    return (f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
            f"Summary: Generated by the package-registry rollout harness (seed {seed}).\n"
            f"Requires-Python: {requires_python}\n").encode()


@dataclass(frozen=True)
class WheelArtifact:
    """A real, installable pure-Python wheel of exactly `requested_size` bytes (when that is at least the smallest
    such wheel, about 1.4 KiB), streamed: `<pkg>/__init__.py`, `<pkg>/payload.bin` (random bytes from `seed`,
    stored uncompressed so the wheel's size is the one asked for), and the `.dist-info` METADATA, WHEEL and RECORD
    with hashes.

    The payload is generated chunk by chunk three times (its checksums, the whole file's, the bytes sent) and
    never held in memory whole.
    """

    name: str
    version: str
    requested_size: int  # `size` is the wheel's real size: this, or the smallest wheel when this is below it
    seed: int = 0
    requires_python: str = DEFAULT_REQUIRES_PYTHON

    def __post_init__(self) -> None:
        if self.requested_size > _ZIP_MAX:
            raise ValueError(f"a wheel of {self.requested_size} bytes needs ZIP64, which this builder does not"
                             f" write (at most {_ZIP_MAX} bytes)")

    @property
    def file_name(self) -> str:
        return wheel_file_name(self.name, self.version)

    @property
    def _package(self) -> str:
        return wheel_dist_name(self.name)

    @property
    def _dist_info(self) -> str:
        return f"{wheel_dist_name(self.name)}-{normalize_version(self.version)}.dist-info"

    def _fixed_files(self) -> list[tuple[str, bytes]]:
        init = f'"""{self.name} {self.version}, generated by the package-registry rollout harness."""\n' \
               f'__version__ = "{self.version}"\n'
        wheel = b"Wheel-Version: 1.0\nGenerator: registry-rollout-harness\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        return [(f"{self._package}/__init__.py", init.encode()),
                (f"{self._dist_info}/METADATA", core_metadata(self.name, self.version, self.requires_python,
                                                              self.seed)),
                (f"{self._dist_info}/WHEEL", wheel)]

    def _record(self, payload_size: int, payload_hash: str) -> bytes:
        lines = [f"{path},sha256={record_hash(data)},{len(data)}" for path, data in self._fixed_files()]
        lines.insert(1, f"{self._payload_path},sha256={payload_hash},{payload_size}")
        lines.append(f"{self._dist_info}/RECORD,,")
        return ("\n".join(lines) + "\n").encode()

    @property
    def _payload_path(self) -> str:
        return f"{self._package}/payload.bin"

    def _overhead(self, payload_size: int) -> int:
        """Every byte of the wheel but the payload's (the RECORD's length depends on the payload's digit count)."""
        names = [path for path, _ in self._fixed_files()] + [self._payload_path, f"{self._dist_info}/RECORD"]
        data = sum(len(d) for _, d in self._fixed_files())
        record = len(self._record(payload_size, "x" * _RECORD_HASH_LEN))
        return sum(_LOCAL.size + _CENTRAL.size + 2 * len(n.encode()) for n in names) + data + record + _END.size

    @cached_property
    def _layout(self) -> tuple[int, int]:
        """(payload size, archive comment length) that make the wheel exactly `requested_size` bytes where
        possible."""
        best = (0, 0)
        for digits in range(1, 12):
            low = 0 if digits == 1 else 10 ** (digits - 1)
            payload = min(self.requested_size - self._overhead(low), 10**digits - 1)
            if payload >= low:
                best = (payload, self.requested_size - self._overhead(payload) - payload)
        return best

    @cached_property
    def _payload(self) -> GeneratedFile:
        return GeneratedFile(size=self._layout[0], seed=self.seed, file_name="payload.bin")

    @cached_property
    def _payload_sums(self) -> tuple[int, str]:
        crc, digest = 0, hashlib.sha256()
        for chunk in self._payload.chunks():
            crc = zlib.crc32(chunk, crc)
            digest.update(chunk)
        return crc, base64.urlsafe_b64encode(digest.digest()).rstrip(b"=").decode()

    def chunks(self) -> Iterator[bytes]:
        payload_crc, payload_hash = self._payload_sums
        payload_size, comment_size = self._layout
        files: list[tuple[str, bytes | None]] = list(self._fixed_files())
        files.insert(1, (self._payload_path, None))
        files.append((f"{self._dist_info}/RECORD", self._record(payload_size, payload_hash)))
        offset, central = 0, []
        for path, data in files:
            name = path.encode()
            crc, size = (payload_crc, payload_size) if data is None else (zlib.crc32(data), len(data))
            header = _LOCAL.pack(0x04034B50, 20, 0, 0, 0, _DOS_DATE, crc, size, size, len(name), 0) + name
            yield header
            if data is None:
                yield from self._payload.chunks()
            else:
                yield data
            central.append(_CENTRAL.pack(0x02014B50, 0x0314, 20, 0, 0, 0, _DOS_DATE, crc, size, size, len(name),
                                         0, 0, 0, 0, 0o100644 << 16, offset) + name)
            offset += len(header) + size
        directory = b"".join(central)
        yield directory
        yield _END.pack(0x06054B50, 0, 0, len(files), len(files), len(directory), offset, comment_size)
        yield b" " * comment_size

    @cached_property
    def _digests(self) -> tuple[str, str]:
        md5, sha256 = hashlib.md5(), hashlib.sha256()
        for chunk in self.chunks():
            md5.update(chunk)
            sha256.update(chunk)
        return md5.hexdigest(), sha256.hexdigest()

    @cached_property
    def size(self) -> int:
        payload, comment = self._layout
        return payload + comment + self._overhead(payload)

    def md5(self) -> str:
        return self._digests[0]

    def sha256(self) -> str:
        return self._digests[1]

    def write_to(self, directory: Path) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / self.file_name
        with path.open("wb") as file:
            for chunk in self.chunks():
                file.write(chunk)
        return path


SDIST_MAX = 64 << 20  # sdists are built in memory; large pushes use wheels


def build_sdist(name: str, version: str, size: int, seed: int = 0,
                requires_python: str = DEFAULT_REQUIRES_PYTHON) -> BytesArtifact:
    """A source distribution (`.tar.gz`, PEP 625 name) of about `size` bytes: PKG-INFO, pyproject.toml, the
    package and a random payload (gzip leaves random bytes as they are, so the archive is a little larger)."""
    if size > SDIST_MAX:
        raise ValueError(f"sdists are built in memory: at most {SDIST_MAX} bytes, not {size}; use a wheel")
    top = f"{wheel_dist_name(name)}-{normalize_version(version)}"
    package = wheel_dist_name(name)
    pyproject = (f'[project]\nname = "{name}"\nversion = "{version}"\nrequires-python = "{requires_python}"\n\n'
                 '[build-system]\nrequires = ["setuptools>=68"]\nbuild-backend = "setuptools.build_meta"\n')
    files = [
        (f"{top}/PKG-INFO", core_metadata(name, version, requires_python, seed)),
        (f"{top}/pyproject.toml", pyproject.encode()),
        (f"{top}/{package}/__init__.py", f'__version__ = "{version}"\n'.encode()),
        (f"{top}/{package}/payload.bin", b"".join(GeneratedFile(max(0, size - 1024), seed).chunks())),
    ]
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for path, data in files:
            info = tarfile.TarInfo(path)
            info.size, info.mode, info.mtime = len(data), 0o644, 0
            tar.addfile(info, io.BytesIO(data))
    return BytesArtifact(sdist_file_name(name, version), gzip.compress(raw.getvalue(), compresslevel=1, mtime=0))


def file_digests(artifact: Artifact) -> tuple[str, str]:
    """(md5, sha256) hex digests of an artifact, in one pass (cached by wheels)."""
    if isinstance(artifact, WheelArtifact):
        return artifact.md5(), artifact.sha256()
    md5, sha256 = hashlib.md5(), hashlib.sha256()
    for chunk in artifact.chunks():
        md5.update(chunk)
        sha256.update(chunk)
    return md5.hexdigest(), sha256.hexdigest()


# --- requests ----------------------------------------------------------------------------------------------


def _form_part(name: str, value: str, boundary: str) -> bytes:
    return (f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n').encode() + \
        value.encode() + b"\r\n"


def _multipart(head: bytes, artifact: Artifact, tail: bytes) -> Iterator[bytes]:
    yield head
    yield from artifact.chunks()
    yield tail


def upload(project_id: int | str, name: str, version: str, artifact: Artifact, *,
           requires_python: str | None = DEFAULT_REQUIRES_PYTHON,
           fields: Mapping[str, str | None] | None = None) -> RequestSpec:
    """POST one distribution file as twine does: a multipart form with the metadata fields first and the file
    (`content`) last, streamed. `fields` overrides or (with None) leaves out any field, for negative tests."""
    md5, sha256 = file_digests(artifact)
    kind = "sdist" if artifact.file_name.endswith((".tar.gz", ".zip")) else "bdist_wheel"
    form: dict[str, str | None] = {
        ":action": "file_upload", "protocol_version": "1", "metadata_version": "2.1", "name": name,
        "version": version, "filetype": kind, "pyversion": "source" if kind == "sdist" else "py3",
        "requires_python": requires_python, "md5_digest": md5, "sha256_digest": sha256,
    }
    form.update(fields or {})
    boundary = "harness-pypi-" + sha256[:24]
    head = b"".join(_form_part(key, value, boundary) for key, value in form.items() if value is not None)
    head += (f'--{boundary}\r\nContent-Disposition: form-data; name="content"; filename="{artifact.file_name}"\r\n'
             "Content-Type: application/octet-stream\r\n\r\n").encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    return RequestSpec(UPLOAD, UPLOAD.url_path(project_id=project_id),
                       headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
                       body=_multipart(head, artifact, tail), body_size=len(head) + artifact.size + len(tail))


def _accept(json: bool) -> dict[str, str]:
    return {"Accept": SIMPLE_JSON} if json else {"Accept": "text/html"}


def simple_index(project_id: int | str, *, json: bool = False) -> RequestSpec:
    return RequestSpec(SIMPLE_INDEX, SIMPLE_INDEX.url_path(project_id=project_id), headers=_accept(json))


def simple_package(project_id: int | str, name: str, *, json: bool = False) -> RequestSpec:
    """The simple page of one project (package name), requested by its normalized name as pip does."""
    path = SIMPLE_PACKAGE.url_path(project_id=project_id, package_name=normalize_name(name))
    return RequestSpec(SIMPLE_PACKAGE, path, headers=_accept(json))


def download(project_id: int | str, sha256: str, file_name: str) -> RequestSpec:
    return RequestSpec(DOWNLOAD, DOWNLOAD.url_path(project_id=project_id, sha256=sha256, file_name=file_name))


def group_simple_index(group_id: int | str, *, json: bool = False) -> RequestSpec:
    return RequestSpec(GROUP_SIMPLE_INDEX, GROUP_SIMPLE_INDEX.url_path(group_id=group_id), headers=_accept(json))


def group_simple_package(group_id: int | str, name: str, *, json: bool = False) -> RequestSpec:
    path = GROUP_SIMPLE_PACKAGE.url_path(group_id=group_id, package_name=normalize_name(name))
    return RequestSpec(GROUP_SIMPLE_PACKAGE, path, headers=_accept(json))


def group_download(group_id: int | str, sha256: str, file_name: str) -> RequestSpec:
    return RequestSpec(GROUP_DOWNLOAD, GROUP_DOWNLOAD.url_path(group_id=group_id, sha256=sha256, file_name=file_name))


class PypiOperations(FormatOperations):
    """PyPI's operations. A download URL holds the file's sha256, which only the simple page (or the pushed
    artifact) tells: `push` remembers the sha256 of the first file pushed under each (project, file name), which
    is the one a PyPI registry keeps, since it refuses every later file of that name; `pull` uses it unless
    given `sha256`."""

    format = PYPI
    package_type = FORMAT

    def __init__(self) -> None:
        self._pushed: dict[tuple[str, str], str] = {}
        self._lock = threading.Lock()

    def artifact(self, name: str, version: str, file_hint: str, size: int, seed: int) -> Artifact:
        """A wheel, or an sdist when the scenario's file name ends in `.tar.gz`; other hints are ignored."""
        if file_hint.endswith(".tar.gz"):
            return build_sdist(name, version, size, seed)
        return WheelArtifact(name, version, size, seed)

    def push(self, project_id: int | str, name: str, version: str, artifact: Artifact, *,
             status: str | None = None, select: str | None = None) -> list[RequestSpec]:
        if status is not None or select is not None:
            raise ValueError("PyPI uploads have no status or select option (those are Generic's)")
        with self._lock:
            self._pushed.setdefault((str(project_id), artifact.file_name), artifact.sha256())
        return [upload(project_id, name, version, artifact)]

    def invalid_artifact(self, name: str, version: str) -> Artifact:
        """Named as the version's wheel, but not a zip with a METADATA file: not a distribution."""
        return BytesArtifact(wheel_file_name(name, version), b"this is not a wheel\n" * 8)

    def pull(self, project_id: int | str, name: str, version: str, file_name: str,
             sha256: str | None = None) -> RequestSpec:
        """Download a file as pip does after reading the simple page. A `file_name` that is no distribution name
        (a scenario's hint such as `small.bin`) means this format's wheel for the name and version."""
        if parse_file_name(file_name) is None:
            file_name = wheel_file_name(name, version)
        if sha256 is None:
            with self._lock:
                sha256 = self._pushed.get((str(project_id), file_name))
        if sha256 is None:
            raise ValueError(f"no sha256 known for {file_name}: push it first or pass sha256 (PyPI download URLs"
                             " carry the file's sha256)")
        return download(project_id, sha256, file_name)

    def group_pull(self, group_id: int | str, project_id: int | str, name: str, version: str,
                   file_name: str) -> RequestSpec:
        project_download = self.pull(project_id, name, version, file_name)
        sha256, file_name = project_download.path.rsplit("/", 2)[-2:]
        return group_download(group_id, sha256, file_name)

    def group_metadata(self, group_id: int | str, name: str) -> RequestSpec:
        return group_simple_package(group_id, name)

    def file_name(self, name: str, version: str, file_hint: str) -> str:
        return sdist_file_name(name, version) if file_hint.endswith(".tar.gz") else wheel_file_name(name, version)

    def metadata(self, project_id: int | str, name: str) -> RequestSpec:
        return simple_package(project_id, name)

    def duplicate_checked_before_body(self) -> bool:
        """False: the name, version and file name travel inside the multipart body, so a duplicate can only be
        told (by GitLab too) once the body is read. Credentials and the declared size are checked before it."""
        return False


OPERATIONS = PypiOperations()
