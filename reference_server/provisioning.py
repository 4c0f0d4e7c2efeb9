"""GitLab's REST provisioning subset: the current user, groups and projects.

Paths and payloads are GitLab's, so one provisioning path works against this server and a real instance.
Groups and projects are created by the administrator (the bootstrap admin token). `:id` is a numeric id or a
URL-encoded full path. Reference-server leniencies: `namespace_id` is required (there are no user namespaces),
and deleting a group or project is immediate (GitLab schedules it), though it still answers 202.
"""

import re
import sqlite3
from urllib.parse import unquote

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from core import provisioning_api as api
from core.faults import Fault
from core.project_setup import Role
from reference_server.access import role_on_project
from reference_server.db import Database, Row
from reference_server.errors import ApiError, not_found
from reference_server.params import as_int, read_params, required
from reference_server.provisioning_auth import admin_principal, api_principal, require_maintainer, route
from reference_server.settings import ServerSettings
from reference_server.storage import FileStore

VISIBILITIES = ("private", "internal", "public")
PATH_PATTERN = re.compile(r"[a-zA-Z0-9_.][a-zA-Z0-9_.-]*")
READ_SCOPES = ("api", "read_api")


def invalid(field: str, reason: str) -> ApiError:
    """ActiveRecord-style validation error, as GitLab renders it."""
    return ApiError(400, f"{field} {reason}", body={"message": {field: [reason]}})


def check_path(path: str) -> str:
    if not PATH_PATTERN.fullmatch(path) or path.endswith((".git", ".atom")):
        raise invalid("path", "can contain only letters, digits, '_', '-' and '.'; it cannot start with '-' "
                      "or end in '.git' or '.atom'")
    return path


def visibility_of(params: dict[str, object]) -> str:
    visibility = str(params.get("visibility") or "private")
    if visibility not in VISIBILITIES:
        raise ApiError(400, "visibility does not have a valid value",
                       body={"error": "visibility does not have a valid value"})
    return visibility


def group_json(group: Row) -> dict[str, object]:
    return {"id": group["id"], "name": group["name"], "path": group["path"], "full_path": group["full_path"],
            "full_name": group["full_path"].replace("/", " / "), "parent_id": group["parent_id"],
            "visibility": group["visibility"], "created_at": group["created_at"]}


def project_json(request: Request, project: Row, group: Row) -> dict[str, object]:
    return {
        "id": project["id"], "name": project["name"], "path": project["path"],
        "path_with_namespace": project["full_path"],
        "name_with_namespace": f"{group['full_path'].replace('/', ' / ')} / {project['name']}",
        "namespace": {"id": group["id"], "name": group["name"], "path": group["path"], "kind": "group",
                      "full_path": group["full_path"], "parent_id": group["parent_id"]},
        "visibility": project["visibility"], "created_at": project["created_at"],
        "package_registry_access_level": project["package_registry_access_level"],
        "web_url": str(request.base_url).rstrip("/") + "/" + project["full_path"],
    }


def _found(row: Row | None, what: str) -> Row:
    if row is None:
        raise not_found(what)
    return row


def find_group(request: Request, param: str = "id") -> Row:
    """The group the path parameter names (an id or a URL-encoded full path), or 404."""
    db: Database = request.app.state.db
    return _found(db.group_by_ref(unquote(request.path_params[param])), "Group")


def find_project(request: Request, param: str = "id") -> Row:
    """The project the path parameter names (an id or a URL-encoded full path), or 404."""
    db: Database = request.app.state.db
    return _found(db.project_by_ref(unquote(request.path_params[param])), "Project")


async def current_user(request: Request) -> Response:
    principal = api_principal(request, ("api", "read_api", "read_user"))
    user = request.app.state.db.user(principal.user_id)
    return JSONResponse({"id": user["id"], "username": user["username"], "name": user["username"],
                         "state": "active", "is_admin": bool(user["is_admin"]), "bot": bool(user["bot"])})


async def create_group(request: Request) -> Response:
    admin_principal(request)
    db: Database = request.app.state.db
    params = await read_params(request)
    name, path = str(required(params, "name")), check_path(str(required(params, "path")))
    parent_id = as_int(params, "parent_id")
    parent = db.group(parent_id) if parent_id is not None else None
    if parent_id is not None and parent is None:
        raise not_found("Parent group")
    try:
        group = db.create_group(name, path, parent, visibility_of(params))
    except sqlite3.IntegrityError:
        raise invalid("path", "has already been taken") from None
    return JSONResponse(group_json(group), status_code=201)


async def get_group(request: Request) -> Response:
    principal = api_principal(request, READ_SCOPES)
    group = find_group(request)
    if not principal.is_admin and group["visibility"] != "public":
        raise not_found("Group")
    return JSONResponse(group_json(group))


async def delete_group(request: Request) -> Response:
    admin_principal(request)
    db: Database = request.app.state.db
    store: FileStore = request.app.state.store
    group = find_group(request)
    if request.app.state.settings.has(Fault.GROUP_DELETE_DOES_NOTHING):
        return JSONResponse({"message": "202 Accepted"}, status_code=202)
    project_ids = db.projects_under_group(group["id"])
    db.delete_group(group["id"])  # cascades to subgroups, projects, tokens, packages and file records
    for project_id in project_ids:
        await store.remove(store.project_dir(project_id))
    return JSONResponse({"message": "202 Accepted"}, status_code=202)


async def create_project(request: Request) -> Response:
    creator = admin_principal(request)
    db: Database = request.app.state.db
    params = await read_params(request)
    name = str(required(params, "name"))
    path = check_path(str(params.get("path") or re.sub(r"[^a-zA-Z0-9_.-]+", "-", name).strip("-").lower()))
    group = db.group_by_ref(str(required(params, "namespace_id")))
    if group is None:
        raise not_found("Namespace")
    try:
        project = db.create_project(name, path, group, visibility_of(params))
    except sqlite3.IntegrityError:
        raise invalid("path", "has already been taken") from None
    if creator.user_id is not None:  # on GitLab the creator owns the group, so every project in it (inherited)
        db.add_member(project["id"], creator.user_id, Role.OWNER.access_level)
    return JSONResponse(project_json(request, project, group), status_code=201)


async def get_project(request: Request) -> Response:
    principal = api_principal(request, READ_SCOPES)
    settings: ServerSettings = request.app.state.settings
    db: Database = request.app.state.db
    project = find_project(request)
    if project["visibility"] != "public" and role_on_project(principal, project, db, settings.faults) is None:
        raise not_found("Project")
    group = db.group(project["namespace_id"])
    assert group is not None  # a project's group is deleted with it
    return JSONResponse(project_json(request, project, group))


async def delete_project(request: Request) -> Response:
    principal = api_principal(request)
    db: Database = request.app.state.db
    store: FileStore = request.app.state.store
    project = find_project(request)
    require_maintainer(request, principal, project)
    db.delete_project(project["id"])
    await store.remove(store.project_dir(project["id"]))
    return JSONResponse({"message": "202 Accepted"}, status_code=202)


ROUTES = [
    route(api.CURRENT_USER, current_user),
    route(api.CREATE_GROUP, create_group),
    route(api.GET_GROUP, get_group),
    route(api.DELETE_GROUP, delete_group),
    route(api.CREATE_PROJECT, create_project),
    route(api.GET_PROJECT, get_project),
    route(api.DELETE_PROJECT, delete_project),
]
