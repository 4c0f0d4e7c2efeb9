"""GitLab's repository API on the reference server, the part formats published from a repository need: a commit of
files, a tag, the tags (core/repository.py declares them and cites GitLab). Writing needs the developer role, as
GitLab's `push_code` and `admin_tag` do; reading, the reporter role (`read_code`)."""

import base64
import binascii
from typing import Any

import anyio
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from core import repository as api
from core.project_setup import Role
from reference_server.access import role_on_project
from reference_server.db import Row
from reference_server.errors import ApiError, bad_request, forbidden, not_found
from reference_server.params import read_params, required
from reference_server.provisioning import find_project
from reference_server.provisioning_auth import api_principal
from reference_server.repository.git import FileAction, GitCommit, GitRef, ProjectRepository, RepositoryError
from reference_server.settings import ServerSettings

REPOSITORIES = "repositories"  # under the server's data dir: one bare repository per project, `<id>.git`


def repository_of(request: Request, project_id: int) -> ProjectRepository:
    """The project's repository (created on its first commit)."""
    settings: ServerSettings = request.app.state.settings
    return ProjectRepository(settings.data_dir / REPOSITORIES / f"{int(project_id)}.git")


def _project_for(request: Request, scopes: tuple[str, ...], role: Role) -> Row:
    principal = api_principal(request, scopes)
    project = find_project(request, "project_id")
    settings: ServerSettings = request.app.state.settings
    level = role_on_project(principal, project, request.app.state.db, settings.faults)
    if level is None:
        raise not_found("Project")
    if level < role.access_level:
        raise forbidden()
    return project


def commit_json(commit: GitCommit) -> dict[str, object]:
    """GitLab's commit entity (lib/api/entities/commit.rb), the fields a client reads."""
    date = commit.committed_date.isoformat()
    return {"id": commit.sha, "short_id": commit.sha[:8], "title": commit.title, "message": commit.message,
            "parent_ids": list(commit.parents), "author_name": commit.author_name,
            "author_email": commit.author_email, "authored_date": date, "committed_date": date, "created_at": date}


def tag_json(repository: ProjectRepository, tag: GitRef) -> dict[str, object]:
    """GitLab's tag entity (lib/api/entities/tag.rb)."""
    commit = repository.resolve(tag.sha)
    return {"name": tag.name, "message": tag.message or None, "target": tag.sha,
            "commit": commit_json(commit) if commit else None, "release": None, "protected": False}


def _actions(raw: Any) -> list[FileAction]:
    if not isinstance(raw, list) or not raw:
        raise bad_request("actions is missing")
    actions = []
    for index, item in enumerate(raw):
        if not isinstance(item, dict):
            raise bad_request(f"actions[{index}] is invalid")
        action, path = item.get("action"), item.get("file_path")
        if action not in api.ACTIONS:
            raise bad_request(f"actions[{index}][action] does not have a valid value")
        if not isinstance(path, str) or not path:
            raise bad_request(f"actions[{index}][file_path] is missing")
        encoding = item.get("encoding") or "text"
        if encoding not in api.ENCODINGS:
            raise bad_request(f"actions[{index}][encoding] does not have a valid value")
        content = str(item.get("content") or "")
        try:
            data = base64.b64decode(content, validate=True) if encoding == "base64" else content.encode()
        except binascii.Error:
            raise bad_request(f"actions[{index}][content] is not valid base64") from None
        actions.append(FileAction(str(action), path, data))
    return actions


async def create_commit(request: Request) -> Response:
    project = _project_for(request, ("api",), Role.DEVELOPER)
    params = await read_params(request)
    branch, message = str(required(params, "branch")), str(required(params, "commit_message"))
    actions = _actions(params.get("actions"))
    start = params.get("start_branch")
    repository = repository_of(request, project["id"])
    try:
        commit = await anyio.to_thread.run_sync(
            lambda: repository.commit(branch, message, actions, start_branch=str(start) if start else None))
    except RepositoryError as exc:
        raise ApiError(400, str(exc)) from None
    return JSONResponse(commit_json(commit), status_code=201)


async def create_tag(request: Request) -> Response:
    project = _project_for(request, ("api",), Role.DEVELOPER)
    params = await read_params(request)
    name, ref = str(required(params, "tag_name")), str(required(params, "ref"))
    message = params.get("message")
    repository = repository_of(request, project["id"])
    try:
        tag = await anyio.to_thread.run_sync(lambda: repository.tag(name, ref, str(message) if message else None))
    except RepositoryError as exc:
        raise ApiError(400, str(exc)) from None
    return JSONResponse(tag_json(repository, tag), status_code=201)


async def delete_tag(request: Request) -> Response:
    project = _project_for(request, ("api",), Role.DEVELOPER)
    name = request.path_params["tag_name"]
    repository = repository_of(request, project["id"])
    if not await anyio.to_thread.run_sync(lambda: repository.delete_tag(name)):
        raise not_found("Tag")
    return Response(status_code=204)


async def list_tags(request: Request) -> Response:
    project = _project_for(request, ("api", "read_api"), Role.REPORTER)
    repository = repository_of(request, project["id"])
    tags = await anyio.to_thread.run_sync(repository.tags)
    newest_first = sorted(tags, key=lambda t: t.committed_date, reverse=True)  # GitLab's default: `updated` desc
    return JSONResponse([tag_json(repository, t) for t in newest_first])


ROUTES = [
    Route(api.COMMIT.path, create_commit, methods=[api.COMMIT.method]),
    Route(api.TAG.path, create_tag, methods=[api.TAG.method]),
    Route(api.TAGS.path, list_tags, methods=[api.TAGS.method]),
    Route(api.DELETE_TAG.path, delete_tag, methods=[api.DELETE_TAG.method]),
]
