"""The shared words of the project (DESIGN.md, "Shared vocabulary"), defined once.

Server, harness, scenarios and reports all import these names; a new word is added here first.
"""

from enum import StrEnum


class TokenKind(StrEnum):
    """Kinds of real credentials a registry issues."""

    PERSONAL_ACCESS_TOKEN = "personal_access_token"
    PROJECT_ACCESS_TOKEN = "project_access_token"
    PROJECT_DEPLOY_TOKEN = "project_deploy_token"
    GROUP_DEPLOY_TOKEN = "group_deploy_token"
    JOB_TOKEN = "job_token"


class CredentialCase(StrEnum):
    """Every credential a case can present: the token kinds plus the negative cases beside them."""

    PERSONAL_ACCESS_TOKEN = "personal_access_token"
    PROJECT_ACCESS_TOKEN = "project_access_token"
    PROJECT_DEPLOY_TOKEN = "project_deploy_token"
    GROUP_DEPLOY_TOKEN = "group_deploy_token"
    JOB_TOKEN = "job_token"
    ANONYMOUS = "anonymous"
    REVOKED_TOKEN = "revoked_token"
    EXPIRED_TOKEN = "expired_token"
    OTHER_PROJECT_TOKEN = "other_project_token"
    READ_ONLY_DEPLOY_TOKEN = "read_only_deploy_token"

    @property
    def is_negative(self) -> bool:
        return self.value not in {k.value for k in TokenKind}


class AuthScheme(StrEnum):
    """How a credential travels: a kind-specific header, HTTP Basic (any user name), a bearer token, or the token
    alone as the whole `Authorization` header (what `gem push` sends; GitLab's `sent_through(:http_token)`)."""

    HEADER = "header"
    BASIC = "basic"
    BEARER = "bearer"
    TOKEN = "token"
    NONE = "none"  # anonymous requests carry nothing


class Operation(StrEnum):
    PUSH = "push"
    PULL = "pull"
    METADATA = "metadata"
    SEARCH = "search"
    LIST = "list"
    DELETE = "delete"
    LOAD = "load"


class Permission(StrEnum):
    """GitLab's package permissions (seed 001, "Authorization")."""

    READ_PACKAGE = "read_package"
    CREATE_PACKAGE = "create_package"
    DESTROY_PACKAGE = "destroy_package"


class Outcome(StrEnum):
    """Case outcomes. `error` is the harness's or the environment's fault, never the target's."""

    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"
    NOT_RUN = "not_run"
    NOT_APPLICABLE = "not_applicable"


class Verdict(StrEnum):
    READY = "ready"
    NOT_READY = "not_ready"
    NEEDS_SIGN_OFF = "needs_sign_off"


class Need(StrEnum):
    """What a scenario may need of a format beyond its rules; the format says whether it has it (the scenario's
    `needs:`, decided when the matrix is expanded)."""

    METADATA_DOCUMENT = "metadata_document"  # one document listing a package's versions (npm's packument, …)
    BASIC_CHALLENGE = "basic_challenge"  # its pull route answers anonymous with 401 and `WWW-Authenticate: Basic`


class KnownState(StrEnum):
    """A failure declared known (engine.known_failures): still in force, or past its expiry (it counts again)."""

    KNOWN = "known"
    EXPIRED = "expired"


class Stage(StrEnum):
    EXPERIMENT = "experiment"
    BETA = "beta"
    GA = "ga"


# The header each token kind uses in the `header` scheme (GitLab's names).
HEADER_FOR_KIND: dict[TokenKind, str] = {
    TokenKind.PERSONAL_ACCESS_TOKEN: "PRIVATE-TOKEN",
    TokenKind.PROJECT_ACCESS_TOKEN: "PRIVATE-TOKEN",
    TokenKind.PROJECT_DEPLOY_TOKEN: "DEPLOY-TOKEN",
    TokenKind.GROUP_DEPLOY_TOKEN: "DEPLOY-TOKEN",
    TokenKind.JOB_TOKEN: "JOB-TOKEN",
}

# The only HTTP Basic user name GitLab reads a job token with (`Gitlab::Auth::CI_JOB_USER`).
CI_JOB_USER = "gitlab-ci-token"

# Deploy-token scopes (GitLab's names).
READ_PACKAGE_REGISTRY = "read_package_registry"
WRITE_PACKAGE_REGISTRY = "write_package_registry"


# Usage event counters a registry exposes (the MVC's push/pull event tracking), in the Prometheus text format.
EVENTS_METRICS_PATH = "/-/metrics"
EVENTS_METRIC = "package_events"  # counter with labels format, event (push | pull), token_kind
