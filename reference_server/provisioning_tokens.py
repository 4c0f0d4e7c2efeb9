"""GitLab's token provisioning: personal, project access and deploy tokens (create and revoke).

Reference-server leniency: an `expires_at` in the past IS accepted (GitLab refuses it), so the harness can make
an expired token. Revoking a deploy token marks it revoked (GitLab destroys it); either way it stops working.
"""

import json
import secrets
from datetime import date
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from core import provisioning_api as api
from core.faults import Fault
from core.permissions import ACCESS_TOKEN_KINDS, DEPLOY_TOKEN_KINDS
from core.vocabulary import READ_PACKAGE_REGISTRY, WRITE_PACKAGE_REGISTRY, TokenKind
from reference_server.auth import today_utc
from reference_server.db import Database, Row
from reference_server.errors import ApiError, not_found
from reference_server.params import as_int, as_list, read_params, required
from reference_server.provisioning import find_group, find_project
from reference_server.provisioning_auth import admin_principal, api_principal, require_maintainer, route
from reference_server.tokens import issue_token

ACCESS_TOKEN_SCOPES = ("api", "read_api", "read_user", "read_repository", "write_repository", "read_registry",
                       "write_registry", "create_runner", "manage_runner", "k8s_proxy", "ai_features", "sudo",
                       "admin_mode", "read_service_ping", "self_rotate")
DEPLOY_TOKEN_SCOPES = ("read_repository", "read_registry", "write_registry", READ_PACKAGE_REGISTRY,
                       WRITE_PACKAGE_REGISTRY, "read_virtual_registry", "write_virtual_registry")
ACCESS_LEVELS = (10, 15, 20, 30, 40, 50)


def param_error(message: str) -> ApiError:
    return ApiError(400, message, body={"error": message})


def scopes_of(params: dict[str, Any], allowed: tuple[str, ...]) -> list[str]:
    scopes = as_list(required(params, "scopes"))
    unknown = [s for s in scopes if s not in allowed]
    if unknown:
        raise param_error(f"scopes does not have a valid value: {', '.join(unknown)} (known: {', '.join(allowed)})")
    return scopes


def expiry_of(params: dict[str, Any]) -> date | None:
    """`YYYY-MM-DD` or an ISO 8601 timestamp (deploy tokens); a date in the past is accepted on purpose."""
    value = params.get("expires_at")
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        raise param_error("expires_at is invalid") from None


def is_active(row: Row) -> bool:
    expired = row["expires_at"] is not None and date.fromisoformat(row["expires_at"]) <= today_utc()
    return not row["revoked"] and not expired


def access_token_json(row: Row, token: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": row["id"], "name": row["name"], "revoked": bool(row["revoked"]), "created_at": row["created_at"],
        "scopes": json.loads(row["scopes"]), "user_id": row["user_id"], "last_used_at": None,
        "active": is_active(row), "expires_at": row["expires_at"],
    }
    if row["access_level"] is not None:
        body["access_level"] = row["access_level"]
    if token is not None:
        body["token"] = token
    return body


def deploy_token_json(row: Row, token: str) -> dict[str, Any]:
    expires = f"{row['expires_at']}T00:00:00.000Z" if row["expires_at"] else None
    return {"id": row["id"], "name": row["name"], "username": row["username"], "expires_at": expires,
            "scopes": json.loads(row["scopes"]), "revoked": bool(row["revoked"]),
            "expired": not is_active(row) and not row["revoked"], "token": token}


async def create_personal_access_token(request: Request) -> Response:
    admin_principal(request)
    db: Database = request.app.state.db
    user_id = request.path_params["user_id"]
    user = db.user(int(user_id)) if user_id.isdigit() else None
    if user is None:
        raise not_found("User")
    params = await read_params(request)
    token, row = issue_token(db, TokenKind.PERSONAL_ACCESS_TOKEN, str(required(params, "name")),
                             scopes_of(params, ACCESS_TOKEN_SCOPES), expiry_of(params), user_id=user["id"])
    return JSONResponse(access_token_json(row, token), status_code=201)


async def revoke_personal_access_token(request: Request) -> Response:
    principal = api_principal(request)
    db: Database = request.app.state.db
    token_id = request.path_params["token_id"]
    if token_id == "self":
        token_id = str(principal.token_id)
    row = db.token(int(token_id)) if token_id.isdigit() else None
    if row is None or row["kind"] not in ACCESS_TOKEN_KINDS:
        raise not_found("Personal access token")
    if not principal.is_admin and row["user_id"] != principal.user_id:
        raise not_found("Personal access token")
    if not request.app.state.settings.has(Fault.REVOKE_DOES_NOTHING):
        db.revoke_token(row["id"])
    return Response(status_code=204)


async def read_personal_access_token(request: Request) -> Response:
    principal = api_principal(request)
    db: Database = request.app.state.db
    token_id = request.path_params["token_id"]
    row = db.token(int(token_id)) if token_id.isdigit() else None
    if row is None or row["kind"] not in ACCESS_TOKEN_KINDS or not (principal.is_admin or
                                                                     row["user_id"] == principal.user_id):
        raise not_found("Personal access token")
    return JSONResponse(access_token_json(row))


async def create_project_access_token(request: Request) -> Response:
    principal = api_principal(request)
    db: Database = request.app.state.db
    project = find_project(request)
    require_maintainer(request, principal, project)
    params = await read_params(request)
    name, scopes, expires = str(required(params, "name")), scopes_of(params, ACCESS_TOKEN_SCOPES), expiry_of(params)
    level = as_int(params, "access_level", 40)
    if level not in ACCESS_LEVELS:
        raise param_error(f"access_level does not have a valid value: {', '.join(map(str, ACCESS_LEVELS))}")
    with db.transaction():
        bot_id = db.create_bot_user(f"project_{project['id']}_bot_{secrets.token_hex(8)}")
        db.add_member(project["id"], bot_id, level)
        token, row = issue_token(db, TokenKind.PROJECT_ACCESS_TOKEN, name, scopes, expires, user_id=bot_id,
                                 project_id=project["id"], access_level=level)
    return JSONResponse(access_token_json(row, token), status_code=201)


async def revoke_project_access_token(request: Request) -> Response:
    principal = api_principal(request)
    db: Database = request.app.state.db
    project = find_project(request)
    require_maintainer(request, principal, project)
    token_id = request.path_params["token_id"]
    row = db.token(int(token_id)) if token_id.isdigit() else None
    if row is None or row["kind"] != TokenKind.PROJECT_ACCESS_TOKEN or row["project_id"] != project["id"]:
        raise not_found("Project access token")
    db.revoke_token(row["id"])
    return Response(status_code=204)


async def _create_deploy_token(request: Request, kind: TokenKind, **owner: int) -> Response:
    db: Database = request.app.state.db
    params = await read_params(request)
    name, scopes, expires = str(required(params, "name")), scopes_of(params, DEPLOY_TOKEN_SCOPES), expiry_of(params)
    with db.transaction():
        token, row = issue_token(db, kind, name, scopes, expires, **owner)
        db.set_deploy_username(row["id"], str(params.get("username") or f"gitlab+deploy-token-{row['id']}"))
        stored = db.token(row["id"])
    assert stored is not None
    return JSONResponse(deploy_token_json(stored, token), status_code=201)


async def create_project_deploy_token(request: Request) -> Response:
    principal = api_principal(request)
    project = find_project(request)
    require_maintainer(request, principal, project)
    return await _create_deploy_token(request, TokenKind.PROJECT_DEPLOY_TOKEN, project_id=project["id"])


async def create_group_deploy_token(request: Request) -> Response:
    admin_principal(request)
    group = find_group(request)
    return await _create_deploy_token(request, TokenKind.GROUP_DEPLOY_TOKEN, namespace_id=group["id"])


def _revoke_deploy_token(db: Database, token_id: str, owner_column: str, owner_id: int) -> Response:
    row = db.token(int(token_id)) if token_id.isdigit() else None
    if row is None or row["kind"] not in DEPLOY_TOKEN_KINDS or row[owner_column] != owner_id:
        raise not_found("Deploy token")
    db.revoke_token(row["id"])
    return Response(status_code=204)


async def revoke_project_deploy_token(request: Request) -> Response:
    principal = api_principal(request)
    project = find_project(request)
    require_maintainer(request, principal, project)
    return _revoke_deploy_token(request.app.state.db, request.path_params["token_id"], "project_id", project["id"])


async def revoke_group_deploy_token(request: Request) -> Response:
    admin_principal(request)
    group = find_group(request)
    return _revoke_deploy_token(request.app.state.db, request.path_params["token_id"], "namespace_id", group["id"])


ROUTES = [
    route(api.CREATE_PERSONAL_ACCESS_TOKEN, create_personal_access_token),
    route(api.REVOKE_PERSONAL_ACCESS_TOKEN, revoke_personal_access_token),
    route(api.PERSONAL_ACCESS_TOKEN, read_personal_access_token),
    route(api.CREATE_PROJECT_ACCESS_TOKEN, create_project_access_token),
    route(api.REVOKE_PROJECT_ACCESS_TOKEN, revoke_project_access_token),
    route(api.CREATE_PROJECT_DEPLOY_TOKEN, create_project_deploy_token),
    route(api.REVOKE_PROJECT_DEPLOY_TOKEN, revoke_project_deploy_token),
    route(api.CREATE_GROUP_DEPLOY_TOKEN, create_group_deploy_token),
    route(api.REVOKE_GROUP_DEPLOY_TOKEN, revoke_group_deploy_token),
]
