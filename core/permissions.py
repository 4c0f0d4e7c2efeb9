"""The expected-answer model: what GitLab answers a package request, read from GitLab's own code and request specs.

Defined once. The harness derives every expected answer with `answer`; the reference server authorizes every package
request with the same function, from facts it reads out of its database. Two steps, as GitLab takes them:

1. `identify`: which token the route reads from the request (`Gitlab::Auth::AuthFinders`, `API::APIGuard`). A
   carrier the route does not read leaves the request anonymous; a token GitLab looks up and cannot use is a 401.
2. `judge`: what that identity may do on the project (or group) given its visibility, package registry access
   level, the member role behind the token, deploy-token scopes, protection rules and the versioned rules
   (`app/policies/project_policy.rb`, `API::Helpers::PackagesHelpers`, `API::Helpers::Packages::BasicAuthHelpers`).

Every answer names the rule it came from (`Expected.rule`), so a report can say why a status was expected.
docs/gitlab-fidelity.md lists what was read; tests/test_gitlab_transcription.py holds the model to GitLab's spec rows.
"""

import fnmatch
from dataclasses import dataclass, field
from enum import StrEnum

from core.gitlab_versions import DEPLOY_TOKEN_DESTROY, GUEST_PULL, NEWEST, RuleSet
from core.project_setup import CREATOR_ROLE, ProjectSetup, RegistryAccess, Role, Visibility
from core.route_auth import Level, RouteAuth
from core.vocabulary import (
    READ_PACKAGE_REGISTRY,
    WRITE_PACKAGE_REGISTRY,
    AuthScheme,
    CredentialCase,
    Operation,
    Permission,
    TokenKind,
)

ACCESS_TOKEN_KINDS = frozenset({TokenKind.PERSONAL_ACCESS_TOKEN, TokenKind.PROJECT_ACCESS_TOKEN})
DEPLOY_TOKEN_KINDS = frozenset({TokenKind.PROJECT_DEPLOY_TOKEN, TokenKind.GROUP_DEPLOY_TOKEN})
BASIC_CHALLENGE = 'Basic realm="GitLab Packages Registry"'  # BasicAuthHelpers' AUTHENTICATE_REALM_NAME

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
# GitLab's default role for a project access token (`POST /projects/:id/access_tokens`, `access_level` 40).
PROJECT_ACCESS_TOKEN_ROLE = Role.MAINTAINER

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

# The least role each permission needs (`app/policies/project_policy.rb`: reporter reads, developer creates,
# maintainer destroys; a guest reads from GitLab's `guest_pull` rule on).
LEAST_ROLE: dict[Permission, Role] = {
    Permission.READ_PACKAGE: Role.REPORTER,
    Permission.CREATE_PACKAGE: Role.DEVELOPER,
    Permission.DESTROY_PACKAGE: Role.MAINTAINER,
}

# The real token kind each negative case is made of.
NEGATIVE_CASE_KIND: dict[CredentialCase, TokenKind] = {
    CredentialCase.REVOKED_TOKEN: TokenKind.PERSONAL_ACCESS_TOKEN,
    CredentialCase.EXPIRED_TOKEN: TokenKind.PERSONAL_ACCESS_TOKEN,
    CredentialCase.OTHER_PROJECT_TOKEN: TokenKind.PROJECT_ACCESS_TOKEN,
    CredentialCase.READ_ONLY_DEPLOY_TOKEN: TokenKind.PROJECT_DEPLOY_TOKEN,
}


class TokenState(StrEnum):
    """What the target finds when it looks a token up."""

    VALID = "valid"
    UNKNOWN = "unknown"  # no such token (or a token of a kind the carrier does not hold)
    REVOKED = "revoked"
    EXPIRED = "expired"  # also a job token whose job is no longer running


class Challenge(StrEnum):
    BASIC = "basic"  # `WWW-Authenticate: Basic realm="GitLab Packages Registry"`: clients retry with credentials
    BEARER = "bearer"  # `WWW-Authenticate: Bearer … error="invalid_token"` (revoked or expired tokens, api_guard.rb)


@dataclass(frozen=True, slots=True)
class Presented:
    """What a request carries: the token's real kind (None: nothing), how it travels, what the target finds."""

    kind: TokenKind | None
    scheme: AuthScheme
    state: TokenState = TokenState.VALID
    ci_user: bool = False  # Basic with the user name `gitlab-ci-token`


@dataclass(frozen=True, slots=True)
class Standing:
    """What the token is to the target project (or group) once identified."""

    role: Role | None = None  # the user behind a personal or job token (a project access token: its own role)
    admin: bool = False
    deploy_owner: Level | None = None  # a deploy token of this project (PROJECT) or of a group above it (GROUP)
    scopes: frozenset[str] = frozenset()
    job_allowed: bool = True  # a job token's project may reach this project (CI/CD job token allowlist)


@dataclass(frozen=True, slots=True)
class Expected:
    """What GitLab answers: let through, or refused with `status` (and the challenge a 401 must carry)."""

    permitted: bool
    status: int | None  # the refusal status; None when permitted (the operation's own success status applies)
    reason: str
    challenge: Challenge | None = None
    rule: str = ""  # the GitLab file (and spec) the answer was read from
    message: str | None = None  # GitLab's own refusal message, where it has one beyond the status
    before_body: bool = True  # an upload is refused before its body is read (False: by the create service, after)


@dataclass(frozen=True, slots=True)
class Identity:
    """Who the route takes the request to be: anonymous (kind None) or a token of `kind`."""

    kind: TokenKind | None
    how: str


ANONYMOUS_IDENTITY = Identity(None, "no credential the route reads")


@dataclass(frozen=True, slots=True)
class Ask:
    """One request, as the model needs it."""

    route: RouteAuth
    permission: Permission
    standing: Standing = Standing()
    project: ProjectSetup = field(default_factory=ProjectSetup)
    package_name: str | None = None  # a push's package name (protection rules)
    namespace_public: bool = False  # the project's top-level group is public (`RouteAuth.namespace_public_status`)


_FINDERS = "lib/gitlab/auth/auth_finders.rb"
_GUARD = "lib/api/api_guard.rb"
_POLICY = "app/policies/project_policy.rb"
_HELPERS = "lib/api/helpers/packages/basic_auth_helpers.rb, lib/api/helpers/packages_helpers.rb"
_PROTECTION = "app/services/packages/protection (Packages::Protection::Rule.for_push_exists?)"


def _unauthorized(route: RouteAuth, reason: str, rule: str) -> Expected:
    return Expected(False, 401, reason, Challenge.BASIC if route.challenge else None, rule)


def _bad_token(route: RouteAuth, state: TokenState, what: str) -> Expected:
    """A token GitLab looked up and cannot use: 401; revoked and expired access tokens carry the Bearer challenge."""
    if state in (TokenState.REVOKED, TokenState.EXPIRED):
        return Expected(False, 401, f"a {state.value} {what} authenticates no one", Challenge.BEARER, _GUARD)
    return _unauthorized(route, f"an unknown {what} is refused, even on a public project", _FINDERS)


def identify(route: RouteAuth, presented: Presented) -> Identity | Expected:
    """The identity the route reads from the request, or the 401 GitLab answers while reading it."""
    kind, scheme, state = presented.kind, presented.scheme, presented.state
    valid = state is TokenState.VALID
    if kind is None or scheme is AuthScheme.NONE:
        return ANONYMOUS_IDENTITY
    if route.sent_through is not None:
        return _identify_declared(route, presented)
    if scheme is AuthScheme.TOKEN:  # neither PRIVATE-TOKEN nor `Bearer …`: no finder reads a bare Authorization
        return Identity(None, "a bare token in Authorization, which the route does not read: the request is anonymous")
    if scheme is AuthScheme.HEADER:
        if kind in ACCESS_TOKEN_KINDS:  # PRIVATE-TOKEN: read on every route; `|| raise(UnauthorizedError)`
            return Identity(kind, "PRIVATE-TOKEN header") if valid else _bad_token(route, state, "access token")
        if kind in DEPLOY_TOKEN_KINDS:  # DEPLOY-TOKEN: `DeployToken.active.find_by_token`, nil when unusable
            if route.deploy_token and valid:
                return Identity(kind, "DEPLOY-TOKEN header")
            return Identity(None, "DEPLOY-TOKEN header the route does not read" if not route.deploy_token
                            else f"{state.value} deploy token: the request is anonymous")
        if AuthScheme.HEADER not in route.job_token:  # JOB-TOKEN not read (PyPI: `job_token_allowed: :basic_auth`)
            return Identity(None, "JOB-TOKEN header the route does not read")
        return Identity(kind, "JOB-TOKEN header") if valid else _bad_token(route, TokenState.UNKNOWN, "job token")
    if scheme is AuthScheme.BASIC:
        if kind in DEPLOY_TOKEN_KINDS and route.deploy_token and valid:
            return Identity(kind, "deploy token as the Basic password")
        if presented.ci_user and AuthScheme.BASIC in route.job_token:  # `find_valid_running_job_by_token!`
            if kind is TokenKind.JOB_TOKEN and valid:
                return Identity(kind, "job token over Basic as gitlab-ci-token")
            return _bad_token(route, TokenState.UNKNOWN, "job token")
        if kind in ACCESS_TOKEN_KINDS and route.basic_pat and state is not TokenState.UNKNOWN:
            # `find_personal_access_token_from_http_basic_auth`: an unknown password finds nothing (anonymous);
            # a revoked or expired token found is refused by `validate_and_save_access_token!`.
            return Identity(kind, "access token as the Basic password") if valid else _bad_token(
                route, state, "access token")
        return Identity(None, "Basic credentials the route does not read: the request is anonymous")
    # Bearer: deploy tokens where allowed (`parsed_oauth_token`), job tokens wherever `job_token_allowed` is set,
    # then OAuth and personal access tokens (`find_personal_access_token`, which raises when nothing matches).
    if kind in DEPLOY_TOKEN_KINDS and route.deploy_token and valid:
        return Identity(kind, "deploy token as Bearer")
    if kind is TokenKind.JOB_TOKEN and AuthScheme.BEARER in route.job_token:
        return Identity(kind, "job token as Bearer") if valid else _bad_token(route, TokenState.UNKNOWN, "job token")
    if kind in ACCESS_TOKEN_KINDS:
        return Identity(kind, "access token as Bearer") if valid else _bad_token(route, state, "access token")
    return _bad_token(route, TokenState.UNKNOWN, "Bearer token")


_DECLARED = ("lib/api/helpers/authentication.rb, lib/gitlab/api_authentication/token_locator.rb, "
             "token_resolver.rb")


def _identify_declared(route: RouteAuth, presented: Presented) -> Identity | Expected:
    """A route whose API class declares `authenticate_with` (`RouteAuth.sent_through`): only the declared carriers
    are read; from them the token types are tried in turn by the password alone (`find_token_from_raw_credentials`),
    and credentials that resolve to none are refused 401 (`raise ::Gitlab::Auth::UnauthorizedError`)."""
    assert route.sent_through is not None
    kind, scheme, state = presented.kind, presented.scheme, presented.state
    if scheme not in route.sent_through:
        if AuthScheme.TOKEN in route.sent_through and scheme in (AuthScheme.BASIC, AuthScheme.BEARER):
            # `:http_token` takes the whole Authorization header as the token: "Basic …" or "Bearer …" names none
            return _unauthorized(route, f"the route reads the whole Authorization header as the token: a "
                                        f"{scheme.value} header is no token", _DECLARED)
        carriers = ", ".join(sorted(s.value for s in route.sent_through))
        return Identity(None, f"{scheme.value} credentials the route does not read (it reads only {carriers}):"
                              " the request is anonymous")
    valid = state is TokenState.VALID
    if kind in ACCESS_TOKEN_KINDS and state is not TokenState.UNKNOWN:
        # `PersonalAccessToken.find_by_token` finds the token; a revoked or expired one is refused as everywhere.
        return Identity(kind, f"access token as the {scheme.value} credential") if valid else _bad_token(
            route, state, "access token")
    if kind in DEPLOY_TOKEN_KINDS and route.deploy_token and valid:  # `DeployToken.active.find_by_token`
        return Identity(kind, f"deploy token as the {scheme.value} credential")
    if kind is TokenKind.JOB_TOKEN and route.job_token and valid:  # `Ci::AuthJobFinder`: a running job
        return Identity(kind, f"job token as the {scheme.value} credential (any user name)")
    return _unauthorized(route, "credentials sent through the route's carrier that resolve to no token it takes",
                         _DECLARED)


def _anonymous_reads(setup: ProjectSetup) -> bool:
    """Anyone may read the project's packages: a public project with its registry on, or the registry public."""
    if setup.registry_access is RegistryAccess.PUBLIC:
        return True
    return setup.visibility is Visibility.PUBLIC and setup.registry_access is RegistryAccess.ENABLED


def _granted(identity: Identity, standing: Standing, ask: Ask, rules: RuleSet) -> tuple[frozenset[Permission], str]:
    """The permissions the identity holds on a project it can see, and why (the policy rule that says so)."""
    setup = ask.project
    if setup.registry_access is RegistryAccess.DISABLED:
        return frozenset(), "the package registry is disabled (`packages_disabled` prevents every package ability)"
    if standing.admin:
        return frozenset(Permission), "an administrator"
    if identity.kind in DEPLOY_TOKEN_KINDS:
        granted: set[Permission] = set()
        if standing.deploy_owner is None:
            # A deploy token of another project has no scope here: it reads what anyone reads and no more
            # (spec/requests/api/maven_packages_spec.rb 'rejects requests by a unauthorized deploy token with same
            # id as a user with access' → 403 on a public project's authorize and upload).
            if _anonymous_reads(setup):
                granted.add(Permission.READ_PACKAGE)
            return frozenset(granted), "another project's deploy token"
        if READ_PACKAGE_REGISTRY in standing.scopes:
            granted.add(Permission.READ_PACKAGE)
        if WRITE_PACKAGE_REGISTRY in standing.scopes:
            granted |= {Permission.READ_PACKAGE, Permission.CREATE_PACKAGE}
            if rules.holds(DEPLOY_TOKEN_DESTROY):
                granted.add(Permission.DESTROY_PACKAGE)
        return frozenset(granted), f"a deploy token with {', '.join(sorted(standing.scopes)) or 'no scopes'}"
    role = standing.role
    granted = set()
    if role is not None:
        for permission, least in LEAST_ROLE.items():
            if role.access_level >= least.access_level:
                granted.add(permission)
        if role is Role.GUEST and rules.holds(GUEST_PULL):
            granted.add(Permission.READ_PACKAGE)
    if _anonymous_reads(setup) or setup.visibility is Visibility.INTERNAL:  # any signed-in user reads
        granted.add(Permission.READ_PACKAGE)
    who = f"a {role.value}" if role else "not a member"
    return frozenset(granted), who


def _sees(identity: Identity, standing: Standing, ask: Ask) -> bool:
    """The identity can see the project (GitLab finds it; otherwise Project Not Found)."""
    setup, route = ask.project, ask.route
    if identity.kind in DEPLOY_TOKEN_KINDS:
        if standing.deploy_owner is None:
            return setup.visibility is Visibility.PUBLIC
        # a project's deploy token has no `read_group` on a non-public group (`find_authorized_group!`); on a public
        # group anyone has it (spec/requests/api/pypi_packages_spec.rb 'pypi file download endpoint' > 'with deploy
        # token headers' > 'valid token': a project deploy token on the group route of a public group → 200). Maven's
        # group route asks `read_package_within_public_registries` instead and serves it on a private group
        # (`RouteAuth.project_deploy_token_reads_group`).
        if route.level is Level.GROUP and standing.deploy_owner is Level.PROJECT:
            return route.project_deploy_token_reads_group or setup.visibility is Visibility.PUBLIC
        return True
    if identity.kind is TokenKind.JOB_TOKEN and not standing.job_allowed:
        return False
    if standing.admin or standing.role is not None:
        return True
    signed_in_sees = setup.visibility in (Visibility.PUBLIC, Visibility.INTERNAL)
    return signed_in_sees or setup.registry_access is RegistryAccess.PUBLIC


def _protected(ask: Ask, identity: Identity, standing: Standing) -> Expected | None:
    """A push of a package a protection rule covers, by a role below the rule's minimum: 403."""
    if ask.permission is not Permission.CREATE_PACKAGE or ask.package_name is None or standing.admin:
        return None
    for rule in ask.project.protection_rules:
        if not fnmatch.fnmatchcase(ask.package_name, rule.package_name_pattern):
            continue
        role = standing.role if identity.kind not in DEPLOY_TOKEN_KINDS else None
        if role is None or role.access_level < rule.minimum_access_level_for_push.access_level:
            return Expected(False, 403, f"package '{ask.package_name}' is protected (pushes need "
                            f"{rule.minimum_access_level_for_push.value} or above)", None, _PROTECTION,
                            message="Package protected.", before_body=False)
    return None


def judge(ask: Ask, identity: Identity, rules: RuleSet = NEWEST) -> Expected:
    """What GitLab answers an identified request on the project (or group) the route found."""
    answer = _judge(ask, identity, rules)
    status = ask.route.namespace_public_status
    if status is not None and ask.namespace_public and not answer.permitted and \
            ask.permission is Permission.READ_PACKAGE:
        return Expected(False, status, f"{answer.reason}; the top-level group is public, so the route answers as "
                        "for no package there", rule=ask.route.source)
    return answer


def _judge(ask: Ask, identity: Identity, rules: RuleSet = NEWEST) -> Expected:
    route, setup, need = ask.route, ask.project, ask.permission
    standing = ask.standing
    if identity.kind is None:
        if route.login_required:
            return _unauthorized(route, "the route needs a login (`authenticate!`) before anything else", route.source)
        if need is Permission.READ_PACKAGE and _anonymous_reads(setup):
            return Expected(True, None, "anyone may read this project's packages", rule=_POLICY)
        if setup.visibility is Visibility.PUBLIC or setup.registry_access is RegistryAccess.PUBLIC:
            reason = f"anonymous lacks {need.value} here: a login is needed"
            if route.anonymous_refused != 401:
                return Expected(False, route.anonymous_refused, reason, rule=route.source)
            return _unauthorized(route, reason, _HELPERS)
        status = route.anonymous_hidden
        if route.hidden_401_since and route.hidden_401_since not in rules.in_force:
            status = 404
        if status == 401:
            return _unauthorized(route, f"anonymous request to a {setup.visibility.value} project", _HELPERS)
        return Expected(False, status, f"anonymous request to a {setup.visibility.value} project: Project Not Found",
                        rule=route.source)
    if not _sees(identity, standing, ask):
        return Expected(False, route.hidden_status, "the token cannot see this project" + (
            " (found by name: 403)" if route.hidden_status == 403 else ": Project Not Found"), rule=_HELPERS)
    granted, why = _granted(identity, standing, ask, rules)
    if need not in granted:
        return Expected(False, 403, f"{why}: lacks {need.value}", rule=_POLICY)
    protected = _protected(ask, identity, standing)
    if protected is not None:
        return protected
    return Expected(True, None, f"{why}: has {need.value}", rule=_POLICY)


def answer(ask: Ask, presented: Presented, rules: RuleSet = NEWEST) -> Expected:
    """What GitLab answers `presented` asking `ask`: identify the caller, then authorize it."""
    identity = identify(ask.route, presented)
    if isinstance(identity, Expected):
        return identity
    return judge(ask, identity, rules)


# --- the harness's credential cases, as the model's facts ------------------------------------------------------


def token_kind_of(credential: CredentialCase) -> TokenKind | None:
    """The token kind a credential case presents (None for anonymous)."""
    if credential is CredentialCase.ANONYMOUS:
        return None
    if credential in NEGATIVE_CASE_KIND:
        return NEGATIVE_CASE_KIND[credential]
    return TokenKind(credential.value)


def presented_by(credential: CredentialCase, scheme: AuthScheme) -> Presented:
    """What a credential case carries in `scheme` (a job token over Basic goes as `gitlab-ci-token`)."""
    kind = token_kind_of(credential)
    if kind is None:
        return Presented(None, AuthScheme.NONE)
    state = {CredentialCase.REVOKED_TOKEN: TokenState.REVOKED,
             CredentialCase.EXPIRED_TOKEN: TokenState.EXPIRED}.get(credential, TokenState.VALID)
    return Presented(kind, scheme, state, ci_user=kind is TokenKind.JOB_TOKEN)


def standing_of(credential: CredentialCase, role: Role | None = None, job_allowed: bool = True) -> Standing:
    """What a provisioned credential case is to the case's project: the subject's `role` for personal and job
    tokens (default: the owner token's user, who created the case's group), the provisioned scopes otherwise;
    `job_allowed`: a job token's project may reach the case's project (its own, or on its allowlist)."""
    scopes = frozenset(PROVISIONED_SCOPES.get(credential, ()))
    if credential is CredentialCase.JOB_TOKEN:
        return Standing(role=role or CREATOR_ROLE, scopes=scopes, job_allowed=job_allowed)
    if credential in (CredentialCase.PERSONAL_ACCESS_TOKEN, CredentialCase.REVOKED_TOKEN,
                      CredentialCase.EXPIRED_TOKEN):
        return Standing(role=role or CREATOR_ROLE, scopes=scopes)
    if credential is CredentialCase.PROJECT_ACCESS_TOKEN:
        return Standing(role=PROJECT_ACCESS_TOKEN_ROLE, scopes=scopes)
    if credential in (CredentialCase.PROJECT_DEPLOY_TOKEN, CredentialCase.READ_ONLY_DEPLOY_TOKEN):
        return Standing(deploy_owner=Level.PROJECT, scopes=scopes)
    if credential is CredentialCase.GROUP_DEPLOY_TOKEN:
        return Standing(deploy_owner=Level.GROUP, scopes=scopes)
    return Standing(scopes=scopes)  # another project's token: no standing here


def expected_for(credential: CredentialCase, operation: Operation, route: RouteAuth, scheme: AuthScheme, *,
                 project: ProjectSetup | None = None, role: Role | None = None, package_name: str | None = None,
                 rules: RuleSet = NEWEST, job_allowed: bool = True, namespace_public: bool = False) -> Expected:
    """The answer GitLab gives a provisioned credential case doing `operation` on the case's project
    (`namespace_public`: the project's top-level group is public)."""
    ask = Ask(route, OPERATION_PERMISSION[operation], standing_of(credential, role, job_allowed),
              project or ProjectSetup(), package_name, namespace_public)
    return answer(ask, presented_by(credential, scheme), rules)
