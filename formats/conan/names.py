"""How a scenario reaches each of GitLab's Conan protocols, and the revisions and references the harness uses.

A push and a pull name only the package, its version and a file hint, so the protocol travels in the hint (as Helm's
channel does): `v1/<anything>` is Conan 1 at project level (`.../packages/conan/v1`, recipe revision `0`),
`instance/<anything>` Conan 1 at instance level (`/api/v4/packages/conan/v1`, user = the project's path with `+`
for `/`, channel `stable`: GitLab's naming convention), anything else Conan 2 (`.../packages/conan/v2`). `file_name`
then says `<protocol>/conan_export.tgz` for the Conan 1 ones, which is how `pull` finds the protocol again.

Conan 2 references: a recipe without user and channel (`name/version`, sent as `_/_`). Its recipe revision is the
one Conan takes with `revision_mode = "scm"` (the recipes declare it): the commit of the recipe's sources
(`ConanRecipe.recipe_revision`), remembered per publish for the pulls; `recipe_revision` here is the stand-in for a
name and version never published. The package id is the sha1 of conaninfo.txt and the package revision the md5 of
the package's conanmanifest.txt, as Conan computes them.
"""

import hashlib
from enum import StrEnum

from .rules import DEFAULT_CHANNEL, NONE_VALUE

EXPORT = "conan_export.tgz"  # the recipe file the harness's pulls compare


class Protocol(StrEnum):
    V2 = "v2"
    V1 = "v1"
    INSTANCE = "instance"


def protocol_of(hint: str) -> Protocol:
    head, slash, _ = hint.partition("/")
    if slash and head in (Protocol.V1, Protocol.INSTANCE):
        return Protocol(head)
    return Protocol.V2


def hinted_file_name(hint: str) -> str:
    protocol = protocol_of(hint)
    return EXPORT if protocol is Protocol.V2 else f"{protocol}/{EXPORT}"


def split_file_name(file_name: str) -> tuple[Protocol, str]:
    head, slash, tail = file_name.partition("/")
    return (Protocol(head), tail) if slash else (Protocol.V2, file_name)


def recipe_revision(name: str, version: str) -> str:
    """A 40-hex revision (conan_revision_regex_v2) for a name and version no publish named."""
    return hashlib.sha1(f"{name}/{version}".encode()).hexdigest()


def username_for(project_path: str) -> str:
    """The instance naming convention's user: the project's full path, `/` written `+` (Metadatum.package_username_
    from)."""
    return project_path.replace("/", "+")


def user_channel(protocol: Protocol, project_path: str | None) -> tuple[str, str]:
    if protocol is Protocol.INSTANCE:
        if project_path is None:
            raise ValueError("an instance-level Conan reference needs the project's path")
        return username_for(project_path), DEFAULT_CHANNEL
    return NONE_VALUE, NONE_VALUE
