"""The provisioning endpoints, declared once: the harness's GitLab client calls them, the reference server routes them.

Groups, projects, users and members, tokens, package protection rules and the job token allowlist (GitLab's REST
API), the package settings (GitLab's GraphQL mutation) and the reference server's own simulated CI jobs. A path is a
template in Starlette's syntax: `{id}` is a numeric id or a URL-encoded full path, as GitLab takes it.

Where each of the project-dimension endpoints was checked against GitLab's source (gitlabhq/gitlabhq):
- VERSION: lib/api/version.rb (`get '/version'`, answers `version` and `revision`; any authenticated user).
- CREATE_USER, DELETE_USER: lib/api/users.rb (`post` with `authenticated_as_admin!`; requires `name`, `username`,
  `email` and one of `password`, `reset_password`, `force_random_password`; `skip_confirmation` optional).
- ADD_PROJECT_MEMBER, DELETE_PROJECT_MEMBER: lib/api/members.rb (`post ":id/members"`, `access_level` and `user_id`,
  `authorize_admin_source!`; 409 "Member already exists").
- EDIT_PROJECT: lib/api/projects.rb (`put ':id'`, `authorize_admin_project`) with the attributes of
  lib/api/helpers/projects_helpers.rb (`visibility`; `package_registry_access_level` is one of its
  `project_feature_attributes`).
- CREATE_PROTECTION_RULE, DELETE_PROTECTION_RULE: lib/api/project_packages_protection_rules.rb
  (`authorize_admin_package!`; `package_name_pattern`, `package_type`, `minimum_access_level_for_push`; 422 when the
  rule is refused), the values from app/models/packages/protection/rule.rb.
- ALLOW_JOB_TOKEN: doc/api/project_job_token_scopes.md (lib/api/ci/job_token_scope.rb is not in the searchable index):
  `POST /projects/:id/job_token_scope/allowlist` with `target_project_id`, answering `source_project_id` (`:id`) and
  `target_project_id`; the caller needs the maintainer role.
- The forwarding fields of PACKAGE_SETTINGS_MUTATION: app/graphql/mutations/namespace/package_settings/update.rb
  (`maven_package_requests_forwarding`, `npm_…`, `pypi_…`, booleans).
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


VERSION = ApiEndpoint("version", "GET", "/api/v4/version")
FEATURES = ApiEndpoint("features", "GET", "/api/v4/features")  # lib/api/features.rb: administrators only
# lib/api/admin/plan_limits.rb (`get "application/plan_limits"`, `authenticated_as_admin!`, `plan_name` defaults to
# "default"), answering lib/api/entities/plan_limit.rb: one `<format>_max_file_size` column per format, in bytes.
PLAN_LIMITS = ApiEndpoint("plan_limits", "GET", "/api/v4/application/plan_limits")

CURRENT_USER = ApiEndpoint("current_user", "GET", "/api/v4/user")
CREATE_USER = ApiEndpoint("create_user", "POST", "/api/v4/users")  # administrators only
DELETE_USER = ApiEndpoint("delete_user", "DELETE", "/api/v4/users/{user_id}")  # administrators only

CREATE_GROUP = ApiEndpoint("create_group", "POST", "/api/v4/groups")
GET_GROUP = ApiEndpoint("get_group", "GET", "/api/v4/groups/{id}")
DELETE_GROUP = ApiEndpoint("delete_group", "DELETE", "/api/v4/groups/{id}")

CREATE_PROJECT = ApiEndpoint("create_project", "POST", "/api/v4/projects")
GET_PROJECT = ApiEndpoint("get_project", "GET", "/api/v4/projects/{id}")
DELETE_PROJECT = ApiEndpoint("delete_project", "DELETE", "/api/v4/projects/{id}")
EDIT_PROJECT = ApiEndpoint("edit_project", "PUT", "/api/v4/projects/{id}")

ADD_PROJECT_MEMBER = ApiEndpoint("add_project_member", "POST", "/api/v4/projects/{id}/members")
DELETE_PROJECT_MEMBER = ApiEndpoint("delete_project_member", "DELETE", "/api/v4/projects/{id}/members/{user_id}")

CREATE_PROTECTION_RULE = ApiEndpoint("create_protection_rule", "POST",
                                     "/api/v4/projects/{id}/packages/protection/rules")
DELETE_PROTECTION_RULE = ApiEndpoint("delete_protection_rule", "DELETE",
                                     "/api/v4/projects/{id}/packages/protection/rules/{rule_id}")

# Adds `target_project_id` to the inbound allowlist of `{id}`: job tokens of the target project may then reach `{id}`.
ALLOW_JOB_TOKEN = ApiEndpoint("allow_job_token", "POST", "/api/v4/projects/{id}/job_token_scope/allowlist")

CREATE_PERSONAL_ACCESS_TOKEN = ApiEndpoint("create_personal_access_token", "POST",
                                           "/api/v4/users/{user_id}/personal_access_tokens")
REVOKE_PERSONAL_ACCESS_TOKEN = ApiEndpoint("revoke_personal_access_token", "DELETE",
                                           "/api/v4/personal_access_tokens/{token_id}")
# lib/api/personal_access_tokens.rb `get ':id'`: the token as the token API sees it (`revoked`, `active`); an
# administrator sees any user's. The set-up reads it back after revoking, so a revocation that did not take is
# reported as the target's, not blamed on the case that uses the token.
PERSONAL_ACCESS_TOKEN = ApiEndpoint("personal_access_token", "GET", "/api/v4/personal_access_tokens/{token_id}")
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

# The one GraphQL mutation used: a namespace's duplicate settings for the formats whose setting is switchable, and its
# package request forwarding.
PACKAGE_SETTINGS_MUTATION = "updateNamespacePackageSettings"

# GitLab's values for a protection rule (app/models/packages/protection/rule.rb).
PROTECTION_RULE_PACKAGE_TYPES = ("conan", "generic", "helm", "maven", "npm", "nuget", "pypi")
PUSH_PROTECTION_LEVELS = ("maintainer", "owner", "admin")

# The reference server's answer to `GET /version`: not a GitLab version, so the harness takes the newest rules
# (core.gitlab_versions), which are the ones the server serves, and the report says so.
REFERENCE_VERSION = "reference"


def camel_case(snake: str) -> str:
    """GraphQL's field spelling of a snake_case name: `terraform_module` -> `terraformModule`."""
    first, *rest = snake.split("_")
    return first + "".join(part.capitalize() for part in rest)


def duplicate_setting_fields(package_type: str) -> tuple[str, str]:
    """The mutation's input (and answer) fields for one package type: `<type>DuplicatesAllowed` and
    `<type>DuplicateExceptionRegex`."""
    prefix = camel_case(package_type)
    return f"{prefix}DuplicatesAllowed", f"{prefix}DuplicateExceptionRegex"


def forwarding_field(package_type: str) -> str:
    """The mutation's input (and answer) field for one package type's request forwarding:
    `<type>PackageRequestsForwarding` (for the types whose format declares forwarding:
    `formats.FORWARDING_PACKAGE_TYPES`)."""
    return f"{camel_case(package_type)}PackageRequestsForwarding"
