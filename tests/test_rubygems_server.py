"""The reference server's RubyGems routes against a running server: `gem push` answered 201 before the file is read
and extracted in the background into the gem's own package; the Marshal dependency API; downloads; the routes
GitLab answers 404; the token read only from a bare Authorization header; a file that is no gem destroyed."""

import time
from typing import Any

import pytest
import requests

from core.vocabulary import AuthScheme, CredentialCase
from formats.rubygems import marshal
from formats.rubygems.artifacts import Dependency, GemArtifact
from formats.rubygems.requests import dependencies, download, push, quick_gemspec, spec_index
from tests.test_reference_server import Registry, World, make_world, registry, start  # noqa: F401 - fixtures

PAT = CredentialCase.PERSONAL_ACCESS_TOKEN


@pytest.fixture
def gems(registry: Registry) -> World:  # noqa: F811 - the fixture imported above
    return make_world(registry)


def _send(world: World, spec: Any, case: CredentialCase = PAT,
          scheme: AuthScheme = AuthScheme.TOKEN) -> requests.Response:
    body = b"".join(spec.body) if spec.body is not None and not isinstance(spec.body, bytes) else spec.body
    return world.registry.call(spec.method, spec.path, {**spec.headers, **world.headers(case, scheme)},
                               params=spec.params, data=body)


def _listed(world: World, project_id: int) -> list[dict[str, Any]]:
    response = world.registry.packages(project_id, package_type="rubygems")
    assert response.status_code == 200
    return list(response.json())


def _wait_default(world: World, name: str, version: str) -> dict[str, Any]:
    for _ in range(200):
        found = [p for p in _listed(world, world.project["id"]) if (p["name"], p["version"]) == (name, version)]
        if found and found[0]["status"] == "default":
            return found[0]
        time.sleep(0.05)
    raise AssertionError(f"{name} {version} never processed")


def test_push_extract_dependencies_and_download(gems: World) -> None:
    world = gems
    pid = world.project["id"]
    first = GemArtifact("harness-gem", "1.0.0", 20_000, 1, (Dependency("rake", "~> 13.0"),))
    second = GemArtifact("harness-gem", "1.1.0", 0, 2)
    for gem in (first, second):
        response = _send(world, push(pid, gem))
        assert response.status_code == 201 and response.json() == {"message": "201 Created"}
    package = _wait_default(world, "harness-gem", "1.0.0")
    _wait_default(world, "harness-gem", "1.1.0")
    assert not [p for p in _listed(world, pid) if p["name"] == "Gem.Temporary.Package"]
    files = {f["file_name"] for f in world.registry.files(pid, package["id"])}
    assert files == {"harness-gem-1.0.0.gem", "harness-gem.gemspec"}
    answer = _send(world, dependencies(pid, "harness-gem"))
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/octet-stream"
    entries = marshal.dependency_list(answer.content)
    assert [(e["number"], e["platform"], e["dependencies"]) for e in entries] == [
        ("1.0.0", "ruby", [["rake", "~> 13.0"]]), ("1.1.0", "ruby", [])]
    pulled = _send(world, download(pid, first.file_name))
    assert pulled.status_code == 200 and pulled.content == first.data()
    # Bundler's probe (no gems) is 200 and empty; an unknown gem is 404 "<name> not found"
    assert _send(world, dependencies(pid)).content == b""
    missing = _send(world, dependencies(pid, "harness-gem", "nope"))
    assert missing.status_code == 404 and missing.json() == {"message": "nope not found"}
    for spec in (spec_index(pid), spec_index(pid, "latest_specs.4.8.gz"), quick_gemspec(pid, "x-1.gemspec.rz")):
        assert _send(world, spec).status_code == 404


def test_a_duplicate_joins_the_package_and_the_newest_file_is_served(gems: World) -> None:
    world = gems
    pid = world.project["id"]
    gems = [GemArtifact("dup", "1.0.0", 9000, seed) for seed in (1, 2)]
    for gem in gems:
        assert _send(world, push(pid, gem)).status_code == 201
        package = _wait_default(world, "dup", "1.0.0")
    for _ in range(100):
        if len(world.registry.files(pid, package["id"])) == 4:
            break
        time.sleep(0.05)
    assert _send(world, download(pid, "dup-1.0.0.gem")).content == gems[1].data()
    assert len(marshal.dependency_list(_send(world, dependencies(pid, "dup")).content)) == 1


def test_a_file_that_is_no_gem_is_accepted_then_destroyed(gems: World) -> None:
    world = gems
    pid = world.project["id"]
    bogus = GemArtifact("x", "1.0.0")
    spec = push(pid, bogus)
    spec.body, spec.body_size = b"not a gem" * 100, 900
    assert _send(world, spec).status_code == 201
    for _ in range(100):
        if not _listed(world, pid):
            break
        time.sleep(0.05)
    assert _listed(world, pid) == [] and not world.registry.stored_files()


def test_only_the_bare_authorization_header_is_read(gems: World) -> None:
    world = gems
    pid = world.project["id"]
    gem = GemArtifact("auth", "1.0.0")
    assert _send(world, push(pid, gem), PAT, AuthScheme.HEADER).status_code == 401  # PRIVATE-TOKEN: anonymous
    assert _send(world, push(pid, gem), PAT, AuthScheme.BEARER).status_code == 401  # "Bearer …" is no token
    assert _send(world, dependencies(pid, "auth"), CredentialCase.ANONYMOUS, AuthScheme.NONE).status_code == 404
    for case in (CredentialCase.JOB_TOKEN, CredentialCase.PROJECT_DEPLOY_TOKEN):
        assert _send(world, push(pid, GemArtifact("auth", "1.0.0", 0, hash(case) % 7)), case).status_code == 201
    assert _send(world, push(pid, gem), CredentialCase.READ_ONLY_DEPLOY_TOKEN).status_code == 403
    revoked = _send(world, dependencies(pid, "auth"), CredentialCase.REVOKED_TOKEN)
    assert revoked.status_code == 401 and "invalid_token" in revoked.headers.get("www-authenticate", "")
