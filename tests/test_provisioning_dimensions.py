"""A project's dimensions provisioned through GitLab's REST API shapes, against the reference server: each endpoint
stores what it was given (read back through the accessors the authorization code uses) and refuses a caller without
the role GitLab asks for; `apply_project_setup` and `provision_member` produce those stored facts."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from core.gitlab_versions import NEWEST, rules_for
from core.project_setup import ProjectSetup, ProtectionRule, RegistryAccess, Role, Visibility
from engine.gitlab_api import GitLabClient, ProvisioningError
from engine.ledger import Ledger, cleanup
from engine.provisioning import NOT_ADMIN, CaseEnv, RunContext, apply_project_setup, provision_member, start_member_job
from engine.reference import ReferenceServer
from reference_server.app import DATABASE_FILE
from reference_server.db import Database


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with ReferenceServer(tmp_path_factory.mktemp("reference")) as running:
        yield running


@pytest.fixture
def admin(server: Any) -> Iterator[GitLabClient]:
    with GitLabClient(server.url, server.admin_token, timeout=10) as client:
        yield client


@pytest.fixture
def db(server: Any) -> Iterator[Database]:
    """The server's database, read as the authorization code reads it."""
    database = Database(server.data_dir / DATABASE_FILE)
    yield database
    database.close()


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def a_project(admin: GitLabClient, visibility: str = "private") -> tuple[dict[str, Any], dict[str, Any]]:
    group = admin.create_group("Dimensions", unique("dims"), visibility=visibility)
    return group, admin.create_project("dims", group["id"])


def a_member(admin: GitLabClient, server: Any, project_id: int, level: int) -> tuple[int, GitLabClient]:
    """A user who is a member of the project at `level`, and a client holding their token."""
    user = admin.create_user(unique("member"))
    admin.add_project_member(project_id, user["id"], level)
    token = admin.create_personal_access_token(user["id"], "member", ["api"])
    return user["id"], GitLabClient(server.url, token.token, timeout=10)


def status_of(call: Any, *args: Any, **kwargs: Any) -> int | None:
    with pytest.raises(ProvisioningError) as caught:
        call(*args, **kwargs)
    return caught.value.status


def test_version_is_no_gitlab_version_so_the_newest_rules_apply(admin: GitLabClient) -> None:
    answer = admin.version()
    assert answer["version"] == "reference" and answer["revision"]
    assert rules_for(answer["version"]).in_force == NEWEST.in_force
    assert "is not GitLab's: the newest rules apply" in rules_for(answer["version"]).chosen


def test_users_are_created_by_administrators_only(admin: GitLabClient, server: Any, db: Database) -> None:
    username = unique("user")
    user = admin.create_user(username)
    assert user["username"] == username and db.user(user["id"])["username"] == username
    assert status_of(admin.create_user, username) == 409

    token = admin.create_personal_access_token(user["id"], "not-admin", ["api"])
    with GitLabClient(server.url, token.token) as not_admin, pytest.raises(ProvisioningError) as caught:
        not_admin.create_user(unique("user"))
    assert caught.value.status == 403 and "the owner token is not an administrator" in str(caught.value)

    admin.delete_user(user["id"])
    assert db.user(user["id"]) is None
    admin.delete_user(user["id"])  # already gone: tolerated


def test_members_are_stored_with_their_level(admin: GitLabClient, server: Any, db: Database) -> None:
    group, project = a_project(admin)
    user = admin.create_user(unique("reporter"))
    member = admin.add_project_member(project["id"], user["id"], Role.REPORTER.access_level)
    assert member["id"] == user["id"] and member["access_level"] == 20
    assert db.member_level(project["id"], user["id"]) == 20
    assert status_of(admin.add_project_member, project["id"], user["id"], 30) == 409
    assert status_of(admin.add_project_member, project["id"], user["id"] + 10_000, 30) == 404
    assert status_of(admin.add_project_member, project["id"], user["id"], 35) == 400

    developer_id, developer = a_member(admin, server, project["id"], Role.DEVELOPER.access_level)
    with developer:
        assert status_of(developer.add_project_member, project["id"], user["id"], 10) == 403
    maintainer_id, maintainer = a_member(admin, server, project["id"], Role.MAINTAINER.access_level)
    other = admin.create_user(unique("owner"))
    with maintainer:  # a maintainer adds members, but not owners
        assert status_of(maintainer.add_project_member, project["id"], other["id"], 50) == 403
        maintainer.add_project_member(project["id"], other["id"], 40)
    assert db.member_level(project["id"], other["id"]) == 40

    admin.remove_project_member(project["id"], user["id"])
    assert db.member_level(project["id"], user["id"]) is None
    admin.delete_group(group["id"])


def test_project_visibility_and_registry_access(admin: GitLabClient, server: Any, db: Database) -> None:
    group, project = a_project(admin, visibility="public")
    edited = admin.edit_project(project["id"], visibility="internal", package_registry_access_level="private")
    assert edited["visibility"] == "internal" and edited["package_registry_access_level"] == "private"
    setup = db.project_setup(project["id"], "npm")
    assert (setup.visibility, setup.registry_access) == (Visibility.INTERNAL, RegistryAccess.PRIVATE)
    assert admin.get_project(project["id"])["package_registry_access_level"] == "private"
    assert status_of(admin.edit_project, project["id"], package_registry_access_level="everyone") == 400

    _, developer = a_member(admin, server, project["id"], Role.DEVELOPER.access_level)
    with developer:
        assert status_of(developer.edit_project, project["id"], visibility="public") == 403
    admin.delete_group(group["id"])

    private_group, private_project = a_project(admin)
    assert db.project_setup(private_project["id"], "npm") == ProjectSetup()  # GitLab's defaults
    with pytest.raises(ProvisioningError, match="public is not allowed in a private group"):
        admin.edit_project(private_project["id"], visibility="public")
    admin.delete_group(private_group["id"])


def test_protection_rules(admin: GitLabClient, server: Any, db: Database) -> None:
    group, project = a_project(admin)
    rule = admin.create_protection_rule(project["id"], "@acme/*", "npm", "owner")
    assert rule["id"] and rule["package_name_pattern"] == "@acme/*" and rule["minimum_access_level_for_push"] == "owner"
    admin.create_protection_rule(project["id"], "acme-*", "pypi", "maintainer")
    assert db.project_setup(project["id"], "npm").protection_rules == (ProtectionRule("@acme/*", Role.OWNER),)
    assert db.project_setup(project["id"], "pypi").protection_rules == (ProtectionRule("acme-*", Role.MAINTAINER),)
    assert status_of(admin.create_protection_rule, project["id"], "@acme/*", "npm", "owner") == 422
    assert status_of(admin.create_protection_rule, project["id"], "x", "rubygems", "owner") == 400
    assert status_of(admin.create_protection_rule, project["id"], "x", "npm", "developer") == 400

    _, developer = a_member(admin, server, project["id"], Role.DEVELOPER.access_level)
    with developer:
        assert status_of(developer.create_protection_rule, project["id"], "y", "npm", "maintainer") == 403
        assert status_of(developer.delete_protection_rule, project["id"], rule["id"], missing_ok=False) == 403

    admin.delete_protection_rule(project["id"], rule["id"])
    assert db.project_setup(project["id"], "npm").protection_rules == ()
    admin.delete_group(group["id"])


def test_job_token_allowlist(admin: GitLabClient, server: Any, db: Database) -> None:
    group, project = a_project(admin)
    other = admin.create_project("other", group["id"])
    assert not db.job_token_allowed(project["id"], other["id"])
    assert db.job_token_allowed(project["id"], project["id"])  # a project's own jobs
    answer = admin.allow_job_token(project["id"], other["id"])
    assert answer == {"source_project_id": project["id"], "target_project_id": other["id"]}
    assert db.job_token_allowed(project["id"], other["id"]) and not db.job_token_allowed(other["id"], project["id"])
    assert status_of(admin.allow_job_token, project["id"], other["id"]) == 422
    assert status_of(admin.allow_job_token, project["id"], other["id"] + 10_000) == 404

    _, developer = a_member(admin, server, other["id"], Role.DEVELOPER.access_level)
    with developer:
        assert status_of(developer.allow_job_token, other["id"], project["id"]) == 403
    admin.delete_group(group["id"])


def test_forwarding_is_a_group_setting_inherited_by_subgroups(admin: GitLabClient, server: Any, db: Database) -> None:
    group = admin.create_group("Forwarding", unique("fwd"))
    sub = admin.create_group("Sub", "sub", parent_id=group["id"])
    project = admin.create_project("fwd", sub["id"])
    assert not db.forwarding(sub["id"], "npm")
    settings = admin.set_forwarding(group["full_path"], {"npm": True, "pypi": False})
    assert settings == {"npmPackageRequestsForwarding": True, "pypiPackageRequestsForwarding": False}
    assert db.project_setup(project["id"], "npm").forwarding and not db.project_setup(project["id"], "pypi").forwarding
    admin.set_forwarding(sub["full_path"], {"npm": False})
    assert not db.forwarding(sub["id"], "npm") and db.forwarding(group["id"], "npm")
    with pytest.raises(ValueError, match="forwards no generic"):
        admin.set_forwarding(group["full_path"], {"generic": True})

    user = admin.create_user(unique("not-admin"))
    token = admin.create_personal_access_token(user["id"], "not-admin", ["api"])
    with GitLabClient(server.url, token.token) as not_admin, pytest.raises(ProvisioningError, match="forwarding"):
        not_admin.set_forwarding(group["full_path"], {"maven": True})
    assert not db.forwarding(group["id"], "maven")
    admin.delete_group(group["id"])


def test_a_job_runs_as_a_user(admin: GitLabClient, db: Database) -> None:
    group, project = a_project(admin)
    user = admin.create_user(unique("job-user"))
    job = admin.start_job(project["id"], user_id=user["id"])
    assert db.job_user(int(job.id)) == user["id"]
    default = admin.start_job(project["id"])
    assert db.job_user(int(default.id)) == admin.current_user()["id"]  # the caller
    assert status_of(admin.start_job, project["id"], user_id=user["id"] + 10_000) == 404
    admin.delete_group(group["id"])


def a_case(server: Any, admin: GitLabClient, tmp_path: Path, owner_token: str,
           visibility: str = "private") -> tuple[RunContext, CaseEnv]:
    group, project = a_project(admin, visibility)
    ctx = RunContext(run_id=unique("run"), run_dir=str(tmp_path), target_url=server.url, reference=True,
                     owner_token=owner_token, given_project=None, root_group_id=group["id"],
                     root_group_path=group["full_path"])
    return ctx, CaseEnv(str(project["id"]), group["full_path"], None, None, name_prefix="", group_id=group["id"])


def test_apply_project_setup_stores_the_setup(server: Any, admin: GitLabClient, db: Database, tmp_path: Path) -> None:
    ctx, env = a_case(server, admin, tmp_path, server.admin_token, visibility="public")
    setup = ProjectSetup(visibility=Visibility.PUBLIC, registry_access=RegistryAccess.PRIVATE,
                         protection_rules=(ProtectionRule("@acme/*", Role.OWNER), ProtectionRule("internal-*")),
                         forwarding=True)
    assert apply_project_setup(admin, ctx.ledger(), env, setup, "npm") is None
    assert db.project_setup(int(env.project_id), "npm") == setup
    assert {e.kind for e in ctx.ledger().entries()} == {"protection_rule"}

    assert apply_project_setup(admin, ctx.ledger(), env, ProjectSetup(forwarding=True), "generic") == \
        "GitLab forwards no generic package requests"
    assert "protection rules take" in str(apply_project_setup(
        admin, ctx.ledger(), env, ProjectSetup(protection_rules=(ProtectionRule("x", Role.DEVELOPER),)), "npm"))

    assert cleanup(ctx.ledger(), admin).ok
    assert db.project_setup(int(env.project_id), "npm").protection_rules == ()
    admin.delete_group(env.group_id or 0)


def test_provision_member(server: Any, admin: GitLabClient, db: Database, tmp_path: Path) -> None:
    ctx, env = a_case(server, admin, tmp_path, server.admin_token)
    member, not_run = provision_member(ctx, admin, env, Role.DEVELOPER)
    assert not_run is None and member is not None
    assert db.member_level(int(env.project_id), member.user_id) == Role.DEVELOPER.access_level
    with GitLabClient(server.url, member.credential.token or "") as as_member:
        assert as_member.current_user()["id"] == member.user_id
    job_token, job_not_run = start_member_job(ctx, admin, env, member)
    assert job_not_run is None and job_token is not None and env.finish
    job_id = env.finish[-1][1]
    assert db.job_user(int(job_id)) == member.user_id
    kinds = [entry.kind for entry in ctx.ledger().entries()]
    assert kinds == ["user", "member", "personal_access_token", "job"]

    assert cleanup(ctx.ledger(), admin).ok
    assert db.user(member.user_id) is None and db.member_level(int(env.project_id), member.user_id) is None
    admin.delete_group(env.group_id or 0)


def test_provision_member_needs_an_administrator(server: Any, admin: GitLabClient, tmp_path: Path) -> None:
    user = admin.create_user(unique("owner"))
    token = admin.create_personal_access_token(user["id"], "owner", ["api"])
    ctx, env = a_case(server, admin, tmp_path, token.token)
    admin.add_project_member(int(env.project_id), user["id"], Role.OWNER.access_level)
    with ctx.client() as owner:
        member, not_run = provision_member(ctx, owner, env, Role.REPORTER)
    assert member is None and not_run == NOT_ADMIN
    assert not Ledger(Path(ctx.run_dir) / "ledger.jsonl").entries()
    admin.delete_group(env.group_id or 0)
