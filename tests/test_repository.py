"""The reference server's project repository: GitLab's commit and tag API (core/repository.py) over real git data,
what Composer and Go are published from. Servers come from tests/test_reference_server.py's fixtures."""

import io
import subprocess
import zipfile
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import test_reference_server as base

from core import repository
from core.credentials import Credential
from core.vocabulary import AuthScheme, CredentialCase, TokenKind
from engine.drivers.http import HttpDriver
from reference_server.repository import ProjectRepository

start = base.start
registry = base.registry
world = base.world


def _send(registry: base.Registry, spec: Any, token: str = base.ADMIN_TOKEN) -> tuple[int | None, Any]:
    credential = Credential(CredentialCase.PERSONAL_ACCESS_TOKEN, TokenKind.PERSONAL_ACCESS_TOKEN, token)
    obs = HttpDriver(registry.url).send(spec, credential, AuthScheme.HEADER)
    return obs.status, obs.json() if obs.body_size else None


def _repo(registry: base.Registry, project_id: int) -> ProjectRepository:
    return ProjectRepository(registry.data_dir / "repositories" / f"{project_id}.git")


def test_a_commit_and_a_tag_are_real_git_data(world: base.World) -> None:
    reg, pid = world.registry, world.project["id"]
    files = {"composer.json": b'{"name": "acme/lib"}', "src/Lib.php": b"<?php\n"}
    status, commit = _send(reg, repository.commit_files(pid, "v1-branch", "Add the library", files))
    assert status == 201, commit
    assert commit["title"] == "Add the library" and commit["parent_ids"] == []
    status, tag = _send(reg, repository.create_tag(pid, "v1.0.0", "v1-branch"))
    assert status == 201 and tag["target"] == commit["id"] and tag["commit"]["id"] == commit["id"]
    git_dir = _repo(reg, pid).path
    # git itself reads what the API wrote
    shown = subprocess.run(["git", "--git-dir", str(git_dir), "show", "v1.0.0:src/Lib.php"], capture_output=True,
                           check=True).stdout
    assert shown == b"<?php\n"
    archive = zipfile.ZipFile(io.BytesIO(_repo(reg, pid).archive_zip(commit["id"], prefix="lib/")))
    assert sorted(archive.namelist()) == ["lib/", "lib/composer.json", "lib/src/", "lib/src/Lib.php"]
    status, tags = _send(reg, repository.list_tags(pid))
    assert status == 200 and [t["name"] for t in tags] == ["v1.0.0"]


def test_refusals_keep_what_is_stored(world: base.World) -> None:
    reg, pid = world.registry, world.project["id"]
    assert _send(reg, repository.commit_files(pid, "b", "first", {"a.txt": b"1"}))[0] == 201
    status, body = _send(reg, repository.commit_files(pid, "b", "again", {"a.txt": b"2"}))
    assert status == 400 and "already exists" in body["message"]
    assert _send(reg, repository.create_tag(pid, "v1", "b"))[0] == 201
    status, body = _send(reg, repository.create_tag(pid, "v1", "b"))
    assert status == 400 and body["message"] == "Tag v1 already exists"
    status, body = _send(reg, repository.create_tag(pid, "v2", "no-such-branch"))
    assert status == 400 and body["message"] == "Target no-such-branch is invalid"
    repo = _repo(reg, pid)
    head = repo.resolve("b")
    assert head is not None and head.title == "first" and repo.read_file(head.sha, "a.txt") == b"1"


def test_a_second_commit_on_a_branch_has_the_first_as_parent(world: base.World) -> None:
    reg, pid = world.registry, world.project["id"]
    _, first = _send(reg, repository.commit_files(pid, "main", "one", {"a.txt": b"1"}))
    _, second = _send(reg, repository.commit_files(pid, "main", "two", {"b.txt": b"2"}))
    assert second["parent_ids"] == [first["id"]]
    assert _repo(reg, pid).list_files(second["id"]) == ["a.txt", "b.txt"]
    _, third = _send(reg, repository.commit_files(pid, "topic", "three", {"c.txt": b"3"}, start_branch="main"))
    assert third["parent_ids"] == [second["id"]]


def test_concurrent_commits_to_their_own_branches_all_land(world: base.World) -> None:
    reg, pid = world.registry, world.project["id"]

    def one(i: int) -> int | None:
        return _send(reg, repository.commit_files(pid, f"v{i}", f"version {i}", {"go.mod": f"{i}".encode()}))[0]

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(one, range(16)))
    assert statuses == [201] * 16
    assert len(_repo(reg, pid).branches()) == 16


def test_writing_needs_a_developer_and_an_api_token(world: base.World) -> None:
    reg, pid = world.registry, world.project["id"]
    reader = reg.project_token(pid, scopes=["api"], level=20)  # a reporter
    status, _ = _send(reg, repository.commit_files(pid, "b", "m", {"a": b"1"}), reader["token"])
    assert status == 403
    read_api = reg.pat(scopes=["read_api"])
    status, _ = _send(reg, repository.commit_files(pid, "b", "m", {"a": b"1"}), read_api["token"])
    assert status == 403
    status, _ = _send(reg, repository.list_tags(pid), read_api["token"])
    assert status == 200
