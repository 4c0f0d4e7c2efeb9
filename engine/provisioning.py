"""Provisioning: the groups, projects and tokens a run needs, made through GitLab's REST API.

Run level (once, in the controlling process): a run group, a second project whose token plays
`other_project_token`, a group deploy token, and the personal access tokens (valid, revoked, expired).
Case level (in whichever worker runs the case): a subgroup and a project of its own, so cases never
collide, plus the project-scoped token the case presents. Everything created is written to the ledger
before it is used, so `harness cleanup RUN_ID` can remove it after a crash.

With `--project` (an existing project on a real instance) nothing is created: the tokens come from the
token file and package names carry a run-scoped prefix instead.

A case's project dimensions (core/project_setup.py) are applied by `apply_project_setup`, and a member of a given role
is made by `provision_member` (a user, its membership, its personal access token; `start_member_job` gives a job
token acting as that user, on the reference server). Both are called by whoever decides a case needs them.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import secrets
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from core import project_urls
from core.credentials import REDACTOR, Credential
from core.gitlab_versions import RuleSet, rules_for
from core.permissions import PROVISIONED_SCOPES, token_kind_of
from core.project_setup import ProjectSetup, Role, Visibility
from core.provisioning_api import PROTECTION_RULE_PACKAGE_TYPES, PUSH_PROTECTION_LEVELS
from core.suggestions import did_you_mean
from core.vocabulary import CredentialCase, TokenKind
from engine.config import read_yaml_mapping
from engine.gitlab_api import GitLabClient, ProvisioningError
from engine.ledger import Ledger
from engine.preflight import check_target
from formats import FORMATS, FORWARDING_PACKAGE_TYPES, OPERATIONS

TOKEN_FILE_KEYS = {"owner", "parent_group", *(c.value for c in CredentialCase if c is not CredentialCase.ANONYMOUS)}


class TokenFileError(Exception):
    """The token file is missing, unreadable or has unknown keys (exit code 2)."""


@dataclass
class CredentialSlot:
    """A credential as it travels to workers: the secret, or why there is none."""

    token: str | None = None
    username: str = "harness"
    unavailable: str | None = None  # the reason this credential case cannot run on this target
    setup_failed: str | None = None  # the target did not carry out the set-up the credential needs, and how it showed


@dataclass
class RunContext:
    """Everything a worker needs to run cases; built once by the controlling process."""

    run_id: str
    run_dir: str
    target_url: str
    reference: bool  # the bundled reference server (can mint job tokens, accepts expired tokens)
    owner_token: str
    given_project: str | None  # --project: cases share it
    root_group_id: int | None
    root_group_path: str | None
    slots: dict[str, CredentialSlot] = field(default_factory=dict)
    size_limits: dict[str, int] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    clients: dict[str, dict[str, Any]] = field(default_factory=dict)  # client name → where and how it runs
    root_visibility: str = "private"  # the run group's visibility: case projects can be no more visible
    other_project_id: int | None = None  # the run's second project (another project's token and job)
    gitlab_version: str | None = None  # what `GET /api/v4/version` said (None: not read)
    feature_flags: dict[str, bool] | None = None  # what `GET /api/v4/features` said (None: not readable)
    size_limits_from: str = ""  # where the size limits came from, as the report says it

    @property
    def rules(self) -> RuleSet:
        """The versioned rules (and feature flags) the expected answers follow on this target."""
        return rules_for(self.gitlab_version, self.feature_flags)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunContext:
        data = dict(data)
        data["slots"] = {k: CredentialSlot(**v) for k, v in data["slots"].items()}
        ctx = cls(**data)
        ctx.register_secrets()
        return ctx

    def register_secrets(self) -> None:
        REDACTOR.add(self.owner_token)
        for slot in self.slots.values():
            REDACTOR.add(slot.token)

    @property
    def owner(self) -> Credential:
        return Credential(CredentialCase.PERSONAL_ACCESS_TOKEN, TokenKind.PERSONAL_ACCESS_TOKEN, self.owner_token)

    def client(self) -> GitLabClient:
        return GitLabClient(self.target_url, self.owner_token)

    def ledger(self) -> Ledger:
        return Ledger(Path(self.run_dir) / "ledger.jsonl")


def read_token_file(path: str | None) -> dict[str, Any]:
    """Tokens for a real target (docs/token-file.md). Values are strings, or {username, token} for deploy tokens."""
    data: dict[str, Any] = {}
    if path:
        data = read_yaml_mapping(path, "token file", TokenFileError, "owner: glpat-…")
        unknown = sorted(set(data) - TOKEN_FILE_KEYS)
        if unknown:
            hints = "".join(did_you_mean(key, TOKEN_FILE_KEYS) for key in unknown)
            raise TokenFileError(f"token file {path}: unknown keys {', '.join(unknown)}{hints}; known: "
                                 + ", ".join(sorted(TOKEN_FILE_KEYS)))
    if os.environ.get("HARNESS_OWNER_TOKEN"):
        data.setdefault("owner", os.environ["HARNESS_OWNER_TOKEN"])
    if os.environ.get("CI_JOB_TOKEN"):
        data.setdefault(CredentialCase.JOB_TOKEN.value, os.environ["CI_JOB_TOKEN"])
    for value in data.values():
        REDACTOR.add(value.get("token") if isinstance(value, dict) else str(value))
    return data


def _slot_from_file(value: Any) -> CredentialSlot:
    if isinstance(value, dict):
        return CredentialSlot(token=str(value.get("token")), username=str(value.get("username", "harness")))
    return CredentialSlot(token=str(value))


def _slug(text: str, limit: int = 40) -> str:
    return re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-")[:limit] or "x"


def _run_group(client: GitLabClient, run_id: str, parent_id: int | None) -> dict[str, Any]:
    """The run's group, public where the target allows it (a public or internal case project needs every group above
    it at least as visible; the group holds nothing itself), private otherwise."""
    name, path = f"harness {run_id}", f"harness-{_slug(run_id)}"
    try:
        return client.create_group(name, path, parent_id=parent_id, visibility="public")
    except ProvisioningError:
        return client.create_group(name, path, parent_id=parent_id)


def _not_revoked(client: GitLabClient, token_id: int) -> str | None:
    """None when the token API shows the token revoked; otherwise what it shows, as the target's failure."""
    view = client.personal_access_token(token_id)
    if view.get("revoked") is True and view.get("active") is not True:
        return None
    return (f"the target did not carry out the harness's set-up: it accepted the revocation of personal access token "
            f"{token_id} (DELETE /api/v4/personal_access_tokens/{token_id}), but its token API still shows it "
            f"revoked={view.get('revoked')!r}, active={view.get('active')!r}; cases of revoked tokens cannot judge "
            "the package registry until revocation works")


def read_version(client: GitLabClient) -> tuple[str | None, dict[str, bool] | None]:
    """The target's version (`GET /api/v4/version`) and, for an administrator, its feature flags; None for what it
    does not tell (the rules then fall back to the newest, and flags to their defaults, and the report says so)."""
    try:
        version = str(client.version().get("version") or "") or None
    except ProvisioningError:
        version = None
    try:
        flags: dict[str, bool] | None = client.feature_flags()
    except ProvisioningError:
        flags = None
    return version, flags


def read_size_limits(client: GitLabClient, given: dict[str, int]) -> tuple[dict[str, int], str]:
    """Each format's size limit on the target: the target's plan limits (`GET /application/plan_limits`, read with
    the owner's token when it is an administrator's), else GitLab's defaults; limits given for the reference
    server win. The limits and a sentence saying where they came from."""
    try:
        plan = client.plan_limits()
    except ProvisioningError as exc:
        plan, why = {}, f"GitLab's default plan limits (the target's could not be read: {exc.short})"
    else:
        why = "the target's plan limits (GET /api/v4/application/plan_limits)"
    limits: dict[str, int] = {}
    defaults = []
    for name, fmt in FORMATS.items():
        column = fmt.rules.plan_limit
        if column and plan.get(column, 0) > 0:
            limits[name] = plan[column]
        elif column is None:
            defaults.append(name)
    if defaults:
        why += f"; GitLab's defaults for {', '.join(defaults)}, which no plan limit covers"
    return {**limits, **given}, why


def provision_run(run_id: str, run_dir: Path, target_url: str, owner_token: str, *, reference: bool,
                  given_project: str | None, token_file: dict[str, Any], settings: dict[str, Any],
                  size_limits: dict[str, int]) -> RunContext:
    """Create the run-level resources (or take them from the token file) and return the context."""
    REDACTOR.add(owner_token)
    client = GitLabClient(target_url, owner_token)
    if not reference:
        check_target(client)  # a target that is not GitLab, or refuses the owner token, says so before anything
    ledger = Ledger(run_dir / "ledger.jsonl")
    ctx = RunContext(run_id=run_id, run_dir=str(run_dir), target_url=target_url, reference=reference,
                     owner_token=owner_token, given_project=given_project, root_group_id=None,
                     root_group_path=None, size_limits=size_limits, settings=settings)
    for case in CredentialCase:
        if case is not CredentialCase.ANONYMOUS and case.value in token_file:
            ctx.slots[case.value] = _slot_from_file(token_file[case.value])

    ctx.size_limits, ctx.size_limits_from = read_size_limits(client, size_limits)
    if given_project:
        for case in CredentialCase:
            if case is not CredentialCase.ANONYMOUS and case.value not in ctx.slots:
                ctx.slots[case.value] = CredentialSlot(unavailable=f"the token file gives no {case.value}")
        ctx.register_secrets()
        return ctx

    user = client.current_user()
    parent_id = None
    if token_file.get("parent_group"):
        parent_id = client.get_group(str(token_file["parent_group"]))["id"]
    group = _run_group(client, run_id, parent_id)
    ledger.record("group", group["id"], name=group["full_path"])
    ctx.root_visibility = str(group.get("visibility") or "private")
    ctx.gitlab_version, ctx.feature_flags = read_version(client)
    ctx.root_group_id, ctx.root_group_path = group["id"], group["full_path"]

    def pat(name: str, expires_at: dt.date | None) -> Any:
        token = client.create_personal_access_token(user["id"], f"harness-{run_id}-{name}", ["api"], expires_at)
        ledger.record("personal_access_token", token.id, name=name)
        return token

    kinds = set(settings.get("token_kinds") or [c.value for c in CredentialCase])
    tomorrow = dt.date.today() + dt.timedelta(days=2)
    if "personal_access_token" in kinds and "personal_access_token" not in ctx.slots:
        ctx.slots["personal_access_token"] = CredentialSlot(token=pat("pat", tomorrow).token)
    if "revoked_token" in kinds and "revoked_token" not in ctx.slots:
        revoked = pat("revoked", tomorrow)
        client.revoke_personal_access_token(revoked.id)
        ctx.slots["revoked_token"] = CredentialSlot(token=revoked.token, setup_failed=_not_revoked(client, revoked.id))
    if "expired_token" in kinds and "expired_token" not in ctx.slots:
        try:
            ctx.slots["expired_token"] = CredentialSlot(token=pat("expired", dt.date.today() - dt.timedelta(days=1))
                                                        .token)
        except ProvisioningError as exc:
            ctx.slots["expired_token"] = CredentialSlot(
                unavailable=f"the target refuses to create an expired token ({exc.status}); "
                            "give one as expired_token in the token file")
    if "group_deploy_token" in kinds and "group_deploy_token" not in ctx.slots:
        token = client.create_deploy_token("groups", group["id"], f"harness-{run_id}-group",
                                           list(PROVISIONED_SCOPES[CredentialCase.GROUP_DEPLOY_TOKEN]))
        ledger.record("deploy_token", token.id, owner_kind="groups", owner_id=group["id"], name="group")
        ctx.slots["group_deploy_token"] = CredentialSlot(token=token.token, username=token.username or "harness")
    # A second project: its access token plays other_project_token, its jobs another project's job tokens.
    wants_token = "other_project_token" in kinds and "other_project_token" not in ctx.slots
    if wants_token or ("job_token" in kinds and reference):
        other = client.create_project("other project", group["id"], path="other-project")
        ledger.record("project", other["id"], name=other["path_with_namespace"])
        ctx.other_project_id = int(other["id"])
    if wants_token and ctx.other_project_id is not None:
        token = client.create_project_access_token(ctx.other_project_id, "harness-other", ["api"],
                                                   expires_at=tomorrow)
        ledger.record("project_access_token", token.id, owner_kind="projects", owner_id=ctx.other_project_id,
                      name="other")
        ctx.slots["other_project_token"] = CredentialSlot(token=token.token)
    if "job_token" not in ctx.slots and not reference:
        ctx.slots["job_token"] = CredentialSlot(
            unavailable="CI job tokens are only issued by a running CI job: run inside a job with --project "
                        "set to that job's project (CI_JOB_TOKEN is then used)")
    ctx.register_secrets()
    return ctx


@dataclass
class CaseEnv:
    """Where one case runs and what it presents."""

    project_id: str
    group_path: str | None  # the group whose package settings apply to the project
    subject: Credential | None  # None when the case cannot run; `not_run` says why
    not_run: str | None
    name_prefix: str  # prepended to every package name of the case
    finish: list[tuple[str, Any]] = field(default_factory=list)  # clean-up actions after the case
    group_id: int | None = None  # the case's own group, removed (with its packages) when the case ends
    setup_failed: str | None = None  # the target did not carry out the case's set-up: the case fails, saying so


VISIBILITY_ORDER = [Visibility.PRIVATE, Visibility.INTERNAL, Visibility.PUBLIC]


def provision_case(ctx: RunContext, case_key: str, credential: CredentialCase, index: int,
                   setup: ProjectSetup | None = None, package_type: str = "", role: Role | None = None,
                   job_token_from: str = "case_project") -> CaseEnv:
    """Make the case's own group and project (or take the given project), give the project `setup`, and make the
    subject credential (for a personal or job token with `role`: a new user of that role on the project)."""
    client = ctx.client()
    setup = setup or ProjectSetup()
    if ctx.given_project:
        env = CaseEnv(ctx.given_project, None, None, None, name_prefix=f"h{_slug(ctx.run_id, 12)}-{index}-")
        _remember_web_url(client, ctx.given_project)
    else:
        ledger = ctx.ledger()
        slug = _slug(case_key)
        if VISIBILITY_ORDER.index(setup.visibility) > VISIBILITY_ORDER.index(Visibility(ctx.root_visibility)):
            return CaseEnv("", None, None, f"a {setup.visibility.value} project needs its groups at least as visible, "
                           f"and the run's group could only be made {ctx.root_visibility} on this target",
                           name_prefix="")
        group = client.create_group(case_key[:200], f"c{index}-{slug}", parent_id=ctx.root_group_id,
                                    visibility=setup.visibility.value)
        ledger.record("group", group["id"], name=group["full_path"])
        project = client.create_project(slug, group["id"], path=slug)
        ledger.record("project", project["id"], name=project["path_with_namespace"])
        project_urls.remember(project["id"], str(project.get("web_url") or ""))
        wide = any(OPERATIONS[f].package_type == package_type and FORMATS[f].rules.names_instance_wide
                   for f in FORMATS)
        env = CaseEnv(str(project["id"]), group["full_path"], None, None, group_id=group["id"],
                      name_prefix=f"h{_slug(ctx.run_id, 8)}c{index}-" if wide else "")
        not_run = apply_project_setup(client, ledger, env, setup, package_type)
        if not_run:
            env.not_run = not_run
            return env
    if role is not None and credential in (CredentialCase.PERSONAL_ACCESS_TOKEN, CredentialCase.JOB_TOKEN):
        member, not_run = provision_member(ctx, client, env, role)
        if member is None:
            env.not_run = not_run
            return env
        if credential is CredentialCase.PERSONAL_ACCESS_TOKEN:
            env.subject = member.credential
        else:
            env.subject, env.not_run = start_member_job(ctx, client, env, member)
        return env
    if credential is CredentialCase.JOB_TOKEN and job_token_from != "case_project":
        env.subject, env.not_run = other_project_job(ctx, client, env, allowlisted=job_token_from != "other_project")
        return env
    env.subject, env.not_run = subject_credential(ctx, client, env, credential, case_key)
    slot = ctx.slots.get(credential.value)
    env.setup_failed = slot.setup_failed if slot else None
    return env


def _remember_web_url(client: GitLabClient, project_id: str) -> None:
    """Record a given project's web URL (formats whose paths name the project need it), once."""
    try:
        project_urls.web_url(project_id)
    except LookupError:
        try:
            project_urls.remember(project_id, str(client.get_project(project_id).get("web_url") or ""))
        except ProvisioningError:
            pass  # the format that needs it says so when it is asked


def other_project_job(ctx: RunContext, client: GitLabClient, env: CaseEnv, *,
                      allowlisted: bool) -> tuple[Credential | None, str | None]:
    """A job token of a job in the run's other project, which the case's project lets in when `allowlisted`
    (its CI/CD job token allowlist)."""
    if not ctx.reference:
        return None, "a job token of another project needs the reference server's simulated jobs"
    if ctx.other_project_id is None:
        return None, "the run made no other project (select other_project_token or job_token)"
    if allowlisted:
        client.allow_job_token(int(env.project_id), ctx.other_project_id)
    job = client.start_job(ctx.other_project_id)
    ctx.ledger().record("job", job.id, name="job of the other project", owner_kind="projects",
                        owner_id=ctx.other_project_id)
    env.finish.append(("finish_job", job.id))
    return Credential(CredentialCase.JOB_TOKEN, TokenKind.JOB_TOKEN, job.token), None


def subject_credential(ctx: RunContext, client: GitLabClient, env: CaseEnv, credential: CredentialCase,
             case_key: str) -> tuple[Credential | None, str | None]:
    kind = token_kind_of(credential)
    if credential is CredentialCase.ANONYMOUS:
        return Credential(credential, None, None), None
    assert kind is not None
    slot = ctx.slots.get(credential.value)
    if slot and slot.token:
        return Credential(credential, kind, slot.token, slot.username), None
    if slot and slot.unavailable and credential is not CredentialCase.JOB_TOKEN:
        return None, slot.unavailable
    if ctx.given_project:
        return None, (slot.unavailable if slot else f"the token file gives no {credential.value}")
    ledger = ctx.ledger()
    name = f"harness-{_slug(case_key, 60)}"
    project_id = int(env.project_id)
    scopes = list(PROVISIONED_SCOPES.get(credential, ()))
    if credential is CredentialCase.PROJECT_ACCESS_TOKEN:
        token = client.create_project_access_token(project_id, name, scopes,
                                                   expires_at=dt.date.today() + dt.timedelta(days=2))
        ledger.record("project_access_token", token.id, owner_kind="projects", owner_id=project_id, name=name)
        return Credential(credential, kind, token.token), None
    if credential in (CredentialCase.PROJECT_DEPLOY_TOKEN, CredentialCase.READ_ONLY_DEPLOY_TOKEN):
        token = client.create_deploy_token("projects", project_id, name, scopes)
        ledger.record("deploy_token", token.id, owner_kind="projects", owner_id=project_id, name=name)
        return Credential(credential, kind, token.token, token.username or "harness"), None
    if credential is CredentialCase.JOB_TOKEN:
        if not ctx.reference:
            return None, slot.unavailable if slot and slot.unavailable else "no CI job token for this target"
        job = client.start_job(project_id)
        ledger.record("job", job.id, owner_kind="projects", owner_id=project_id, name=name)
        env.finish.append(("finish_job", job.id))
        return Credential(credential, kind, job.token), None
    return None, f"the run was not given a {credential.value}"


# -- a case's project dimensions -------------------------------------------------------------------------------------

NOT_ADMIN = ("the owner token is not an administrator: GitLab lets only administrators create users (POST /users "
             "answered 403), so a case that needs a member of a given role cannot run; use an administrator's token")


def setup_not_run(setup: ProjectSetup, package_type: str) -> str | None:
    """Why `setup` cannot be made for a `package_type` case through GitLab's API, or None when it can."""
    if setup.protection_rules and package_type not in PROTECTION_RULE_PACKAGE_TYPES:
        return f"GitLab has no package protection rules for {package_type} packages"
    for rule in setup.protection_rules:
        if rule.minimum_access_level_for_push.value not in PUSH_PROTECTION_LEVELS:
            return (f"GitLab's protection rules take {', '.join(PUSH_PROTECTION_LEVELS)} as the level to push, not "
                    f"{rule.minimum_access_level_for_push.value}")
    if setup.forwarding and package_type not in FORWARDING_PACKAGE_TYPES:
        return f"GitLab forwards no {package_type} package requests"
    return None


def apply_project_setup(client: GitLabClient, ledger: Ledger, env: CaseEnv, setup: ProjectSetup,
                        package_type: str) -> str | None:
    """Give the case's freshly made project `setup`: its visibility and package registry access (when not GitLab's
    defaults, which the project was made with), one protection rule per entry (for `package_type` packages, each
    recorded in the ledger), and its group's request forwarding for `package_type` (set either way, so the group does
    not inherit the instance's). A default setup changes nothing. Returns why the case cannot run, or None.

    On GitLab a project cannot be more visible than its group (nor a group than its parent): a public or internal
    project needs the case's group, and the groups above it, made at least as visible."""
    if setup.is_default:
        return None
    if env.group_path is None:
        return "the given project (--project) is used as it is: the harness does not change its setup"
    reason = setup_not_run(setup, package_type)
    if reason:
        return reason
    default = ProjectSetup()
    project_id = int(env.project_id)
    visibility = setup.visibility.value if setup.visibility != default.visibility else None
    registry_access = setup.registry_access.value if setup.registry_access != default.registry_access else None
    if visibility is not None or registry_access is not None:
        client.edit_project(project_id, visibility=visibility, package_registry_access_level=registry_access)
    for rule in setup.protection_rules:
        created = client.create_protection_rule(project_id, rule.package_name_pattern, package_type,
                                                rule.minimum_access_level_for_push.value)
        ledger.record("protection_rule", created["id"], name=rule.package_name_pattern, owner_kind="projects",
                      owner_id=project_id)
    if package_type in FORWARDING_PACKAGE_TYPES:
        client.set_forwarding(env.group_path, {package_type: setup.forwarding})
    return None


@dataclass(frozen=True)
class Member:
    """A user made for a case, a member of its project with `role`, and a personal access token of theirs."""

    user_id: int
    username: str
    role: Role
    credential: Credential


def provision_member(ctx: RunContext, client: GitLabClient, env: CaseEnv,
                     role: Role) -> tuple[Member | None, str | None]:
    """Make a user, a member of the case's project with `role`, and a personal access token for them (`api`),
    each recorded in the ledger. Returns the member, or why the case cannot run (the owner token is not an
    administrator; a given project)."""
    if ctx.given_project:
        return None, "the harness creates no users for a given project (--project); its members are the token file's"
    ledger = ctx.ledger()
    project_id = int(env.project_id)
    username = f"harness-{_slug(ctx.run_id, 12)}-{role.value}-{secrets.token_hex(4)}"
    try:
        user = client.create_user(username)
    except ProvisioningError as exc:
        if exc.status == 403:
            return None, NOT_ADMIN
        raise
    ledger.record("user", user["id"], name=user["username"])
    client.add_project_member(project_id, user["id"], role.access_level)
    ledger.record("member", user["id"], name=f"{user['username']} as {role.value}", owner_kind="projects",
                  owner_id=project_id)
    token = client.create_personal_access_token(user["id"], f"{username}-pat",
                                                list(PROVISIONED_SCOPES[CredentialCase.PERSONAL_ACCESS_TOKEN]))
    ledger.record("personal_access_token", token.id, name=f"{username}-pat", owner_kind="users", owner_id=user["id"])
    credential = Credential(CredentialCase.PERSONAL_ACCESS_TOKEN, TokenKind.PERSONAL_ACCESS_TOKEN, token.token,
                            user["username"])
    return Member(int(user["id"]), str(user["username"]), role, credential), None


def start_member_job(ctx: RunContext, client: GitLabClient, env: CaseEnv,
                     member: Member) -> tuple[Credential | None, str | None]:
    """A CI job token of a job in the case's project running as `member` (so it acts with the member's role): the
    reference server's simulated job, finished when the case ends. Returns the token, or why there is none."""
    if not ctx.reference:
        return None, "a job token acting as a chosen user needs the reference server's simulated jobs"
    project_id = int(env.project_id)
    job = client.start_job(project_id, user_id=member.user_id)
    ctx.ledger().record("job", job.id, name=f"job of {member.username}", owner_kind="projects", owner_id=project_id)
    env.finish.append(("finish_job", job.id))
    return Credential(CredentialCase.JOB_TOKEN, TokenKind.JOB_TOKEN, job.token), None
