"""What a principal may do on a project: access by token kind, permissions from the shared permission table.

Refusals follow `core.permissions`: 401 (with the Basic challenge where the endpoint expects it) for an
anonymous request to a private project, 404 Project Not Found for a token without access, 403 for a missing
permission. Projects are `private` or `public` (anyone may read); `internal` is treated as private.
"""

from dataclasses import dataclass
from urllib.parse import unquote

from starlette.requests import Request

from core.faults import Fault
from core.format_types import Endpoint
from core.permissions import ALL, READ, READ_CREATE, UNAUTHENTICATED, permissions_for
from core.vocabulary import Permission, TokenKind
from reference_server.auth import Principal, authenticate
from reference_server.db import Database, Row
from reference_server.errors import ApiError, forbidden, not_found, unauthorized
from reference_server.settings import ServerSettings

MAINTAINER = 40


def role_permissions(access_level: int) -> frozenset[Permission]:
    """GitLab roles: reporter reads, developer publishes, maintainer deletes."""
    if access_level >= MAINTAINER:
        return ALL
    if access_level >= 30:
        return READ_CREATE
    if access_level >= 20:
        return READ
    return frozenset()


def role_on_project(principal: Principal, project: Row, db: Database, faults: frozenset[str]) -> int | None:
    """The principal's access level on the project (deploy and job tokens: maintainer-equivalent), or None."""
    if Fault.OTHER_PROJECT_TOKEN_ALLOWED in faults:
        return principal.access_level or MAINTAINER
    kind = principal.kind
    if kind is TokenKind.PERSONAL_ACCESS_TOKEN:
        if principal.is_admin:
            return MAINTAINER + 10
        return db.member_level(project["id"], principal.user_id) if principal.user_id is not None else None
    if kind is TokenKind.PROJECT_ACCESS_TOKEN:
        return principal.access_level if principal.project_id == project["id"] else None
    if kind is TokenKind.GROUP_DEPLOY_TOKEN:
        return MAINTAINER if principal.group_id is not None and project["id"] in db.projects_under_group(
            principal.group_id) else None
    return MAINTAINER if principal.project_id == project["id"] else None  # project deploy and job tokens


def project_permissions(principal: Principal | None, project: Row, db: Database,
                        faults: frozenset[str]) -> frozenset[Permission] | None:
    """What the principal may do on the project; None when the project is invisible to it."""
    public = READ if project["visibility"] == "public" else None
    if principal is None:
        return public
    level = role_on_project(principal, project, db, faults)
    if level is None:
        return public
    granted = permissions_for(principal.kind, principal.scopes) & role_permissions(level)
    if (Fault.READ_ONLY_DEPLOY_CAN_WRITE in faults and principal.kind in
            (TokenKind.PROJECT_DEPLOY_TOKEN, TokenKind.GROUP_DEPLOY_TOKEN) and Permission.READ_PACKAGE in granted):
        granted |= READ_CREATE
    return granted


@dataclass(frozen=True)
class Authorized:
    principal: Principal | None
    project: Row


def authorize(request: Request, endpoint: Endpoint, permission: Permission) -> Authorized:
    """Authenticate for `endpoint`, find the `project_id` path parameter's project, check `permission`."""
    db: Database = request.app.state.db
    return authorize_on(request, endpoint, permission, db.project_by_ref(unquote(request.path_params["project_id"])))


def authenticate_for(request: Request, endpoint: Endpoint) -> Principal | None:
    """The request's principal as `endpoint` accepts it; a bad token is 401 (with the challenge where expected)."""
    settings: ServerSettings = request.app.state.settings
    try:
        return authenticate(request, request.app.state.db, settings.faults, accepted_kinds=endpoint.accepted_kinds,
                            accepted_schemes=endpoint.accepted_schemes)
    except ApiError as error:
        raise unauthorized(endpoint.anonymous_status == UNAUTHENTICATED) from error


def authorize_on(request: Request, endpoint: Endpoint, permission: Permission, project: Row | None,
                 principal: Principal | None = None) -> Authorized:
    """Check `permission` on a project found by the route (by id, by path, or by a group- or instance-level
    lookup). Pass `principal` when the route already authenticated; a missing project answers as a hidden one."""
    settings: ServerSettings = request.app.state.settings
    db: Database = request.app.state.db
    faults = settings.faults
    challenge = endpoint.anonymous_status == UNAUTHENTICATED
    if principal is None:
        principal = authenticate_for(request, endpoint)
    granted = project_permissions(principal, project, db, faults) if project is not None else None
    if project is None or granted is None:
        if principal is not None:
            raise not_found("Project")
        if Fault.ANONYMOUS_404 in faults:
            raise not_found("Project")
        raise unauthorized(True) if challenge else not_found("Project")
    if permission not in granted:
        if principal is None:  # a public project: anonymous may read, anything more needs a login
            raise unauthorized(challenge)
        raise forbidden()
    return Authorized(principal, project)
