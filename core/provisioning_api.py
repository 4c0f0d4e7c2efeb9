"""The provisioning endpoints, declared once: the harness's GitLab client calls them, the reference server routes them.

Groups, projects, tokens (GitLab's REST API), the package settings (GitLab's GraphQL mutation) and the reference
server's own simulated CI jobs. A path is a template in Starlette's syntax: `{id}` is a numeric id or a URL-encoded
full path, as GitLab takes it.
"""

from dataclasses import dataclass
from urllib.parse import quote


@dataclass(frozen=True, slots=True)
class ApiEndpoint:
    """One provisioning endpoint: its method and path template, named for messages and lookups."""

    name: str
    method: str
    path: str

    def url_path(self, **params: object) -> str:
        """The path with every `{param}` filled in, each URL-encoded as one path segment."""
        path = self.path
        for key, value in params.items():
            path = path.replace("{" + key + "}", quote(str(value), safe=""))
        if "{" in path:
            raise ValueError(f"endpoint {self.name}: unfilled parameters in {path}")
        return path


CURRENT_USER = ApiEndpoint("current_user", "GET", "/api/v4/user")

CREATE_GROUP = ApiEndpoint("create_group", "POST", "/api/v4/groups")
GET_GROUP = ApiEndpoint("get_group", "GET", "/api/v4/groups/{id}")
DELETE_GROUP = ApiEndpoint("delete_group", "DELETE", "/api/v4/groups/{id}")

CREATE_PROJECT = ApiEndpoint("create_project", "POST", "/api/v4/projects")
GET_PROJECT = ApiEndpoint("get_project", "GET", "/api/v4/projects/{id}")
DELETE_PROJECT = ApiEndpoint("delete_project", "DELETE", "/api/v4/projects/{id}")

CREATE_PERSONAL_ACCESS_TOKEN = ApiEndpoint("create_personal_access_token", "POST",
                                           "/api/v4/users/{user_id}/personal_access_tokens")
REVOKE_PERSONAL_ACCESS_TOKEN = ApiEndpoint("revoke_personal_access_token", "DELETE",
                                           "/api/v4/personal_access_tokens/{token_id}")
CREATE_PROJECT_ACCESS_TOKEN = ApiEndpoint("create_project_access_token", "POST", "/api/v4/projects/{id}/access_tokens")
REVOKE_PROJECT_ACCESS_TOKEN = ApiEndpoint("revoke_project_access_token", "DELETE",
                                          "/api/v4/projects/{id}/access_tokens/{token_id}")
CREATE_PROJECT_DEPLOY_TOKEN = ApiEndpoint("create_project_deploy_token", "POST", "/api/v4/projects/{id}/deploy_tokens")
REVOKE_PROJECT_DEPLOY_TOKEN = ApiEndpoint("revoke_project_deploy_token", "DELETE",
                                          "/api/v4/projects/{id}/deploy_tokens/{token_id}")
CREATE_GROUP_DEPLOY_TOKEN = ApiEndpoint("create_group_deploy_token", "POST", "/api/v4/groups/{id}/deploy_tokens")
REVOKE_GROUP_DEPLOY_TOKEN = ApiEndpoint("revoke_group_deploy_token", "DELETE",
                                        "/api/v4/groups/{id}/deploy_tokens/{token_id}")

GRAPHQL = ApiEndpoint("graphql", "POST", "/api/graphql")

# Reference server only (not GitLab): a simulated CI job, so the harness can get a job token.
START_JOB = ApiEndpoint("start_job", "POST", "/-/reference/projects/{id}/jobs")
FINISH_JOB = ApiEndpoint("finish_job", "POST", "/-/reference/jobs/{job_id}/finish")

# The one GraphQL mutation used: a namespace's duplicate settings for the formats whose setting is switchable.
PACKAGE_SETTINGS_MUTATION = "updateNamespacePackageSettings"


def camel_case(snake: str) -> str:
    """GraphQL's field spelling of a snake_case name: `terraform_module` -> `terraformModule`."""
    first, *rest = snake.split("_")
    return first + "".join(part.capitalize() for part in rest)


def duplicate_setting_fields(package_type: str) -> tuple[str, str]:
    """The mutation's input (and answer) fields for one package type: `<type>DuplicatesAllowed` and
    `<type>DuplicateExceptionRegex`."""
    prefix = camel_case(package_type)
    return f"{prefix}DuplicatesAllowed", f"{prefix}DuplicateExceptionRegex"
