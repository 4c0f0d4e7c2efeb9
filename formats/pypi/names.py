"""How PyPI spells names, versions and files: PEP 503 names, PEP 440 versions, wheel and sdist file names."""

import re
from dataclasses import dataclass

from formats.pypi.rules import VERSION_REGEX


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


def distribution_stem(name: str, version: str) -> str:
    """`<name>-<version>` as wheel and sdist file names and a wheel's `.dist-info` folder spell them."""
    return f"{wheel_dist_name(name)}-{normalize_version(version)}"


def wheel_file_name(name: str, version: str) -> str:
    """The pure-Python wheel this format's builder makes for a name and version."""
    return f"{distribution_stem(name, version)}-py3-none-any.whl"


def sdist_file_name(name: str, version: str) -> str:
    return f"{distribution_stem(name, version)}.tar.gz"


def dist_info_dir(name: str, version: str) -> str:
    """The wheel's metadata folder (what an installer leaves beside the package, METADATA inside)."""
    return f"{distribution_stem(name, version)}.dist-info"


@dataclass(frozen=True, slots=True)
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
