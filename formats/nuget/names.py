"""How NuGet spells its files: GitLab stores a package's file as `<name>.<version>.nupkg`, both lowercased
(Packages::Nuget::CreateOrUpdatePackageService#package_filename), and a client asks for it in lowercase too
(PackageBaseAddress: `download/<lower id>/<lower version>/<lower id>.<lower version>.nupkg`); `nuget pack` names its
file after the id and version as written, which is the artifact's own name."""

import re

_UNSAFE = re.compile(r"[^-+._a-zA-Z0-9]")


def packed_file_name(name: str, version: str, symbols: bool = False) -> str:
    """The file `nuget pack` writes: `<id>.<version>.nupkg` (`.snupkg` for the symbol package)."""
    return f"{name}.{version}.{'snupkg' if symbols else 'nupkg'}"


def stored_file_name(name: str, version: str, symbols: bool = False) -> str:
    """The file GitLab stores and serves: the packed name in lowercase."""
    return packed_file_name(name, version, symbols).lower()


def entry_stem(name: str) -> str:
    """The .nuspec's name inside the archive (`<id>.nuspec`): a name no package may have (the validation cases')
    keeps only characters a zip entry at the archive's top may hold."""
    return _UNSAFE.sub("_", name) or "package"
