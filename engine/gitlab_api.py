"""A small GitLab REST client for provisioning: groups, projects, users and members, tokens, a project's setup
(visibility, registry access, protection rules, the job token allowlist), duplicate and forwarding settings.

It speaks GitLab's documented endpoints, which the bundled reference server implements too, so one
provisioning path serves both targets (DESIGN.md, "Provisioning"). Only the simulated CI jobs
(`start_job`, `finish_job`) are reference-server endpoints.

Every token this client receives is registered with `REDACTOR` before it is returned, and every
error message is redacted: a `ProvisioningError` never carries a secret.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

import requests

from core import provisioning_api as api
from core.credentials import REDACTOR
from core.packages_api import DELETE_PACKAGE
from formats import FORWARDING_PACKAGE_TYPES

DEFAULT_TOKEN_LIFETIME = timedelta(days=2)
"""Expiry of tokens created without an explicit date: short, so a run that crashed before cleanup leaks little."""

BODY_EXCERPT_CHARS = 300

DeployTokenOwner = Literal["projects", "groups"]
_CREATE_DEPLOY_TOKEN = {"projects": api.CREATE_PROJECT_DEPLOY_TOKEN, "groups": api.CREATE_GROUP_DEPLOY_TOKEN}
_REVOKE_DEPLOY_TOKEN = {"projects": api.REVOKE_PROJECT_DEPLOY_TOKEN, "groups": api.REVOKE_GROUP_DEPLOY_TOKEN}

_HINTS: dict[int, str] = {
    400: "the target refused the request's parameters; the body above names the field",
    401: "the owner token is not valid for this target (wrong, expired or revoked?)",
    403: "the owner token lacks the api scope or the role to do this (creating users' tokens needs an admin)",
    404: "the resource does not exist or the owner token cannot see it; check the id and the target URL",
    409: "a resource with this name or path already exists; a previous run may have left it (`harness cleanup`)",
    422: "the target refused the values; the body above says which",
    429: "the target is rate limiting the owner token; wait and retry, or lower the concurrency",
}
_SERVER_ERROR_HINT = "the target failed internally; look at its logs"
NOT_ADMIN_HINT = "the owner token is not an administrator (only administrators may create users)"
_OTHER_HINT = "see the body above"


class SetupNotTaken(Exception):
    """The target answered a set-up request as done, but what it answers (or reads back) shows it was not: the
    target's failure, reported as such, never as a failure of the case's own check."""


class ProvisioningError(Exception):
    """A provisioning call failed. The message says what was attempted, what came back and what to check.

    `status` is the HTTP status, or None when no response came (connection refused, timeout, TLS).
    """

    def __init__(
        self,
        what: str,
        method: str,
        path: str,
        *,
        status: int | None = None,
        reason: str = "",
        body: str = "",
        detail: str = "",
        hint: str = "",
    ) -> None:
        self.what = what
        self.method = method
        self.path = path
        self.status = status
        self.reason = reason
        self.body = REDACTOR(body)
        self.detail = REDACTOR(detail)
        self.hint = hint
        super().__init__(self._message())

    def __reduce__(self) -> tuple[Any, ...]:  # picklable across processes, despite keyword arguments
        return _rebuild_error, (self.__dict__.copy(),)

    @property
    def short(self) -> str:
        """One phrase for lists of leftovers: "403 Forbidden", or the transport error."""
        if self.status is not None:
            return f"{self.status} {self.reason}".strip()
        return self.detail or "no response"

    def _message(self) -> str:
        answer = f"answered {self.short}" if self.status is not None else f"failed: {self.short}"
        message = f"could not {self.what}: {self.method} {self.path} {answer}"
        if self.status is not None and self.detail:
            message += f" ({self.detail})"
        if self.body:
            message += f"; body: {self.body}"
        if self.hint:
            message += f". Check: {self.hint}"
        return message


def _rebuild_error(state: dict[str, Any]) -> ProvisioningError:
    error = ProvisioningError.__new__(ProvisioningError)
    error.__dict__.update(state)
    Exception.__init__(error, error._message())
    return error


@dataclass(frozen=True)
class IssuedToken:
    """A token the target issued. Its repr hides the secret, so it can be logged or shown in a traceback."""

    id: int | str
    token: str = field(repr=False)
    username: str | None = None  # deploy tokens only
    scopes: tuple[str, ...] = ()
    expires_at: date | None = None

    def __repr__(self) -> str:
        return (
            f"IssuedToken(id={self.id!r}, token='[REDACTED]', username={self.username!r}, "
            f"scopes={list(self.scopes)!r}, expires_at={self.expires_at!r})"
        )


def _excerpt(text: str) -> str:
    text = " ".join(text.split())
    if len(text) > BODY_EXCERPT_CHARS:
        text = text[:BODY_EXCERPT_CHARS] + "…"
    return text


def _parse_date(value: Any) -> date | None:
    """GitLab returns "2024-05-01" for access tokens and "2024-05-01T00:00:00.000Z" for deploy tokens."""
    if not value:
        return None
    return date.fromisoformat(str(value)[:10])


def default_expiry() -> date:
    return datetime.now(UTC).date() + DEFAULT_TOKEN_LIFETIME


def _deploy_token_endpoint(owner: str, endpoints: dict[str, api.ApiEndpoint]) -> api.ApiEndpoint:
    if owner not in endpoints:
        raise ValueError(f"deploy tokens belong to 'projects' or 'groups', not {owner!r}")
    return endpoints[owner]


class GitLabClient:
    """Provisioning calls against a GitLab instance (or the reference server), authenticated by an owner token."""

    def __init__(self, base_url: str, token: str, timeout: float = 30) -> None:
        REDACTOR.add(token)
        self.base_url = re.sub(r"/api/v4/?$", "", base_url.rstrip("/"))
        self.timeout = timeout
        self._session = requests.Session()
        self._session.headers["PRIVATE-TOKEN"] = token
        self._session.headers["Accept"] = "application/json"

    def __repr__(self) -> str:
        return f"GitLabClient({self.base_url!r})"

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> GitLabClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- transport ---------------------------------------------------------------------------------

    def _send(self, method: str, path: str, what: str, *, json: Mapping[str, Any] | None = None
              ) -> requests.Response:
        """One request; a ProvisioningError naming what failed when no answer came."""
        url = self.base_url + path
        try:
            return self._session.request(method, url, json=json, timeout=self.timeout)
        except requests.exceptions.SSLError as exc:
            raise ProvisioningError(what, method, path, detail=f"TLS error: {exc}",
                                    hint="the target's certificate was not accepted (set REQUESTS_CA_BUNDLE?)"
                                    ) from None
        except requests.exceptions.ConnectionError as exc:
            detail = "connection refused" if "refused" in str(exc).lower() else "connection failed"
            raise ProvisioningError(what, method, path, detail=f"{detail} ({self.base_url})",
                                    hint="is the target URL right and reachable?") from None
        except requests.exceptions.Timeout:
            raise ProvisioningError(what, method, path, detail=f"no answer within {self.timeout:g} s",
                                    hint="is the target overloaded, or the URL wrong?") from None
        except requests.exceptions.RequestException as exc:
            raise ProvisioningError(what, method, path, detail=f"{type(exc).__name__}: {exc}",
                                    hint="is the target URL right?") from None

    def probe(self, endpoint: api.ApiEndpoint, what: str) -> requests.Response:
        """The raw answer to a GET of `endpoint`, whatever its status (the preflight judges it)."""
        return self._send(endpoint.method, endpoint.path, what)

    def _request(
        self,
        method: str,
        path: str,
        what: str,
        *,
        json: Mapping[str, Any] | None = None,
        missing_ok: bool = False,
    ) -> Any:
        """Send one request; return the decoded JSON body (None for an empty body or a tolerated 404)."""
        response = self._send(method, path, what, json=json)
        if response.status_code == 404 and missing_ok:
            return None
        if response.status_code >= 400:
            status = response.status_code
            hint = _HINTS.get(status, _SERVER_ERROR_HINT if status >= 500 else _OTHER_HINT)
            raise ProvisioningError(what, method, path, status=status, reason=response.reason or "",
                                    body=_excerpt(response.text), hint=hint)
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise ProvisioningError(
                what, method, path, status=response.status_code, reason=response.reason or "",
                detail="the answer is not JSON", body=_excerpt(response.text),
                hint="is the target URL the root of a GitLab instance (not a login page or a proxy)?",
            ) from None

    def _call(self, endpoint: api.ApiEndpoint, what: str, *, json: Mapping[str, Any] | None = None,
              missing_ok: bool = False, **params: int | str) -> Any:
        """Call a provisioning endpoint, its path filled in from `params` (ids, or URL-encoded full paths)."""
        return self._request(endpoint.method, endpoint.url_path(**params), what, json=json, missing_ok=missing_ok)

    def _object(self, endpoint: api.ApiEndpoint, what: str, *, json: Mapping[str, Any] | None = None,
                **params: int | str) -> dict[str, Any]:
        """Call an endpoint that answers with a JSON object (a group, a project, a user)."""
        answer: dict[str, Any] = self._call(endpoint, what, json=json, missing_ok=False, **params)
        return answer

    def _issue(self, endpoint: api.ApiEndpoint, what: str, *, json: Mapping[str, Any] | None = None,
               **params: int | str) -> IssuedToken:
        """Call an endpoint that issues a token, and take the token from its answer."""
        path = endpoint.url_path(**params)
        data = self._request(endpoint.method, path, what, json=json)
        return self._issued(data, what, endpoint.method, path)

    def _issued(self, data: Any, what: str, method: str, path: str) -> IssuedToken:
        if not isinstance(data, dict) or not data.get("token") or data.get("id") is None:
            raise ProvisioningError(what, method, path, detail="the answer carries no token",
                                    body=_excerpt(REDACTOR(str(data))), hint="is the target GitLab-compatible?")
        REDACTOR.add(data["token"])
        return IssuedToken(
            id=data["id"],
            token=data["token"],
            username=data.get("username"),
            scopes=tuple(data.get("scopes") or ()),
            expires_at=_parse_date(data.get("expires_at")),
        )

    # -- users -------------------------------------------------------------------------------------

    def version(self) -> dict[str, Any]:
        """The target's `version` ("17.6.0-ee") and `revision`."""
        return self._object(api.VERSION, "read the target's version")

    def feature_flags(self) -> dict[str, bool]:
        """The instance's feature flags (`GET /features`, administrators only) as name → on. A flag GitLab lists
        with gates for some actors only counts as off (the harness's cases are no such actor)."""
        data = self._call(api.FEATURES, "read the target's feature flags")
        if not isinstance(data, list):
            raise ProvisioningError("read the target's feature flags", api.FEATURES.method, api.FEATURES.path,
                                    status=200, detail="the answer is not a list")
        return {str(f.get("name")): f.get("state") == "on" for f in data if isinstance(f, dict)}

    def plan_limits(self) -> dict[str, int]:
        """The default plan's limits (`GET /application/plan_limits`, administrators only), column → value; only
        the whole-number columns."""
        data = self._object(api.PLAN_LIMITS, "read the target's plan limits")
        return {str(k): int(v) for k, v in data.items() if isinstance(v, int) and not isinstance(v, bool)}

    def current_user(self) -> dict[str, Any]:
        return self._object(api.CURRENT_USER, "read the owner token's user")

    def create_user(self, username: str) -> dict[str, Any]:
        """A confirmed user with a random password (its `id` and `username` in the answer). Only an administrator may
        create users: a ProvisioningError with status 403 says the owner token is not one."""
        payload = {"username": username, "name": username, "email": f"{username}@example.com",
                   "force_random_password": True, "skip_confirmation": True}
        what = f"create user {username!r}"
        try:
            return self._object(api.CREATE_USER, what, json=payload)
        except ProvisioningError as exc:
            if exc.status != 403:
                raise
            raise ProvisioningError(what, exc.method, exc.path, status=exc.status, reason=exc.reason, body=exc.body,
                                    hint=NOT_ADMIN_HINT) from None

    def delete_user(self, user_id: int | str, missing_ok: bool = True) -> None:
        self._call(api.DELETE_USER, f"delete user {user_id}", missing_ok=missing_ok, user_id=user_id)

    def add_project_member(self, project_id: int | str, user_id: int, access_level: int) -> dict[str, Any]:
        """Make a user a member of a project with `access_level` (10 guest … 50 owner)."""
        return self._object(api.ADD_PROJECT_MEMBER, f"add user {user_id} to project {project_id} at level "
                            f"{access_level}", json={"user_id": user_id, "access_level": access_level}, id=project_id)

    def remove_project_member(self, project_id: int | str, user_id: int | str, missing_ok: bool = True) -> None:
        self._call(api.DELETE_PROJECT_MEMBER, f"remove user {user_id} from project {project_id}",
                   missing_ok=missing_ok, id=project_id, user_id=user_id)

    # -- groups ------------------------------------------------------------------------------------

    def create_group(
        self, name: str, path: str, parent_id: int | None = None, visibility: str = "private"
    ) -> dict[str, Any]:
        payload: dict[str, Any] = {"name": name, "path": path, "visibility": visibility}
        if parent_id is not None:
            payload["parent_id"] = parent_id
        return self._object(api.CREATE_GROUP, f"create group {path!r}", json=payload)

    def get_group(self, group_id: int | str) -> dict[str, Any]:
        return self._object(api.GET_GROUP, f"read group {group_id}", id=group_id)

    def delete_group(self, group_id: int | str, missing_ok: bool = True) -> None:
        self._call(api.DELETE_GROUP, f"delete group {group_id}", missing_ok=missing_ok, id=group_id)

    # -- projects ----------------------------------------------------------------------------------

    def create_project(
        self, name: str, namespace_id: int, visibility: str = "private", path: str | None = None
    ) -> dict[str, Any]:
        payload: dict[str, Any] = {"name": name, "namespace_id": namespace_id, "visibility": visibility}
        if path is not None:
            payload["path"] = path
        return self._object(api.CREATE_PROJECT, f"create project {name!r}", json=payload)

    def get_project(self, project_id: int | str) -> dict[str, Any]:
        return self._object(api.GET_PROJECT, f"read project {project_id}", id=project_id)

    def delete_project(self, project_id: int | str, missing_ok: bool = True) -> None:
        self._call(api.DELETE_PROJECT, f"delete project {project_id}", missing_ok=missing_ok, id=project_id)

    def edit_project(self, project_id: int | str, visibility: str | None = None,
                     package_registry_access_level: str | None = None) -> dict[str, Any]:
        """Change a project's `visibility` (private, internal, public) and who may use its package registry
        (`package_registry_access_level`: disabled, private, enabled, public); returns the project."""
        payload = {key: value for key, value in (("visibility", visibility),
                                                 ("package_registry_access_level", package_registry_access_level))
                   if value is not None}
        if not payload:
            raise ValueError("edit_project needs a visibility or a package_registry_access_level")
        changes = ", ".join(f"{key}={value}" for key, value in payload.items())
        return self._object(api.EDIT_PROJECT, f"set {changes} on project {project_id}", json=payload, id=project_id)

    def create_protection_rule(self, project_id: int | str, pattern: str, package_type: str,
                               minimum_access_level_for_push: str) -> dict[str, Any]:
        """Protect pushes of `package_type` packages whose name matches `pattern` (`*` a wildcard): they need
        `minimum_access_level_for_push` (maintainer, owner or admin). Returns the rule (its `id`)."""
        payload = {"package_name_pattern": pattern, "package_type": package_type,
                   "minimum_access_level_for_push": minimum_access_level_for_push}
        what = f"protect {package_type} packages {pattern!r} of project {project_id} ({minimum_access_level_for_push})"
        return self._object(api.CREATE_PROTECTION_RULE, what, json=payload, id=project_id)

    def delete_protection_rule(self, project_id: int | str, rule_id: int | str, missing_ok: bool = True) -> None:
        self._call(api.DELETE_PROTECTION_RULE, f"delete protection rule {rule_id} of project {project_id}",
                   missing_ok=missing_ok, id=project_id, rule_id=rule_id)

    def allow_job_token(self, project_id: int | str, target_project_id: int) -> dict[str, Any]:
        """Let CI job tokens of `target_project_id` reach `project_id` (its inbound allowlist)."""
        return self._object(api.ALLOW_JOB_TOKEN, f"let job tokens of project {target_project_id} reach project "
                            f"{project_id}", json={"target_project_id": target_project_id}, id=project_id)

    def delete_package(self, project_id: int | str, package_id: int | str, missing_ok: bool = True) -> None:
        path = DELETE_PACKAGE.url_path(project_id=project_id, package_id=package_id)
        self._request(DELETE_PACKAGE.method, path, f"delete package {package_id} of project {project_id}",
                      missing_ok=missing_ok)

    # -- tokens ------------------------------------------------------------------------------------

    def create_personal_access_token(
        self, user_id: int, name: str, scopes: Iterable[str], expires_at: date | None = None
    ) -> IssuedToken:
        """A personal access token for `user_id` (needs an admin owner token). No date: today + 2 days."""
        payload = {"name": name, "scopes": list(scopes), "expires_at": (expires_at or default_expiry()).isoformat()}
        what = f"create personal access token {name!r} for user {user_id}"
        return self._issue(api.CREATE_PERSONAL_ACCESS_TOKEN, what, json=payload, user_id=user_id)

    def revoke_personal_access_token(self, token_id: int | str, missing_ok: bool = True) -> None:
        self._call(api.REVOKE_PERSONAL_ACCESS_TOKEN, f"revoke personal access token {token_id}",
                   missing_ok=missing_ok, token_id=token_id)

    def personal_access_token(self, token_id: int | str) -> dict[str, Any]:
        """The token as the token API sees it: `revoked`, `active`, `expires_at`."""
        return self._object(api.PERSONAL_ACCESS_TOKEN, f"read personal access token {token_id}", token_id=token_id)

    def create_project_access_token(
        self,
        project_id: int | str,
        name: str,
        scopes: Iterable[str],
        access_level: int = 40,
        expires_at: date | None = None,
    ) -> IssuedToken:
        """A project access token (its bot user gets `access_level`, 40 = Maintainer). No date: today + 2 days."""
        payload = {
            "name": name,
            "scopes": list(scopes),
            "access_level": access_level,
            "expires_at": (expires_at or default_expiry()).isoformat(),
        }
        what = f"create project access token {name!r} in project {project_id}"
        return self._issue(api.CREATE_PROJECT_ACCESS_TOKEN, what, json=payload, id=project_id)

    def revoke_project_access_token(
        self, project_id: int | str, token_id: int | str, missing_ok: bool = True
    ) -> None:
        self._call(api.REVOKE_PROJECT_ACCESS_TOKEN, f"revoke project access token {token_id} of project {project_id}",
                   missing_ok=missing_ok, id=project_id, token_id=token_id)

    def create_deploy_token(
        self,
        owner: DeployTokenOwner,
        owner_id: int | str,
        name: str,
        scopes: Iterable[str],
        expires_at: date | None = None,
        username: str | None = None,
    ) -> IssuedToken:
        """A project or group deploy token. No date: today + 2 days. The answer's `username` goes with Basic auth."""
        endpoint = _deploy_token_endpoint(owner, _CREATE_DEPLOY_TOKEN)
        payload: dict[str, Any] = {
            "name": name,
            "scopes": list(scopes),
            "expires_at": (expires_at or default_expiry()).isoformat(),
        }
        if username is not None:
            payload["username"] = username
        what = f"create deploy token {name!r} in {owner[:-1]} {owner_id}"
        return self._issue(endpoint, what, json=payload, id=owner_id)

    def revoke_deploy_token(
        self, owner: DeployTokenOwner, owner_id: int | str, token_id: int | str, missing_ok: bool = True
    ) -> None:
        endpoint = _deploy_token_endpoint(owner, _REVOKE_DEPLOY_TOKEN)
        self._call(endpoint, f"revoke deploy token {token_id} of {owner[:-1]} {owner_id}", missing_ok=missing_ok,
                   id=owner_id, token_id=token_id)

    # -- package settings (GraphQL) ----------------------------------------------------------------

    def set_duplicate_settings(
        self, namespace_path: str, package_type: str, allowed: bool, exception_regex: str = ""
    ) -> dict[str, Any]:
        """Allow or reject duplicate `package_type` packages in a namespace; returns the resulting settings.

        `package_type` is GitLab's snake_case name ("generic", "maven", "npm", "pypi", "terraform_module"…):
        it becomes the `<type>DuplicatesAllowed` / `<type>DuplicateExceptionRegex` input fields.
        """
        if not re.fullmatch(r"[a-z][a-z0-9_]*", package_type):
            raise ValueError(f"package type {package_type!r} is not a GitLab package type name")
        allowed_field, regex_field = api.duplicate_setting_fields(package_type)
        return self._package_settings(namespace_path, {allowed_field: allowed, regex_field: exception_regex},
                                      f"set {package_type} duplicate settings of {namespace_path!r}")

    def set_forwarding(self, group_full_path: str, package_types: Mapping[str, bool]) -> dict[str, Any]:
        """Switch a group's package request forwarding (to the public registry) per package type: {"npm": True}.
        The types are GitLab's forwarding ones (maven, npm, pypi); returns the resulting settings."""
        if not package_types:
            raise ValueError("set_forwarding needs at least one package type")
        unknown = [t for t in package_types if t not in FORWARDING_PACKAGE_TYPES]
        if unknown:
            raise ValueError(f"GitLab forwards no {', '.join(unknown)} package requests"
                             f" (only {', '.join(FORWARDING_PACKAGE_TYPES)})")
        inputs = {api.forwarding_field(package_type): bool(on) for package_type, on in package_types.items()}
        changes = ", ".join(f"{package_type}={'on' if on else 'off'}" for package_type, on in package_types.items())
        return self._package_settings(group_full_path, inputs, f"set package request forwarding ({changes}) of "
                                      f"{group_full_path!r}")

    def _package_settings(self, namespace_path: str, inputs: Mapping[str, Any], what: str) -> dict[str, Any]:
        """Run the package settings mutation with `inputs`; return the settings it answers (the same fields)."""
        mutation = api.PACKAGE_SETTINGS_MUTATION
        query = (
            "mutation($input: UpdateNamespacePackageSettingsInput!) {"
            f" {mutation}(input: $input) {{"
            f" packageSettings {{ {' '.join(inputs)} }} errors }} }}"
        )
        variables = {"input": {"namespacePath": namespace_path, **inputs}}
        path = api.GRAPHQL.path
        data = self._request(api.GRAPHQL.method, path, what, json={"query": query, "variables": variables})

        def refused(detail: str) -> ProvisioningError:
            return ProvisioningError(what, api.GRAPHQL.method, path, detail=detail, body=_excerpt(str(data)),
                                     hint=f"the namespace path exists, the owner token can administer it, "
                                          f"and the target knows {', '.join(inputs)}")

        if not isinstance(data, dict):
            raise refused("the answer is not a GraphQL response")
        if data.get("errors"):
            messages = "; ".join(str(e.get("message", e)) if isinstance(e, dict) else str(e) for e in data["errors"])
            raise refused(f"GraphQL errors: {messages}")
        result = (data.get("data") or {}).get(mutation)
        if not isinstance(result, dict):
            raise refused(f"the answer has no {mutation} result")
        if result.get("errors"):
            raise refused(f"mutation errors: {'; '.join(map(str, result['errors']))}")
        settings: dict[str, Any] = result.get("packageSettings") or {}
        differ = [f"{k}={settings.get(k)!r} (asked {v!r})" for k, v in inputs.items()
                  if (settings.get(k) or None) != (v or None) and settings.get(k) is not v]
        if differ:
            raise SetupNotTaken(f"the target did not carry out the harness's set-up: it answered the request to "
                                f"{what} with {', '.join(differ)}")
        return settings

    # -- simulated CI jobs (reference server only) -------------------------------------------------

    def start_job(self, project_id: int | str, user_id: int | None = None) -> IssuedToken:
        """Start a simulated CI job in a project (reference server only); its token is a CI job token. The job runs
        as `user_id` (its token acts with that user's role), by default as the owner token's user."""
        payload = {"user_id": user_id} if user_id is not None else None
        as_user = f" as user {user_id}" if user_id is not None else ""
        return self._issue(api.START_JOB, f"start a simulated CI job in project {project_id}{as_user}", json=payload,
                           id=project_id)

    def finish_job(self, job_id: int | str, missing_ok: bool = True) -> None:
        """Finish a simulated job: its job token stops working, as GitLab's does when a job ends."""
        self._call(api.FINISH_JOB, f"finish simulated CI job {job_id}", missing_ok=missing_ok, job_id=job_id)
