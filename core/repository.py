"""GitLab's repository API, the part formats published from a project's repository need (Composer, Go): a commit
of files and a tag, defined once; the harness sends them with the owner's token (`FormatOperations.prepare`), the
reference server routes them (`reference_server/repository/`).

Read from GitLab's source (gitlabhq/gitlabhq):
- COMMIT: lib/api/commits.rb (`post ':id/repository/commits'`, `authorize_push_to_branch!`; `branch`,
  `commit_message`, `actions` of `action` / `file_path` / `content` / `encoding` (`text` or `base64`), optional
  `start_branch`; 201 with the commit entity, 400 with the service's message). A `branch` that does not exist, with
  no `start_branch`, starts a branch of its own: Gitaly's UserCommitFiles writes a commit without a parent.
- TAG: lib/api/tags.rb (`post ':id/repository/tags'`, `authorize_admin_tag`; `tag_name`, `ref`, optional
  `message`; 201 with the tag entity, 400 "Tag <name> already exists" or "Target <ref> is invalid").
- DELETE_TAG: lib/api/tags.rb (`delete ':id/repository/tags/:tag_name'`, `authorize_admin_tag`; 204, 404 "Tag Not
  Found"). A tag is never moved in place: a republish of a version from another commit deletes and makes it again.
"""

import base64
import json
from collections.abc import Mapping

from core.endpoints import Endpoint, RequestSpec
from core.route_auth import REST_API_ROUTE
from core.vocabulary import Operation

COMMIT = Endpoint(
    name="repository_commit",
    method="POST",
    path="/api/v4/projects/{project_id}/repository/commits",
    operation=Operation.PUSH,  # writes the repository a package is then published from
    success_status=201,
    auth=REST_API_ROUTE,
)
TAG = Endpoint(
    name="repository_tag",
    method="POST",
    path="/api/v4/projects/{project_id}/repository/tags",
    operation=Operation.PUSH,
    success_status=201,
    auth=REST_API_ROUTE,
)
DELETE_TAG = Endpoint(
    name="repository_delete_tag",
    method="DELETE",
    path="/api/v4/projects/{project_id}/repository/tags/{tag_name:path}",
    operation=Operation.PUSH,
    success_status=204,
    auth=REST_API_ROUTE,
)
TAGS = Endpoint(
    name="repository_tags",
    method="GET",
    path="/api/v4/projects/{project_id}/repository/tags",
    operation=Operation.LIST,
    success_status=200,
    auth=REST_API_ROUTE,
)

ACTIONS = ("create", "update", "delete")  # the commit actions the reference server implements (GitLab has more)
ENCODINGS = ("text", "base64")


def _json(endpoint: Endpoint, project_id: int | str, body: Mapping[str, object]) -> RequestSpec:
    return RequestSpec(endpoint, endpoint.url_path(project_id=project_id),
                       headers={"Content-Type": "application/json"}, body=json.dumps(body).encode())


def commit_files(project_id: int | str, branch: str, message: str, files: Mapping[str, bytes],
                 start_branch: str | None = None) -> RequestSpec:
    """One commit creating `files` (path → content) on `branch`."""
    actions = [{"action": "create", "file_path": path, "encoding": "base64",
                "content": base64.b64encode(content).decode("ascii")} for path, content in files.items()]
    body: dict[str, object] = {"branch": branch, "commit_message": message, "actions": actions}
    if start_branch is not None:
        body["start_branch"] = start_branch
    return _json(COMMIT, project_id, body)


def create_tag(project_id: int | str, tag_name: str, ref: str, message: str | None = None) -> RequestSpec:
    """A tag `tag_name` on `ref` (a branch, tag or commit sha); annotated when `message` is given."""
    body: dict[str, object] = {"tag_name": tag_name, "ref": ref}
    if message is not None:
        body["message"] = message
    return _json(TAG, project_id, body)


def delete_tag(project_id: int | str, tag_name: str) -> RequestSpec:
    return RequestSpec(DELETE_TAG, DELETE_TAG.url_path(project_id=project_id, tag_name=tag_name))


def list_tags(project_id: int | str) -> RequestSpec:
    return RequestSpec(TAGS, TAGS.url_path(project_id=project_id), params={"per_page": "100"})
