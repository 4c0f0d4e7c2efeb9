"""Authentication for the provisioning API (personal or project access tokens, in PRIVATE-TOKEN or Bearer), and
its routes made from the endpoints declared in core/provisioning_api.py."""

from collections.abc import Awaitable, Callable, Iterable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from core.permissions import ACCESS_TOKEN_KINDS, Expected, identify
from core.provisioning_api import ApiEndpoint
from core.route_auth import REST_API_ROUTE
from reference_server.access import MAINTAINER, refusal, role_on_project
from reference_server.auth import Principal, arrived, principal_of
from reference_server.db import Database, Row
from reference_server.errors import ApiError, forbidden, not_found, unauthorized
from reference_server.settings import ServerSettings


def api_principal(request: Request, scopes: Iterable[str] = ("api",)) -> Principal:
    """The caller, who must hold one of `scopes`: 401 without a valid token, 403 insufficient_scope otherwise."""
    settings: ServerSettings = request.app.state.settings
    db: Database = request.app.state.db
    got = arrived(request, db, settings.faults)
    identity = identify(REST_API_ROUTE, got.presented)
    if isinstance(identity, Expected):
        raise refusal(identity)
    if identity.kind not in ACCESS_TOKEN_KINDS or got.row is None:
        raise unauthorized()
    principal = principal_of(db, got.row, got.presented.scheme)
    wanted = tuple(scopes)
    if not set(wanted) & set(principal.scopes):
        raise ApiError(403, "insufficient_scope", body={
            "error": "insufficient_scope",
            "error_description": "The request requires higher privileges than provided by the access token.",
            "scope": " ".join(wanted)})
    return principal


def admin_principal(request: Request) -> Principal:
    principal = api_principal(request)
    if not principal.is_admin:
        raise forbidden("administrator access is required")
    return principal


def require_maintainer(request: Request, principal: Principal, project: Row) -> None:
    """Managing a project's tokens or deleting it needs the maintainer role (administrators have it)."""
    db: Database = request.app.state.db
    settings: ServerSettings = request.app.state.settings
    level = role_on_project(principal, project, db, settings.faults)
    if level is None:
        raise not_found("Project")
    if level < MAINTAINER:
        raise forbidden("the maintainer role is required")


def route(endpoint: ApiEndpoint, handler: Callable[[Request], Awaitable[Response]]) -> Route:
    """The route serving a provisioning endpoint."""
    return Route(endpoint.path, handler, methods=[endpoint.method])
