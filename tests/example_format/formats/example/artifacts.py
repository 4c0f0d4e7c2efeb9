"""The example format's package file: raw bytes of any size, streamed, always named `<name>-<version>.raw`."""

from formats.generic.artifacts import GeneratedFile

from .rules import FILE_SUFFIX


def file_name(name: str, version: str) -> str:
    """The one file a version of the package holds (a fixed name, as npm's tarball: a second upload of a version
    is a duplicate whatever file name the scenario had in mind)."""
    return f"{name}-{version}{FILE_SUFFIX}"


def artifact(name: str, version: str, size: int, seed: int) -> GeneratedFile:
    """A deterministic file of `size` bytes (the shared streaming generator Generic, npm and PyPI use too)."""
    return GeneratedFile(size=size, seed=seed, file_name=file_name(name, version))
