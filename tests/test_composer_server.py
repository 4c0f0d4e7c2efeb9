"""The reference server's Composer API over HTTP, against GitLab's behaviour (lib/api/composer_packages.rb and its
request spec): publishing a tag of the project's repository, the group's documents, the archive of the version's
commit, the refusals, duplicates and the global name rule, and the composer_stale_cache fault.

Servers come from tests/test_reference_server.py's fixtures (`start`, `registry`, `world`).
"""

import json
from collections.abc import Iterator

import pytest
import test_reference_server as base

from core import repository
from core.credentials import Credential
from core.format_types import RequestSpec
from core.vocabulary import AuthScheme, CredentialCase
from engine.drivers.base import Observation
from engine.drivers.http import HttpDriver
from engine.publishing import prepare
from formats.composer import PUBLISH, requests
from formats.composer.artifacts import BrokenPackage, ComposerPackage
from formats.composer.operations import ComposerOperations
from reference_server import Fault

start = base.start
registry = base.registry
world = base.world
Registry = base.Registry
World = base.World

OWNER = CredentialCase.PERSONAL_ACCESS_TOKEN


@pytest.fixture
def http(registry: Registry) -> Iterator[HttpDriver]:
    with HttpDriver(registry.url) as driver:
        yield driver


def owner(world: World) -> Credential:
    return world.credential(OWNER)


def send(http: HttpDriver, world: World, spec: RequestSpec, case: CredentialCase = OWNER,
         scheme: AuthScheme = AuthScheme.HEADER) -> Observation:
    return http.send(spec, world.credential(case), AuthScheme.NONE if case is CredentialCase.ANONYMOUS else scheme)


def publish(http: HttpDriver, world: World, ops: ComposerOperations, project_id: int, name: str, version: str,
            seed: int = 0, case: CredentialCase = OWNER) -> Observation:
    artifact = ops.artifact(name, version, "x", 512, seed)
    prepare(http, owner(world), ops, project_id, name, version, artifact)
    return send(http, world, ops.push(project_id, name, version, artifact)[0], case)


def test_publish_then_install_documents_and_archive(http: HttpDriver, world: World) -> None:
    ops, pid, gid = ComposerOperations(), world.project["id"], world.group["id"]
    obs = publish(http, world, ops, pid, "pkg", "1.0.0")
    assert obs.status == 201 and obs.json() == {"message": "201 Created"}
    assert publish(http, world, ops, pid, "pkg", "1.1.0", seed=1).status == 201
    root = send(http, world, requests.packages_json(gid)).json()
    assert root == {"packages": [], "metadata-url": f"/api/v4/group/{gid}/-/packages/composer/p2/%package%.json"}
    v1 = send(http, world, requests.packages_json(gid, v2=False)).json()
    assert "p/%hash%.json" in v1["provider-includes"] and v1["providers-url"].endswith("/%package%$%hash%.json")
    versions = send(http, world, requests.p2(gid, "pkg")).json()["packages"]["harness/pkg"]
    assert sorted(versions) == ["1.0.0", "1.1.0"]
    dist = versions["1.1.0"]["dist"]
    sha = ops.commit_of(pid, "pkg", "1.1.0")
    assert dist["type"] == "zip" and dist["reference"] == sha and dist["url"].endswith(f"?sha={sha}")
    assert send(http, world, requests.p2(gid, "pkg", dev=True)).status == 404  # no `harness/pkg~dev` package
    archive = send(http, world, ops.pull(pid, "pkg", "1.1.0", "x"))
    assert archive.status == 200
    assert ops.pulled_key(archive.body_excerpt) == ComposerPackage("pkg", "1.1.0", 512, 1).sha256()
    assert send(http, world, ops.pull(pid, "pkg", "1.1.0", "x", sha="0" * 40)).status == 404
    listed = send(http, world, requests.provider(gid, "x")).json()["providers"]
    assert set(listed) == {"harness/pkg"}


def test_refusals_are_gitlabs(http: HttpDriver, world: World) -> None:
    ops, pid, gid = ComposerOperations(), world.project["id"], world.group["id"]
    assert publish(http, world, ops, pid, "pkg", "1.0.0", case=CredentialCase.ANONYMOUS).status == 401
    assert publish(http, world, ops, pid, "pkg", "1.0.0", case=CredentialCase.READ_ONLY_DEPLOY_TOKEN).status == 403
    anonymous = send(http, world, requests.p2(gid, "pkg"), CredentialCase.ANONYMOUS)
    assert anonymous.status == 401 and anonymous.headers["www-authenticate"].startswith("Basic")
    missing_tag = send(http, world, requests.publish(pid, tag="v9.9.9"))
    assert missing_tag.status == 404
    assert send(http, world, RequestSpec(PUBLISH, PUBLISH.url_path(project_id=pid),
                                         body=b"")).status == 400  # neither tag nor branch
    broken = BrokenPackage("broken", "2.0.0", 0, 0)
    prepare(http, owner(world), ops, pid, "broken", "2.0.0", broken)
    invalid = send(http, world, ops.push(pid, "broken", "2.0.0", broken)[0])
    assert invalid.status == 422 and "Invalid JSON" in invalid.json()["message"]
    # a tag whose version is no semver: Packages::Composer::Package validates it
    art = ops.artifact("pkg", "1.0.0", "x", 64, 0)
    http.send(repository.commit_files(pid, "b", "m", art.files), owner(world), AuthScheme.HEADER)  # type: ignore[attr-defined]
    http.send(repository.create_tag(pid, "v1.0", "b"), owner(world), AuthScheme.HEADER)
    assert send(http, world, requests.publish(pid, tag="v1.0")).status == 400


def test_job_token_over_basic_only_on_group_routes(http: HttpDriver, world: World) -> None:
    ops, pid, gid = ComposerOperations(), world.project["id"], world.group["id"]
    publish(http, world, ops, pid, "pkg", "1.0.0")
    assert send(http, world, requests.p2(gid, "pkg"), CredentialCase.JOB_TOKEN, AuthScheme.BASIC).status == 200
    header = send(http, world, requests.p2(gid, "pkg"), CredentialCase.JOB_TOKEN, AuthScheme.HEADER)
    assert header.status == 401  # `job_token_allowed: :basic_auth`: the JOB-TOKEN header is not read
    # a project's deploy token has no read_group on a private group
    assert send(http, world, requests.p2(gid, "pkg"), CredentialCase.PROJECT_DEPLOY_TOKEN,
                AuthScheme.BASIC).status == 404


def test_republish_moves_to_the_new_commit_and_names_are_instance_wide(http: HttpDriver, world: World) -> None:
    ops, pid, gid = ComposerOperations(), world.project["id"], world.group["id"]
    publish(http, world, ops, pid, "pkg", "1.0.0", seed=1)
    first = ops.commit_of(pid, "pkg", "1.0.0")
    assert publish(http, world, ops, pid, "pkg", "1.0.0", seed=2).status == 201  # duplicates always accepted
    newest = ops.commit_of(pid, "pkg", "1.0.0")
    assert newest != first
    versions = send(http, world, requests.p2(gid, "pkg")).json()["packages"]["harness/pkg"]
    assert versions["1.0.0"]["dist"]["reference"] == newest
    other = world.other_project["id"]
    taken = publish(http, world, ops, other, "pkg", "3.0.0")
    assert taken.status == 400 and "already taken by another project" in taken.json()["message"]


def test_stale_cache_fault_omits_later_versions(start: object) -> None:
    registry = start(faults=frozenset({Fault.COMPOSER_STALE_CACHE}))  # type: ignore[operator]
    world = base.make_world(registry)
    ops, pid, gid = ComposerOperations(), world.project["id"], world.group["id"]
    with HttpDriver(registry.url) as http:
        publish(http, world, ops, pid, "pkg", "1.0.0")
        publish(http, world, ops, pid, "pkg", "1.1.0", seed=1)
        versions = json.loads(send(http, world, requests.p2(gid, "pkg")).body_excerpt)["packages"]["harness/pkg"]
    assert list(versions) == ["1.0.0"]
