"""The permission table: which credential may do what, and how a registry answers when it may not.

Defined once. The reference server authorizes every package request with `permissions_for`;
the harness derives every expected answer with `expected_answer`. A scenario never spells out
which token kind should be refused: it asks this table.
"""

from dataclasses import dataclass

from core.vocabulary import (
    READ_PACKAGE_REGISTRY,
    WRITE_PACKAGE_REGISTRY,
    AuthScheme,
    CredentialCase,
    Operation,
    Permission,
    TokenKind,
)

ALL = frozenset(Permission)
READ = frozenset({Permission.READ_PACKAGE})
READ_CREATE = frozenset({Permission.READ_PACKAGE, Permission.CREATE_PACKAGE})

# What a token scope grants, before the token kind's ceiling applies.
SCOPE_PERMISSIONS: dict[str, frozenset[Permission]] = {
    "api": ALL,
    "read_api": READ,
    READ_PACKAGE_REGISTRY: READ,
    WRITE_PACKAGE_REGISTRY: READ_CREATE,
}

# The most a token kind can ever do on a project it has access to. Deleting packages
# needs the maintainer role, which deploy tokens and CI job tokens do not carry.
KIND_CEILING: dict[TokenKind, frozenset[Permission]] = {
    TokenKind.PERSONAL_ACCESS_TOKEN: ALL,
    TokenKind.PROJECT_ACCESS_TOKEN: ALL,
    TokenKind.PROJECT_DEPLOY_TOKEN: READ_CREATE,
    TokenKind.GROUP_DEPLOY_TOKEN: READ_CREATE,
    TokenKind.JOB_TOKEN: READ_CREATE,
}

# The scopes the harness provisions for each credential case (and the reference server's defaults).
PROVISIONED_SCOPES: dict[CredentialCase, tuple[str, ...]] = {
    CredentialCase.PERSONAL_ACCESS_TOKEN: ("api",),
    CredentialCase.PROJECT_ACCESS_TOKEN: ("api",),
    CredentialCase.PROJECT_DEPLOY_TOKEN: (READ_PACKAGE_REGISTRY, WRITE_PACKAGE_REGISTRY),
    CredentialCase.GROUP_DEPLOY_TOKEN: (READ_PACKAGE_REGISTRY, WRITE_PACKAGE_REGISTRY),
    CredentialCase.READ_ONLY_DEPLOY_TOKEN: (READ_PACKAGE_REGISTRY,),
    CredentialCase.REVOKED_TOKEN: ("api",),
    CredentialCase.EXPIRED_TOKEN: ("api",),
    CredentialCase.OTHER_PROJECT_TOKEN: ("api",),
}

# The permission each operation needs.
OPERATION_PERMISSION: dict[Operation, Permission] = {
    Operation.PUSH: Permission.CREATE_PACKAGE,
    Operation.PULL: Permission.READ_PACKAGE,
    Operation.METADATA: Permission.READ_PACKAGE,
    Operation.SEARCH: Permission.READ_PACKAGE,
    Operation.LIST: Permission.READ_PACKAGE,
    Operation.LOAD: Permission.READ_PACKAGE,
    Operation.DELETE: Permission.DESTROY_PACKAGE,
}

# How a registry answers a credential it will not let through.
UNAUTHENTICATED = 401  # no credential, or a revoked / expired / unknown one
NO_PROJECT_ACCESS = 404  # authenticated, but the private project is not visible to it
FORBIDDEN = 403  # the project is visible, the permission is missing

# The real token kind each negative case is made of.
NEGATIVE_CASE_KIND: dict[CredentialCase, TokenKind] = {
    CredentialCase.REVOKED_TOKEN: TokenKind.PERSONAL_ACCESS_TOKEN,
    CredentialCase.EXPIRED_TOKEN: TokenKind.PERSONAL_ACCESS_TOKEN,
    CredentialCase.OTHER_PROJECT_TOKEN: TokenKind.PROJECT_ACCESS_TOKEN,
    CredentialCase.READ_ONLY_DEPLOY_TOKEN: TokenKind.PROJECT_DEPLOY_TOKEN,
}


def permissions_for(kind: TokenKind, scopes: tuple[str, ...] | list[str]) -> frozenset[Permission]:
    """What a valid token of `kind` with `scopes` may do on a project it has access to."""
    granted: frozenset[Permission] = frozenset()
    for scope in scopes:
        granted |= SCOPE_PERMISSIONS.get(scope, frozenset())
    if kind is TokenKind.JOB_TOKEN:  # job tokens carry no scopes: the job's role decides
        granted = READ_CREATE
    return granted & KIND_CEILING[kind]


def token_kind_of(credential: CredentialCase) -> TokenKind | None:
    """The token kind a credential case presents (None for anonymous)."""
    if credential is CredentialCase.ANONYMOUS:
        return None
    if credential in NEGATIVE_CASE_KIND:
        return NEGATIVE_CASE_KIND[credential]
    return TokenKind(credential.value)


@dataclass(frozen=True)
class Expected:
    """What the table says a request should get: let through, or refused with `status`."""

    permitted: bool
    status: int | None  # the refusal status; None when permitted (the operation's own success status applies)
    reason: str
    challenge: bool = False  # a refusal that must carry `WWW-Authenticate` (Basic) so clients retry


@dataclass(frozen=True)
class NotApplicable:
    """The endpoint cannot be reached with this credential at all (no way to carry it)."""

    reason: str


def expected_answer(
    credential: CredentialCase,
    operation: Operation,
    *,
    accepted_kinds: frozenset[TokenKind],
    accepted_schemes: frozenset[AuthScheme],
    scheme: AuthScheme,
    anonymous_status: int,
) -> Expected | NotApplicable:
    """The answer a conforming registry gives `credential` doing `operation` on a private project."""
    kind = token_kind_of(credential)
    if kind is not None and kind not in accepted_kinds:
        return NotApplicable(f"this endpoint does not accept {kind.value}s")
    if kind is not None and scheme not in accepted_schemes:
        return NotApplicable(f"this endpoint does not accept the {scheme.value} auth scheme")
    needed = OPERATION_PERMISSION[operation]
    if credential is CredentialCase.ANONYMOUS:
        return Expected(False, anonymous_status, "anonymous request to a private project",
                        challenge=anonymous_status == UNAUTHENTICATED)
    if credential in (CredentialCase.REVOKED_TOKEN, CredentialCase.EXPIRED_TOKEN):
        return Expected(False, UNAUTHENTICATED, f"{credential.value.replace('_', ' ')}s authenticate no one")
    if credential is CredentialCase.OTHER_PROJECT_TOKEN:
        return Expected(False, NO_PROJECT_ACCESS, "another project's token cannot see this private project")
    assert kind is not None
    granted = permissions_for(kind, PROVISIONED_SCOPES.get(credential, ()))
    if needed in granted:
        return Expected(True, None, f"{credential.value} has {needed.value}")
    return Expected(False, FORBIDDEN, f"{credential.value} lacks {needed.value}")
