"""GitLab's REST provisioning of a project's setup: the version, users, project members, the project's visibility and
package registry access level, package protection rules and the CI job token allowlist.

Paths and payloads are GitLab's (core/provisioning_api.py names the GitLab file each was checked against), and so are
the refusals: creating or deleting a user needs an administrator (403 otherwise); the project endpoints need the
maintainer role (404 Project Not Found without access, 403 below maintainer), and adding an owner needs the owner role.
Reference-server leniencies: a user's password is not kept (nobody logs in with one here); a protection rule's
pattern is not checked against the format's naming rules; deleting a user is immediate.
"""

import sqlite3

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from core import provisioning_api as api
from core.gitlab_versions import RULES
from core.project_setup import ACCESS_LEVELS, RegistryAccess
from formats import FORMATS
from reference_server.access import role_on_project
from reference_server.auth import Principal
from reference_server.db import ROOT_USER_ID, Database, Row
from reference_server.errors import ApiError, forbidden, not_found
from reference_server.params import as_int, read_params, required
from reference_server.provisioning import VISIBILITIES, find_project, invalid, project_json
from reference_server.provisioning_auth import admin_principal, api_principal, require_maintainer, route
from reference_server.settings import ServerSettings

VERSION_SCOPES = ("api", "read_api", "read_user")
REGISTRY_ACCESS_LEVELS = tuple(level.value for level in RegistryAccess)
MEMBER_ACCESS_LEVELS = tuple(ACCESS_LEVELS.values())
PASSWORD_PARAMS = ("password", "reset_password", "force_random_password")
EDITABLE_PROJECT_PARAMS = ("visibility", "package_registry_access_level")


def not_valid(param: str) -> ApiError:
    """Grape's answer for a parameter outside its values."""
    return ApiError(400, f"{param} does not have a valid value", body={"error": f"{param} does not have a valid value"})


def one_of(params: dict[str, object], name: str, values: tuple[str, ...]) -> str:
    value = str(required(params, name))
    if value not in values:
        raise not_valid(name)
    return value


def user_json(user: Row) -> dict[str, object]:
    return {"id": user["id"], "username": user["username"], "name": user["name"] or user["username"],
            "email": user["email"], "state": "active", "is_admin": bool(user["is_admin"]), "bot": bool(user["bot"])}


def caller_level(request: Request, principal: Principal, project: Row) -> int:
    """The caller's access level on the project, which must be at least maintainer (404 or 403 otherwise)."""
    require_maintainer(request, principal, project)
    settings: ServerSettings = request.app.state.settings
    level = role_on_project(principal, project, request.app.state.db, settings.faults)
    assert level is not None  # require_maintainer refused it otherwise
    return level


async def version(request: Request) -> Response:
    api_principal(request, VERSION_SCOPES)
    return JSONResponse({"version": api.REFERENCE_VERSION, "revision": "reference"})


async def features(request: Request) -> Response:
    """The feature flags the expected answers hang on, at GitLab's defaults (the rules the server serves)."""
    admin_principal(request)
    flags: list[dict[str, object]] = [
        {"name": rule.feature_flag, "state": "on" if rule.default_enabled else "off", "gates": []}
        for rule in RULES if rule.feature_flag]
    return JSONResponse(flags)


async def plan_limits(request: Request) -> Response:
    """The default plan's limits as GitLab's entity names them: each format's `plan_limit` column with this server's
    size limit for it (lib/api/entities/plan_limit.rb)."""
    admin_principal(request)
    settings: ServerSettings = request.app.state.settings
    return JSONResponse({fmt.rules.plan_limit: settings.size_limit(name) for name, fmt in FORMATS.items()
                         if fmt.rules.plan_limit})


async def create_user(request: Request) -> Response:
    admin_principal(request)
    db: Database = request.app.state.db
    params = await read_params(request)
    username, name, email = (str(required(params, field)) for field in ("username", "name", "email"))
    if not any(params.get(field) not in (None, "", False) for field in PASSWORD_PARAMS):
        message = f"{', '.join(PASSWORD_PARAMS)} are missing, at least one parameter must be provided"
        raise ApiError(400, message, body={"error": message})
    try:
        user = db.create_user(username, name, email)
    except sqlite3.IntegrityError:
        raise ApiError(409, "Username has already been taken") from None
    return JSONResponse(user_json(user), status_code=201)


async def delete_user(request: Request) -> Response:
    admin_principal(request)
    db: Database = request.app.state.db
    user_id = as_int(dict(request.path_params), "user_id")
    if user_id == ROOT_USER_ID:
        raise forbidden("the reference server's administrator cannot be deleted")
    if user_id is None or not db.delete_user(user_id):
        raise not_found("User")
    return Response(status_code=204)


async def add_project_member(request: Request) -> Response:
    principal = api_principal(request)
    db: Database = request.app.state.db
    project = find_project(request)
    level = caller_level(request, principal, project)
    params = await read_params(request)
    user_id, access_level = as_int(params, "user_id"), as_int(params, "access_level")
    if user_id is None:
        raise ApiError(400, "user_id is missing", body={"error": "user_id is missing"})
    if access_level not in MEMBER_ACCESS_LEVELS:
        raise not_valid("access_level")
    if access_level > level:
        raise forbidden("a member cannot be given a role above the caller's")
    user = db.user(user_id)
    if user is None:
        raise not_found("User")
    with db.transaction():
        if db.member_level(project["id"], user_id) is not None:
            raise ApiError(409, "Member already exists")
        db.add_member(project["id"], user_id, access_level)
    body = user_json(user) | {"access_level": access_level, "expires_at": None}
    return JSONResponse(body, status_code=201)


async def delete_project_member(request: Request) -> Response:
    principal = api_principal(request)
    db: Database = request.app.state.db
    project = find_project(request)
    caller_level(request, principal, project)
    user_id = as_int(dict(request.path_params), "user_id")
    if user_id is None or not db.remove_member(project["id"], user_id):
        raise not_found("Member")
    return Response(status_code=204)


VISIBILITY_RANK = {visibility: rank for rank, visibility in enumerate(VISIBILITIES)}


async def edit_project(request: Request) -> Response:
    principal = api_principal(request)
    db: Database = request.app.state.db
    project = find_project(request)
    caller_level(request, principal, project)
    params = await read_params(request)
    if not any(params.get(field) not in (None, "") for field in EDITABLE_PROJECT_PARAMS):
        message = f"{', '.join(EDITABLE_PROJECT_PARAMS)} are missing, at least one parameter must be provided"
        raise ApiError(400, message, body={"error": message})
    visibility = one_of(params, "visibility", VISIBILITIES) if params.get("visibility") else None
    registry_access = (one_of(params, "package_registry_access_level", REGISTRY_ACCESS_LEVELS)
                       if params.get("package_registry_access_level") else None)
    group = db.group(project["namespace_id"])
    assert group is not None  # a project's group is deleted with it
    if visibility is not None and VISIBILITY_RANK[visibility] > VISIBILITY_RANK[group["visibility"]]:
        raise invalid("visibility_level", f"{visibility} is not allowed in a {group['visibility']} group.")
    edited = db.edit_project(project["id"], visibility=visibility, registry_access=registry_access)
    return JSONResponse(project_json(request, edited, group))


def protection_rule_json(rule: Row) -> dict[str, object]:
    return {"id": rule["id"], "project_id": rule["project_id"], "package_name_pattern": rule["package_name_pattern"],
            "package_type": rule["package_type"],
            "minimum_access_level_for_push": rule["minimum_access_level_for_push"],
            "minimum_access_level_for_delete": None}


async def create_protection_rule(request: Request) -> Response:
    principal = api_principal(request)
    db: Database = request.app.state.db
    project = find_project(request)
    caller_level(request, principal, project)
    params = await read_params(request)
    pattern = str(required(params, "package_name_pattern"))
    package_type = one_of(params, "package_type", api.PROTECTION_RULE_PACKAGE_TYPES)
    minimum = one_of(params, "minimum_access_level_for_push", api.PUSH_PROTECTION_LEVELS)
    try:
        rule = db.create_protection_rule(project["id"], pattern, package_type, minimum)
    except sqlite3.IntegrityError:
        raise ApiError(422, "Package name pattern has already been taken",
                       body={"message": {"error": "Package name pattern has already been taken"}}) from None
    return JSONResponse(protection_rule_json(rule), status_code=201)


async def delete_protection_rule(request: Request) -> Response:
    principal = api_principal(request)
    db: Database = request.app.state.db
    project = find_project(request)
    caller_level(request, principal, project)
    rule_id = as_int(dict(request.path_params), "rule_id")
    if rule_id is None or db.protection_rule(project["id"], rule_id) is None:
        raise not_found()
    db.delete_protection_rule(rule_id)
    return Response(status_code=204)


async def allow_job_token(request: Request) -> Response:
    principal = api_principal(request)
    db: Database = request.app.state.db
    settings: ServerSettings = request.app.state.settings
    project = find_project(request)
    caller_level(request, principal, project)
    params = await read_params(request)
    target_id = as_int(params, "target_project_id")
    if target_id is None:
        raise ApiError(400, "target_project_id is missing", body={"error": "target_project_id is missing"})
    target = db.project(target_id)
    if target is None or (target["visibility"] != "public"
                          and role_on_project(principal, target, db, settings.faults) is None):
        raise not_found("target_project_id")
    if not db.allow_job_token(project["id"], target_id):
        raise ApiError(422, "Target project is already in the job token scope")
    return JSONResponse({"source_project_id": project["id"], "target_project_id": target_id}, status_code=201)


ROUTES = [
    route(api.VERSION, version),
    route(api.FEATURES, features),
    route(api.PLAN_LIMITS, plan_limits),
    route(api.CREATE_USER, create_user),
    route(api.DELETE_USER, delete_user),
    route(api.EDIT_PROJECT, edit_project),
    route(api.ADD_PROJECT_MEMBER, add_project_member),
    route(api.DELETE_PROJECT_MEMBER, delete_project_member),
    route(api.CREATE_PROTECTION_RULE, create_protection_rule),
    route(api.DELETE_PROTECTION_RULE, delete_protection_rule),
    route(api.ALLOW_JOB_TOKEN, allow_job_token),
]
