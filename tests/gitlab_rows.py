"""GitLab's request-spec permission rows (`docs/gitlab-reading/rows/*.yaml`) as the expected-answer model's inputs.

Each row becomes a `RowCase`: the route preset, the permission, what the request carries (`Presented`, one or more
alternatives when the spec sends the same token both ways), what the token is to the project (`Standing`), the
project's setup and the rule set the spec ran with. A row the model cannot express is kept with a `skip` reason of a
named kind (`SKIP_REASONS`), so it is counted, never dropped. docs/gitlab-reading/transcription.md explains each
mapping decision; tests/test_gitlab_transcription.py holds the model to every row.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from core.gitlab_versions import ALL_FLAGS_ON, RULES, RuleSet, rules_for
from core.permissions import Ask, Presented, Standing, TokenState
from core.project_setup import ProjectSetup, RegistryAccess, Role, Visibility
from core.route_auth import (
    GENERIC_DOWNLOAD_ROUTE,
    GENERIC_UPLOAD_ROUTE,
    MAVEN_GROUP_ROUTE,
    MAVEN_INSTANCE_ROUTE,
    MAVEN_ROUTE,
    NPM_DIST_TAGS_ROUTE,
    NPM_INSTANCE_ROUTE,
    NPM_NON_PUBLIC_ROUTE,
    NPM_TARBALL_ROUTE,
    PACKAGES_API_ROUTE,
    PYPI_GROUP_ROUTE,
    PYPI_ROUTE,
    Level,
    RouteAuth,
)
from core.vocabulary import READ_PACKAGE_REGISTRY, WRITE_PACKAGE_REGISTRY, AuthScheme, Permission, TokenKind

ROWS_DIR = Path(__file__).resolve().parent.parent / "docs" / "gitlab-reading" / "rows"
SUCCESS_STATUSES = frozenset({200, 201, 204, 302})

# Why a row is not checked, by kind. Every skipped row names one of these.
SKIP_REASONS: dict[str, str] = {
    "size_limit": "an over-the-limit upload (400 `File is too large` after the body): a size check, not an "
    "authorization answer; the model has no file size input",
    "package_missing": "the package (or Maven path) does not exist: the 404 / 403 / forwarding 302 comes from the "
    "package lookup, which the model has no input for",
    "package_exists": "the package version already exists (403 `Package already exists.`): a conflict in the "
    "create service, not an authorization answer",
    "unknown_flag": "the example group stubs a feature flag the model has no versioned rule for",
    "name_outside_scope": "an npm instance request for a package name outside the @<root-namespace> convention: "
    "no project is resolved from the name (404), a lookup the model has no input for",
}

# Spec versions older than a versioned rule: their rows ran without it, so they are checked with it off.
# project_packages_spec.rb @00c41e96 refuses a private project's guest the list and pipelines (403); the newer
# version (read_file id 927867414) has `it_behaves_like 'returns packages', :project, :guest` there, the
# allow_guest_plus_roles_to_pull_packages rule.
SPECS_BEFORE_RULE: dict[str, str] = {
    "00c41e961a1360fff91d10e5c1a0cb3f31188ceb": "allow_guest_plus_roles_to_pull_packages",
}

# Spec contexts that turn a feature flag off: "when <flag> is disabled".
_FLAG_OFF = re.compile(r"when (\w+) is disabled")
_MODEL_FLAGS = frozenset(rule.feature_flag for rule in RULES if rule.feature_flag)


@dataclass(frozen=True, slots=True)
class RowCase:
    """One spec row as the model's inputs (or the reason it is not checked)."""

    file: str
    index: int
    row: Mapping[str, Any]
    status: int
    ask: Ask | None = None
    presented: tuple[Presented, ...] = ()
    rules: RuleSet = ALL_FLAGS_ON
    skip: str | None = None  # a key of SKIP_REASONS

    @property
    def permitted(self) -> bool:
        return self.status in SUCCESS_STATUSES

    @property
    def id(self) -> str:
        method = str(self.row["endpoint"]).split()[0]
        visibility = str(self.row["visibility"]).split(",")[0].split()[0].replace("/", "")
        if self.ask is None or not self.presented:
            return f"{self.file}-{method}-{visibility}-row{self.index}"
        first = self.presented[0]
        standing = self.ask.standing
        deploy = first.kind in (TokenKind.PROJECT_DEPLOY_TOKEN, TokenKind.GROUP_DEPLOY_TOKEN)
        who = (standing.role.value if standing.role else
               "anonymous" if first.kind is None else
               f"deploy_{standing.deploy_owner.value if standing.deploy_owner else 'elsewhere'}" if deploy else
               "nonmember")
        token = first.kind.value if first.kind else "none"
        scheme = "+".join(p.scheme.value for p in self.presented)
        return f"{self.file}-{method}-{visibility}-{who}-{token}-{scheme}-row{self.index}"


def load_rows(name: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A rows file's header and its rows."""
    document = yaml.safe_load((ROWS_DIR / f"{name}.yaml").read_text())
    rows = document.get("rows") or []
    header = {key: value for key, value in document.items() if key != "rows"}
    return header, list(rows)


def row_files() -> list[str]:
    return sorted(path.stem for path in ROWS_DIR.glob("*.yaml"))


# --- the route and the permission ----------------------------------------------------------------------------


def route_for(fmt: str, endpoint: str) -> RouteAuth:
    """The route preset GitLab serves `endpoint` ("METHOD /api/v4/...") with."""
    method, path = endpoint.split()[0], endpoint.split()[1]
    group = "/groups/:id/" in path
    project = "/projects/:id/" in path
    if fmt == "generic":
        return GENERIC_DOWNLOAD_ROUTE if method == "GET" else GENERIC_UPLOAD_ROUTE
    if fmt == "pypi":
        return PYPI_GROUP_ROUTE if group else PYPI_ROUTE
    if fmt == "maven":
        return MAVEN_GROUP_ROUTE if group else MAVEN_ROUTE if project else MAVEN_INSTANCE_ROUTE
    if fmt in ("npm", "npm_instance"):
        if not project:
            return NPM_INSTANCE_ROUTE
        if "/dist-tags" in path:
            return NPM_DIST_TAGS_ROUTE
        if method == "GET" and re.search(r"\*package_name/-/\*file_name$", path):
            return NPM_TARBALL_ROUTE
        return NPM_NON_PUBLIC_ROUTE
    if fmt == "packages_api":
        return PACKAGES_API_ROUTE
    raise ValueError(f"no route preset for {fmt} {endpoint}")


def permission_for(fmt: str, row: Mapping[str, Any]) -> Permission:
    """GET reads; DELETE and npm deprecate (`authorize_destroy_package!`) destroy; every other write creates."""
    method = str(row["endpoint"]).split()[0]
    group = str(row["source"].get("example_group", ""))
    if method == "GET":
        return Permission.READ_PACKAGE
    if method == "DELETE" or (fmt.startswith("npm") and "deprecate" in group.lower()):
        return Permission.DESTROY_PACKAGE
    return Permission.CREATE_PACKAGE


# --- the token and how it travels -----------------------------------------------------------------------------


def token_kind(token_type: str) -> TokenKind | None:
    """The model's token kind for a row's `token_type`. An OAuth access token is read as a personal access token:
    on Bearer GitLab's `access_token` tries `find_oauth_access_token`, then `find_personal_access_token`; both find
    the same user, and the model's Bearer path treats both alike."""
    text = token_type.lower()
    if text.startswith("anonymous"):
        return None
    if text.startswith(("personal_access_token", "oauth_access_token")):
        return TokenKind.PERSONAL_ACCESS_TOKEN
    if text.startswith("group_deploy_token"):
        return TokenKind.GROUP_DEPLOY_TOKEN
    if text.startswith(("project_deploy_token", "deploy_token")):
        return TokenKind.PROJECT_DEPLOY_TOKEN
    if text.startswith("job_token"):
        return TokenKind.JOB_TOKEN
    raise ValueError(f"unknown token_type {token_type!r}")


def token_state(row: Mapping[str, Any]) -> TokenState:
    """VALID; UNKNOWN for the spec's invalid tokens ('wrong token', 'bar', 'invalid password'); EXPIRED for a job
    token whose job is no longer running (finished or failed: `find_valid_running_job_by_token!` refuses it)."""
    token_type = str(row["token_type"]).lower()
    if "finished job" in token_type or "failed job" in token_type:
        return TokenState.EXPIRED
    return TokenState.UNKNOWN if row.get("valid_token") is False else TokenState.VALID


def schemes_for(scheme: str) -> tuple[tuple[AuthScheme, bool], ...]:
    """The carriers a row's `scheme` names, each with whether Basic goes as `gitlab-ci-token`. A job token in the
    `job_token` query parameter is read by the same finder as the JOB-TOKEN header
    (`find_user_from_job_token_query_params_or_header`), so it maps to HEADER. Maven's 'header and basic' / 'param
    and basic' rows send the token both ways (one example each): both are checked."""
    text = scheme.lower().strip()
    ci_user = "gitlab-ci-token" in text and "not gitlab-ci-token" not in text
    if text == "none":
        return ((AuthScheme.NONE, False),)
    if text in ("header and basic", "param and basic"):
        return ((AuthScheme.HEADER, False), (AuthScheme.BASIC, True))
    if text.startswith(("header", "query param")):
        return ((AuthScheme.HEADER, False),)
    if text.startswith("authorization: bearer"):
        return ((AuthScheme.BEARER, False),)
    if text.startswith("basic"):
        return ((AuthScheme.BASIC, ci_user),)
    raise ValueError(f"unknown scheme {scheme!r}")


def presented_for(row: Mapping[str, Any]) -> tuple[Presented, ...]:
    kind = token_kind(str(row["token_type"]))
    if kind is None:
        return (Presented(None, AuthScheme.NONE),)
    state = token_state(row)
    return tuple(Presented(kind, scheme, state, ci_user=ci and kind is TokenKind.JOB_TOKEN)
                 for scheme, ci in schemes_for(str(row["scheme"])))


# --- what the token is to the project ---------------------------------------------------------------------------


def role_for(row: Mapping[str, Any]) -> Role | None:
    """The member role behind a personal or job token: `user_role` ('developer (job's user)' is the job's user),
    None when `member` is false or the row names no member ('anonymous', 'n/a', 'non-member user', 'not a
    member')."""
    if row.get("member") is False:
        return None
    text = str(row.get("user_role", "")).lower().strip()
    first = text.split()[0] if text else ""
    return Role(first) if first in {role.value for role in Role} else None


def scopes_for(token_type: str) -> frozenset[str]:
    """A deploy token's scopes from the row's note on it; the spec's default deploy token has both."""
    text = token_type.lower()
    if "write_package_registry only" in text:
        return frozenset({WRITE_PACKAGE_REGISTRY})
    if "read_package_registry only" in text:
        return frozenset({READ_PACKAGE_REGISTRY})
    return frozenset({READ_PACKAGE_REGISTRY, WRITE_PACKAGE_REGISTRY})


def standing_for(row: Mapping[str, Any]) -> Standing:
    token_type = str(row["token_type"])
    kind = token_kind(token_type)
    if kind in (TokenKind.PROJECT_DEPLOY_TOKEN, TokenKind.GROUP_DEPLOY_TOKEN):
        owner: Level | None = Level.GROUP if kind is TokenKind.GROUP_DEPLOY_TOKEN else Level.PROJECT
        if "of no project" in token_type:
            owner = None
        return Standing(deploy_owner=owner, scopes=scopes_for(token_type))
    if kind is None:
        return Standing()
    return Standing(role=role_for(row))


def project_for(row: Mapping[str, Any]) -> ProjectSetup:
    """Visibility is the first word of `visibility`; 'package_registry_access_level PUBLIC' opens the registry."""
    text = str(row["visibility"]).lower()
    visibility = Visibility(re.split(r"[\s,(]", text)[0])
    registry = RegistryAccess.PUBLIC if "package_registry_access_level public" in text else RegistryAccess.ENABLED
    return ProjectSetup(visibility=visibility, registry_access=registry)


def rules_for_row(row: Mapping[str, Any]) -> RuleSet | str:
    """ALL_FLAGS_ON (GitLab's specs stub every flag on) unless the example group turns a flag off; a flag the model
    has no rule for gives the skip kind 'unknown_flag'."""
    group = str(row["source"].get("example_group", ""))
    off = _FLAG_OFF.findall(group)
    older = SPECS_BEFORE_RULE.get(str(row["source"].get("commit", "")))
    if older is not None:
        off.append(older)
    if not off:
        return ALL_FLAGS_ON
    if any(flag not in _MODEL_FLAGS for flag in off):
        return "unknown_flag"
    return rules_for(None, dict.fromkeys(off, False))


# --- skips ------------------------------------------------------------------------------------------------------


def skip_kind(fmt: str, row: Mapping[str, Any]) -> str | None:
    status = int(row["expected_status"])
    group = str(row["source"].get("example_group", "")).lower()
    note = str(row.get("note") or "").lower()
    case = str(row.get("case") or "").lower()
    if "file size" in case or "too large" in group or "file size" in group:
        return "size_limit"
    if "already exists" in note:
        return "package_exists"
    if "package absent" in str(row["visibility"]).lower():
        return "package_missing"
    if "outside the @<root-namespace> convention" in note and status == 404:
        return "name_outside_scope"
    if "non existing maven path" in group:
        return "package_missing"  # instance: `forbidden! unless path_exists?`; project/group: forwarding 302
    missing = "does not exist" in group or "non-existing-package" in note or row.get("request_forward") is not None
    if missing and (status in SUCCESS_STATUSES or status == 404):
        return "package_missing"  # refusals that come before the lookup (401, 403) are still checked
    return None


def row_case(fmt: str, index: int, row: Mapping[str, Any]) -> RowCase:
    status = int(row["expected_status"])
    kind = skip_kind(fmt, row)
    rules = rules_for_row(row)
    if isinstance(rules, str):
        kind, rules = kind or rules, ALL_FLAGS_ON
    if kind is not None:
        return RowCase(fmt, index, row, status, skip=kind)  # a skipped row need not be expressible
    ask = Ask(route_for(fmt, str(row["endpoint"])), permission_for(fmt, row), standing_for(row), project_for(row))
    return RowCase(fmt, index, row, status, ask, presented_for(row), rules, kind)


def all_cases() -> list[RowCase]:
    cases: list[RowCase] = []
    for name in row_files():
        _, rows = load_rows(name)
        cases.extend(row_case(name, index, row) for index, row in enumerate(rows))
    return cases
