"""How npm spells names, versions and files: URL-escaped names, scopes, tarball file names, version order."""

from urllib.parse import quote


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
