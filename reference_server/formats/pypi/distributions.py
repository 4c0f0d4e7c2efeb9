"""What an uploaded PyPI file really is: a wheel or sdist whose own metadata names the package and version.

GitLab stores whatever file arrives under the form's name and version; the reference server also opens the file,
so a harness that uploads a broken or mislabelled distribution is told so (400, naming the problem) instead of
learning it from pip later. Only the archive's directory and its metadata file are read, never the whole file.
"""

import tarfile
import zipfile
from dataclasses import dataclass
from email.parser import HeaderParser
from pathlib import Path

from formats.pypi import normalize_name, normalize_version, parse_file_name

METADATA_LIMIT = 1 << 20


class InvalidDistribution(ValueError):
    """The file is not a distribution of the name and version it was uploaded as; the message says why."""


@dataclass(frozen=True)
class Distribution:
    name: str
    version: str
    requires_python: str | None


def _metadata(text: bytes, where: str) -> Distribution:
    headers = HeaderParser().parsestr(text.decode("utf-8", "replace"))
    name, version = headers.get("Name"), headers.get("Version")
    if not name or not version:
        raise InvalidDistribution(f"{where} has no Name or no Version")
    return Distribution(name.strip(), version.strip(), (headers.get("Requires-Python") or "").strip() or None)


def _read_member(archive: zipfile.ZipFile, member: str, what: str) -> bytes:
    try:
        info = archive.getinfo(member)
    except KeyError:
        raise InvalidDistribution(f"the {what} has no {member}") from None
    if info.file_size > METADATA_LIMIT:
        raise InvalidDistribution(f"{member} is larger than {METADATA_LIMIT} bytes")
    return archive.read(info)


def _wheel(path: Path, dist_name: str, version: str) -> Distribution:
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            info_dirs = {n.split("/", 1)[0] for n in names if n.split("/", 1)[0].endswith(".dist-info")}
            wanted = f"{dist_name}-{version}.dist-info"
            if wanted not in info_dirs:
                found = ", ".join(sorted(info_dirs)) or "none"
                raise InvalidDistribution(f"the wheel has no {wanted} directory (found: {found})")
            _read_member(archive, f"{wanted}/WHEEL", "wheel")
            return _metadata(_read_member(archive, f"{wanted}/METADATA", "wheel"), f"{wanted}/METADATA")
    except (zipfile.BadZipFile, OSError, EOFError) as error:
        raise InvalidDistribution(f"the wheel is not a valid zip archive ({error})") from None


def _sdist_zip(path: Path, top: str) -> Distribution:
    try:
        with zipfile.ZipFile(path) as archive:
            return _metadata(_read_member(archive, f"{top}/PKG-INFO", "sdist"), f"{top}/PKG-INFO")
    except (zipfile.BadZipFile, OSError, EOFError) as error:
        raise InvalidDistribution(f"the sdist is not a valid zip archive ({error})") from None


def _sdist_tar(path: Path, top: str) -> Distribution:
    """Members are read in order until `<top>/PKG-INFO` (build backends write it first)."""
    try:
        with tarfile.open(path, "r:gz") as archive:
            for member in archive:
                if member.name.lstrip("./") == f"{top}/PKG-INFO" and member.isfile():
                    if member.size > METADATA_LIMIT:
                        raise InvalidDistribution(f"{member.name} is larger than {METADATA_LIMIT} bytes")
                    extracted = archive.extractfile(member)
                    assert extracted is not None
                    return _metadata(extracted.read(), member.name)
    except (tarfile.TarError, OSError, EOFError) as error:
        raise InvalidDistribution(f"the sdist is not a valid .tar.gz archive ({error})") from None
    raise InvalidDistribution(f"the sdist has no {top}/PKG-INFO")


def inspect(path: Path, file_name: str, name: str, version: str) -> Distribution:
    """The distribution's own metadata, checked against its file name and the form's `name` and `version`."""
    parsed = parse_file_name(file_name)
    if parsed is None:
        raise InvalidDistribution(f"{file_name} is neither a wheel name (name-version-python-abi-platform.whl) nor"
                                  " an sdist name (name-version.tar.gz)")
    try:
        file_version = normalize_version(parsed.version)
    except ValueError:
        raise InvalidDistribution(f"the version in the file name {file_name} is not a PEP 440 version") from None
    if normalize_name(parsed.name) != normalize_name(name) or file_version != normalize_version(version):
        raise InvalidDistribution(f"the file name {file_name} is not for {name} {version}")
    if parsed.kind == "wheel":
        found = _wheel(path, parsed.name, parsed.version)
    elif file_name.endswith(".zip"):
        found = _sdist_zip(path, f"{parsed.name}-{parsed.version}")
    else:
        found = _sdist_tar(path, f"{parsed.name}-{parsed.version}")
    try:
        found_version = normalize_version(found.version)
    except ValueError:
        raise InvalidDistribution(f"the metadata's Version {found.version!r} is not a PEP 440 version") from None
    if normalize_name(found.name) != normalize_name(name) or found_version != normalize_version(version):
        raise InvalidDistribution(f"the file's metadata says {found.name} {found.version}, the form says"
                                  f" {name} {version}")
    return found
