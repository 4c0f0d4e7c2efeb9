"""What a caller may do on a project: the facts the expected-answer model needs, read from the database, and the
model's answer (`core.permissions`) turned into GitLab's refusals.

The server decides nothing itself: it reads who is asking (`auth.arrived`), what the token is to the project
(role, deploy-token owner, scopes, job-token allowlist) and how the project is set up, and asks the model. The
faults a test switches on change those facts (or the answer), the way a buggy registry would.
"""

from dataclasses import dataclass, replace
from urllib.parse import unquote

from starlette.requests import Request

from core import packages_api
from core.faults import Fault
from core.format_types import Endpoint
from core.permissions import (
    ACCESS_TOKEN_KINDS,
    PROJECT_ACCESS_TOKEN_ROLE,
    Ask,
    Challenge,
    Expected,
    Identity,
    Standing,
    identify,
    judge,
)
from core.project_setup import ProjectSetup, RegistryAccess, Role, Visibility
from core.route_auth import Level, RouteAuth
from core.vocabulary import WRITE_PACKAGE_REGISTRY, AuthScheme, Permission, TokenKind
from formats import FORMATS, OPERATIONS
from reference_server.auth import Principal, arrived, principal_of
from reference_server.db import Database, Row
from reference_server.errors import BEARER_CHALLENGE, CHALLENGE, ApiError
from reference_server.settings import ServerSettings

MAINTAINER = Role.MAINTAINER.access_level
# The package type of each format route (by method and path): protection rules and forwarding are per type. The
# shared Packages API has none.
PACKAGE_TYPE_OF: dict[tuple[str, str], str] = {
    (endpoint.method, endpoint.path): OPERATIONS[name].package_type
    for name, fmt in FORMATS.items() for endpoint in fmt.endpoints.values()
    if endpoint not in packages_api.ENDPOINTS.values()}
ADMIN_LEVEL = Role.OWNER.access_level + 10


def refusal(answer: Expected) -> ApiError:
    """The model's refusal as GitLab renders it."""
    status = answer.status or 403
    headers = {Challenge.BASIC: CHALLENGE, Challenge.BEARER: BEARER_CHALLENGE}.get(answer.challenge) if \
        answer.challenge else None
    messages = {401: "401 Unauthorized", 403: "403 Forbidden", 404: "404 Project Not Found"}
    message = messages.get(status, f"{status}")
    if answer.message:
        message = f"{message} - {answer.message}"
    return ApiError(status, message, headers=headers)


@dataclass(frozen=True)
class Caller:
    """Who the route takes the request to be: the model's identity and, for a token, the stored principal."""

    identity: Identity
    principal: Principal | None


def _route(settings: ServerSettings, endpoint: Endpoint) -> RouteAuth:
    auth = endpoint.auth
    if settings.has(Fault.JOB_TOKEN_BASIC_REFUSED):
        auth = replace(auth, job_token=auth.job_token - {AuthScheme.BASIC})
    return auth


def authenticate_for(request: Request, endpoint: Endpoint) -> Principal | None:
    """The request's principal as the endpoint's route reads it (None: anonymous); a token GitLab would refuse
    while reading it is its 401."""
    return caller_for(request, endpoint).principal


def caller_for(request: Request, endpoint: Endpoint) -> Caller:
    settings: ServerSettings = request.app.state.settings
    db: Database = request.app.state.db
    got = arrived(request, db, settings.faults)
    if (settings.has(Fault.BEARER_ONLY_NPM) and got.presented.scheme is AuthScheme.BEARER
            and got.presented.kind not in ACCESS_TOKEN_KINDS and "/packages/npm" not in endpoint.path):
        raise refusal(Expected(False, 401, "bearer_only_npm fault", rule="fault"))
    identity = identify(_route(settings, endpoint), got.presented)
    if isinstance(identity, Expected):
        raise refusal(identity)
    if identity.kind is None or got.row is None:
        return Caller(identity, None)
    return Caller(identity, principal_of(db, got.row, got.presented.scheme))


def role_on_project(principal: Principal, project: Row, db: Database, faults: frozenset[str]) -> int | None:
    """The principal's access level on the project (administrators above owner), or None for no standing."""
    if Fault.OTHER_PROJECT_TOKEN_ALLOWED in faults:
        return principal.access_level or MAINTAINER
    kind = principal.kind
    if principal.is_admin:
        return ADMIN_LEVEL
    if kind in (TokenKind.PERSONAL_ACCESS_TOKEN, TokenKind.JOB_TOKEN):
        return db.member_level(project["id"], principal.user_id) if principal.user_id is not None else None
    if kind is TokenKind.PROJECT_ACCESS_TOKEN:
        if principal.project_id != project["id"]:
            return None
        return principal.access_level or PROJECT_ACCESS_TOKEN_ROLE.access_level
    return None


def standing_on(principal: Principal, project: Row, db: Database, faults: frozenset[str]) -> Standing:
    """What the token is to the project, as the model reads it."""
    scopes = frozenset(principal.scopes)
    if principal.kind in ACCESS_TOKEN_KINDS or principal.kind is TokenKind.JOB_TOKEN:
        level = role_on_project(principal, project, db, faults)
        admin = level is not None and level >= ADMIN_LEVEL
        role = Role.from_access_level(level) if level is not None and not admin else None
        if role in (Role.GUEST, Role.REPORTER) and Fault.GUEST_PUSH_ALLOWED in faults:
            role = Role.DEVELOPER
        job_allowed = principal.kind is not TokenKind.JOB_TOKEN or Fault.JOB_TOKEN_SCOPE_IGNORED in faults or (
            principal.project_id is not None and db.job_token_allowed(project["id"], principal.project_id))
        return Standing(role=role, admin=admin, scopes=scopes, job_allowed=job_allowed)
    if Fault.READ_ONLY_DEPLOY_CAN_WRITE in faults:
        scopes |= {WRITE_PACKAGE_REGISTRY}
    if Fault.OTHER_PROJECT_TOKEN_ALLOWED in faults:
        return Standing(deploy_owner=Level.PROJECT, scopes=scopes)
    if principal.kind is TokenKind.PROJECT_DEPLOY_TOKEN and principal.project_id == project["id"]:
        return Standing(deploy_owner=Level.PROJECT, scopes=scopes)
    if principal.kind is TokenKind.GROUP_DEPLOY_TOKEN and principal.group_id is not None and (
            project["id"] in db.projects_under_group(principal.group_id)):
        return Standing(deploy_owner=Level.GROUP, scopes=scopes)
    return Standing(scopes=scopes)


def project_answer(request: Request, endpoint: Endpoint, permission: Permission, project: Row, caller: Caller,
                   package_name: str | None = None) -> Expected:
    """The model's answer for the caller on a project the route found."""
    settings: ServerSettings = request.app.state.settings
    db: Database = request.app.state.db
    standing = Standing()
    if caller.principal is not None:
        standing = standing_on(caller.principal, project, db, settings.faults)
    setup = db.project_setup(project["id"], PACKAGE_TYPE_OF.get((endpoint.method, endpoint.path), ""))
    if settings.has(Fault.PUBLIC_PROJECT_HIDDEN):
        setup = replace(setup, visibility=Visibility.PRIVATE)
    if settings.has(Fault.REGISTRY_ACCESS_IGNORED):
        setup = replace(setup, registry_access=RegistryAccess.ENABLED)
    ask = Ask(_route(settings, endpoint), permission, standing, setup, package_name)
    answer = judge(ask, caller.identity)
    if (not answer.permitted and caller.identity.kind is None and answer.status == 401
            and settings.has(Fault.ANONYMOUS_404)):
        return Expected(False, 404, "anonymous_404 fault: the private project is hidden")
    return answer


@dataclass(frozen=True)
class Authorized:
    principal: Principal | None
    project: Row


def authorize(request: Request, endpoint: Endpoint, permission: Permission,
              package_name: str | None = None) -> Authorized:
    """Authenticate for `endpoint`, find the `project_id` path parameter's project, check `permission`."""
    db: Database = request.app.state.db
    project = db.project_by_ref(unquote(request.path_params["project_id"]))
    return authorize_on(request, endpoint, permission, project, package_name=package_name)


def authorize_on(request: Request, endpoint: Endpoint, permission: Permission, project: Row | None,
                 principal: Principal | None = None, *, caller: Caller | None = None,
                 package_name: str | None = None) -> Authorized:
    """Check `permission` on a project found by the route (by id, by path, or by a group- or instance-level
    lookup). A missing project answers as one the caller cannot see."""
    if caller is None:
        caller = caller_for(request, endpoint) if principal is None else Caller(
            Identity(principal.kind, "already read"), principal)
    if project is None:
        answer = _missing_project(request, endpoint, caller)
    else:
        answer = project_answer(request, endpoint, permission, project, caller, package_name)
    if not answer.permitted:
        raise refusal(answer)
    assert project is not None
    return Authorized(caller.principal, project)


def _missing_project(request: Request, endpoint: Endpoint, caller: Caller) -> Expected:
    """No such project: answered as a private project the caller is no member of (GitLab does not tell them apart)."""
    settings: ServerSettings = request.app.state.settings
    ask = Ask(_route(settings, endpoint), Permission.READ_PACKAGE, Standing(),
              ProjectSetup(visibility=Visibility.PRIVATE))
    answer = judge(ask, caller.identity)
    if caller.identity.kind is None and answer.status == 401 and settings.has(Fault.ANONYMOUS_404):
        return Expected(False, 404, "anonymous_404 fault")
    return answer


@dataclass(frozen=True)
class GroupAccess:
    caller: Caller
    group: Row
    projects: list[Row]  # the group's projects (subgroups included) whose packages the caller may read

    @property
    def principal(self) -> Principal | None:
        return self.caller.principal


def readable(request: Request, endpoint: Endpoint, caller: Caller, project: Row) -> bool:
    return project_answer(request, endpoint, Permission.READ_PACKAGE, project, caller).permitted


def group_visible(db: Database, group: Row, caller: Caller) -> bool:
    """A group the caller may read even when it can read none of its packages (GitLab's `read_group`)."""
    principal = caller.principal
    if group["visibility"] == "public":
        return True
    if principal is None:
        return False
    if principal.is_admin:
        return True
    ancestry = {g["id"] for g in db.group_ancestry(group["id"])}
    return principal.kind is TokenKind.GROUP_DEPLOY_TOKEN and principal.group_id in ancestry


def group_refusal(request: Request, endpoint: Endpoint, caller: Caller) -> ApiError:
    """A group the caller cannot see, as GitLab's `find_authorized_group!` answers it (`unauthorized_or! {
    not_found! }`): 401 (with the challenge where the route sends one) when anonymous, 404 Group Not Found otherwise."""
    settings: ServerSettings = request.app.state.settings
    if caller.identity.kind is not None or settings.has(Fault.ANONYMOUS_404):
        return ApiError(404, "404 Group Not Found")
    return refusal(Expected(False, 401, "anonymous request to a private group",
                            Challenge.BASIC if endpoint.auth.challenge else None))


def group_access(request: Request, endpoint: Endpoint, group: Row | None, *, public: bool = False) -> GroupAccess:
    """The group and the projects in it whose packages the caller may read; a group the caller cannot see at all
    is refused (`group_refusal`). An unknown group is 404 (GitLab's `ensure_group!`, before it looks at the caller).
    `public`: a fault's view, every project readable."""
    db: Database = request.app.state.db
    caller = caller_for(request, endpoint)
    if endpoint.auth.login_required and caller.identity.kind is None:  # `authenticate!` first (NuGet's group API)
        raise refusal(Expected(False, 401, "the route needs a login", Challenge.BASIC if endpoint.auth.challenge
                               else None))
    if group is None:
        raise ApiError(404, "404 Group Not Found")
    projects = [p for p in (db.project(pid) for pid in db.projects_under_group(group["id"]))
                if p is not None and (public or readable(request, endpoint, caller, p))]
    if not (projects or public or group_visible(db, group, caller)):
        raise group_refusal(request, endpoint, caller)
    return GroupAccess(caller, group, projects)


def check_protection(request: Request, endpoint: Endpoint, granted: Authorized, package_name: str) -> None:
    """A push of a package a protection rule covers, by a caller below the rule's level: 403 "Package protected."
    GitLab checks the rules in the create service, once the package's name is known (after authentication);
    under the `protection_rules_ignored` fault nothing is checked."""
    settings: ServerSettings = request.app.state.settings
    if settings.has(Fault.PROTECTION_RULES_IGNORED):
        return
    principal = granted.principal
    caller = Caller(Identity(principal.kind if principal else None, "already read"), principal)
    answer = project_answer(request, endpoint, Permission.CREATE_PACKAGE, granted.project, caller, package_name)
    if not answer.permitted and settings.has(Fault.PROTECTION_MESSAGE_MISSING):
        raise refusal(replace(answer, message=None))
    if not answer.permitted:
        raise refusal(answer)
