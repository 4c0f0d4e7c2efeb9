"""How a case's project is set up beyond its packages: visibility, who may reach its package registry, the role of
the user behind the case's token, package protection rules and request forwarding. GitLab's own names and values.

Defined once: a scenario declares it (`project:` and `roles:`), the harness provisions it through GitLab's REST API on
either target, the reference server stores it, and the expected-answer model (`core.permissions`) reads it.
"""

from dataclasses import dataclass
from enum import StrEnum


class Visibility(StrEnum):
    """A project's (or group's) visibility level (`visibility` in GitLab's projects API)."""

    PRIVATE = "private"
    INTERNAL = "internal"
    PUBLIC = "public"


class RegistryAccess(StrEnum):
    """`package_registry_access_level` in GitLab's projects API: who may use the project's package registry.

    `enabled` is GitLab's default (as the project's visibility allows); `private` is members only; `public` lets
    everyone read packages even of a private project; `disabled` switches the registry off."""

    DISABLED = "disabled"
    PRIVATE = "private"
    ENABLED = "enabled"
    PUBLIC = "public"


class Role(StrEnum):
    """A member's role (GitLab's access levels by name)."""

    GUEST = "guest"
    REPORTER = "reporter"
    DEVELOPER = "developer"
    MAINTAINER = "maintainer"
    OWNER = "owner"

    @property
    def access_level(self) -> int:
        return ACCESS_LEVELS[self]

    @classmethod
    def from_access_level(cls, level: int) -> "Role | None":
        """The highest role at or below `level` (None below guest)."""
        fitting = [role for role, value in ACCESS_LEVELS.items() if value <= level]
        return max(fitting, key=ACCESS_LEVELS.__getitem__) if fitting else None


ACCESS_LEVELS: dict[Role, int] = {
    Role.GUEST: 10,
    Role.REPORTER: 20,
    Role.DEVELOPER: 30,
    Role.MAINTAINER: 40,
    Role.OWNER: 50,
}

# The role that creates a case's group, and so owns its project: the owner token's user.
CREATOR_ROLE = Role.OWNER


@dataclass(frozen=True, slots=True)
class ProtectionRule:
    """A package protection rule (`POST /projects/:id/packages/protection/rules`): pushes of packages whose name
    matches `package_name_pattern` (`*` is a wildcard) need at least `minimum_access_level_for_push`."""

    package_name_pattern: str
    minimum_access_level_for_push: Role = Role.MAINTAINER


@dataclass(frozen=True, slots=True)
class ProjectSetup:
    """Everything about a case's project the expected answers depend on, besides the credential."""

    visibility: Visibility = Visibility.PRIVATE
    registry_access: RegistryAccess = RegistryAccess.ENABLED
    protection_rules: tuple[ProtectionRule, ...] = ()
    forwarding: bool = False  # the group's package request forwarding (npm, PyPI, Maven) to the public registry

    @property
    def is_default(self) -> bool:
        return self == ProjectSetup()
