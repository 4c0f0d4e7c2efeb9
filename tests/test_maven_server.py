"""The reference server's Maven API over HTTP: deploy and pull as mvn does, checksums, rules, limits, duplicates,
the group and instance levels, every fault it implements, and one round trip with the real mvn when it is here.

Servers come from tests/test_reference_server.py's fixtures (`start`, `registry`, `world`).
"""

import hashlib
import os
import shutil
import subprocess
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import test_reference_server as base
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.client_recipe import ClientTarget
from core.permissions import expected_for
from core.vocabulary import AuthScheme, CredentialCase, Operation
from engine.drivers.http import HttpDriver
from formats import maven
from formats.maven import OPERATIONS, Coordinates, coordinates, parse_path
from formats.maven.clients import DEBIAN_REPOSITORY, RECIPES
from reference_server import Fault

start = base.start
registry = base.registry
world = base.world
Registry = base.Registry
World = base.World

CHECKSUM_ANSWERS = [200, 204, 200]  # a file, its .sha1 (verified), its .md5 (taken as is)


@pytest.fixture
def driver(registry: Registry) -> Iterator[HttpDriver]:
    with HttpDriver(registry.url) as http:
        yield http


def deploy(http: HttpDriver, world: World, name: str, version: str, size: int = 3000,
           case: CredentialCase = CredentialCase.PERSONAL_ACCESS_TOKEN, scheme: AuthScheme = AuthScheme.HEADER,
           project_id: int | None = None, seed: int = 0) -> tuple[maven.MavenJar, list[int]]:
    """Send what `mvn deploy` sends; the jar and every status."""
    jar = OPERATIONS.artifact(name, version, "", size, seed)
    specs = OPERATIONS.push(project_id or world.project["id"], name, version, jar)
    return jar, [http.send(spec, world.credential(case), scheme).status or 0 for spec in specs]


def maven_settings(registry: Registry, namespace_path: str, allowed: bool, regex: str = "") -> None:
    query = "mutation($input: UpdateNamespacePackageSettingsInput!) { updateNamespacePackageSettings(input: " \
            "$input) { packageSettings { mavenDuplicatesAllowed mavenDuplicateExceptionRegex } errors } }"
    variables = {"input": {"namespacePath": namespace_path, "mavenDuplicatesAllowed": allowed,
                           "mavenDuplicateExceptionRegex": regex}}
    answer = registry.call("POST", "/api/graphql", registry.admin, json={"query": query, "variables": variables})
    assert answer.json()["data"]["updateNamespacePackageSettings"]["errors"] == []


def maven_get(registry: Registry, path: str, headers: dict[str, str] | None = None,
              prefix: str | None = None) -> requests.Response:
    return registry.call("GET", (prefix or "") + path, registry.admin if headers is None else headers)


def project_path(project_id: int) -> str:
    return f"/api/v4/projects/{project_id}/packages/maven/"


def test_deploy_pull_and_metadata(world: World, driver: HttpDriver) -> None:
    registry, pid = world.registry, world.project["id"]
    jar, statuses = deploy(driver, world, "lib", "1.0", size=50_000)
    assert statuses == CHECKSUM_ANSWERS * 3
    pulled = driver.send(OPERATIONS.pull(pid, "lib", "1.0", jar.file_name), world.credential(
        CredentialCase.JOB_TOKEN), AuthScheme.BASIC)
    assert pulled.status == 200 and pulled.body_sha256 == jar.sha256()
    data = b"".join(jar.chunks())
    assert pulled.headers["x-checksum-sha1"] == hashlib.sha1(data).hexdigest()
    prefix = project_path(pid) + "com/example/harness/lib/1.0/lib-1.0.jar"
    for algorithm in ("md5", "sha1", "sha256", "sha512"):
        answer = maven_get(registry, f"{prefix}.{algorithm}")
        assert answer.status_code == 200 and answer.text == hashlib.new(algorithm, data).hexdigest()
    deploy(driver, world, "lib", "1.1-SNAPSHOT")
    deploy(driver, world, "lib", "2.0")
    listing = driver.send(OPERATIONS.metadata(pid, "lib"), world.credential(CredentialCase.PROJECT_DEPLOY_TOKEN),
                          AuthScheme.HEADER)
    document = ET.fromstring(listing.body_excerpt)
    assert [v.text for v in document.iter("version")] == ["1.0", "1.1-SNAPSHOT", "2.0"]
    assert document.findtext("versioning/latest") == document.findtext("versioning/release") == "2.0"
    sha1 = maven_get(registry, project_path(pid) + "com/example/harness/lib/maven-metadata.xml.sha1")
    assert sha1.text == hashlib.sha1(listing.body_excerpt).hexdigest()
    snapshot = maven_get(registry, project_path(pid) + "com/example/harness/lib/1.1-SNAPSHOT/maven-metadata.xml")
    assert ET.fromstring(snapshot.content).findtext("versioning/snapshot/timestamp") == maven.SNAPSHOT_TIMESTAMP
    listed = registry.packages(pid, package_type="maven", package_version="1.0").json()
    assert [(p["name"], p["version"], p["package_type"]) for p in listed] == [
        ("com/example/harness/lib", "1.0", "maven")]
    files = registry.files(pid, listed[0]["id"])
    assert sorted(f["file_name"] for f in files) == ["lib-1.0.jar", "lib-1.0.pom"]  # checksums are not stored


def test_every_answer_agrees_with_the_permission_table(world: World, driver: HttpDriver) -> None:
    registry, pid = world.registry, world.project["id"]
    jar, _ = deploy(driver, world, "seed", "1.0")
    mismatches = []
    for case in CredentialCase:
        schemes = [AuthScheme.NONE] if case is CredentialCase.ANONYMOUS else \
            [AuthScheme.HEADER, AuthScheme.BASIC, AuthScheme.BEARER]
        for scheme in schemes:
            for endpoint, operation in ((maven.UPLOAD, Operation.PUSH), (maven.DOWNLOAD, Operation.PULL)):
                expected = expected_for(case, operation, endpoint.auth, scheme)
                if operation is Operation.PUSH:
                    artifact = OPERATIONS.artifact(f"p-{case.value}", "1.0", "", 0, 0)
                    spec = OPERATIONS.push(pid, f"p-{case.value}", "1.0", artifact)[0]
                else:
                    spec = OPERATIONS.pull(pid, "seed", "1.0", jar.file_name)
                observed = driver.send(spec, world.credential(case), scheme)
                want = endpoint.success_status if expected.permitted else expected.status
                challenged = "www-authenticate" in observed.headers
                if observed.status != want or (expected.challenge and not challenged):
                    mismatches.append(f"{case.value}/{scheme.value}/{endpoint.name}: {observed.status}, want {want}"
                                      f" ({expected.reason})")
    assert not mismatches, "\n".join(mismatches)
    assert registry.put(pid).status_code == 201  # the Generic API is untouched


def test_checksum_uploads_are_verified(world: World, driver: HttpDriver) -> None:
    registry, pid = world.registry, world.project["id"]
    deploy(driver, world, "lib", "1.0")
    prefix = project_path(pid) + "com/example/harness/lib/1.0/"
    wrong = registry.call("PUT", prefix + "lib-1.0.jar.sha1", registry.admin, data=b"0" * 40)
    assert wrong.status_code == 409 and "sha1 checksum sent does not match" in wrong.json()["message"]
    assert registry.call("PUT", prefix + "lib-1.0.jar.md5", registry.admin, data=b"anything").status_code == 200
    assert registry.call("PUT", prefix + "nothing.jar.sha1", registry.admin, data=b"0" * 40).status_code == 404
    huge = registry.call("PUT", prefix + "lib-1.0.jar.sha256", registry.admin, data=b"0" * 5000)
    assert huge.status_code == 400 and "one hex digest" in huge.text


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(alphabet="ab1_.-+@é ", min_size=0, max_size=8), st.text(alphabet="1.0-SNAPHOTé+_ ", max_size=8))
def test_server_enforces_the_rules(world: World, artifact: str, version: str) -> None:
    """Any artifactId and version: accepted exactly when the format's rules accept the path; a refusal names it."""
    registry, pid = world.registry, world.project["id"]
    coords = Coordinates("com.example.harness", artifact, version)
    path = f"{coords.version_path}/{coords.artifact_id}-{coords.version}.pom"
    try:
        parse_path(path)
        valid = True
    except ValueError:
        valid = False
    spec = maven.upload(pid, maven.version_segments(coords), f"{coords.artifact_id}-{coords.version}.pom", b"<p/>", 4)
    answer = registry.call("PUT", spec.path, registry.admin, data=b"<p/>")
    assert answer.status_code == (200 if valid else 400), answer.text
    if not valid:
        assert " is invalid: " in answer.json()["message"]


def test_bad_paths_are_refused_naming_the_rule(world: World) -> None:
    registry, pid = world.registry, world.project["id"]
    answer = registry.call("PUT", project_path(pid) + "com/example/lib/1..0/lib.jar", registry.admin, data=b"x")
    assert answer.status_code == 400 and "version is invalid" in answer.json()["message"]
    answer = registry.call("PUT", project_path(pid) + "lib/1.0/lib.jar", registry.admin, data=b"x")
    assert answer.status_code == 400 and "groupId is invalid: a groupId is required" in answer.json()["message"]


def test_over_the_limit_is_gitlabs_400_refused_before_the_body(start: Any) -> None:
    registry = start(size_limits={"maven": 1000})
    head = base.expect_head(project_path(1) + "com/example/lib/1.0/lib-1.0.jar", registry.admin, 5000)
    registry.group("grp")
    registry.project(1)
    lines = base.raw_first_line(registry.url, head)
    assert lines[0].startswith("HTTP/1.1 400"), lines  # GitLab's 'File is too large'; the server refuses it earlier
    small = registry.call("PUT", project_path(1) + "com/example/lib/1.0/lib-1.0.jar", registry.admin, data=b"x" * 999)
    assert small.status_code == 200


def test_duplicates_follow_the_group_setting(world: World, driver: HttpDriver) -> None:
    registry, pid = world.registry, world.project["id"]
    assert deploy(driver, world, "lib", "1.0")[1] == CHECKSUM_ANSWERS * 3
    assert deploy(driver, world, "lib", "1.0", seed=1)[1] == CHECKSUM_ANSWERS * 3  # allowed by default
    maven_settings(registry, "grp", allowed=False)
    _, statuses = deploy(driver, world, "lib", "1.0", seed=2)
    assert statuses[0] == statuses[3] == 400  # the jar and the pom; maven-metadata.xml and checksums are no duplicates
    assert statuses[6] == 200
    refused = registry.call("PUT", project_path(pid) + "com/example/harness/lib/1.0/lib-1.0-sources.jar",
                            registry.admin, data=b"x")
    assert refused.status_code == 400
    assert refused.json()["message"] == "400 Bad Request - Duplicate package is not allowed"
    assert deploy(driver, world, "lib", "2.0")[1] == CHECKSUM_ANSWERS * 3  # a new version is no duplicate
    maven_settings(registry, "grp", allowed=False, regex="SNAPSHOT")
    assert deploy(driver, world, "lib", "3.0-SNAPSHOT")[1][0] == 200
    assert deploy(driver, world, "lib", "3.0-SNAPSHOT", seed=3)[1][0] == 200  # the exception regex matches


def test_group_level_serves_the_newest_readable_package(world: World, driver: HttpDriver) -> None:
    registry, group = world.registry, world.group
    older, _ = deploy(driver, world, "lib", "1.0", seed=1, project_id=world.other_project["id"])
    newer, _ = deploy(driver, world, "lib", "1.0", seed=2, project_id=world.sub_project["id"])
    path = f"/api/v4/groups/{group['id']}/-/packages/maven/com/example/harness/lib/1.0/lib-1.0.jar"
    pulled = maven_get(registry, path)
    assert pulled.status_code == 200 and pulled.content == b"".join(newer.chunks())
    by_path = maven_get(registry, path.replace(f"/groups/{group['id']}/", "/groups/grp/"))
    assert by_path.status_code == 200
    other_token = world.headers(CredentialCase.OTHER_PROJECT_TOKEN)  # reads only `other`: the older package
    assert maven_get(registry, path, other_token).content == b"".join(older.chunks())
    metadata = maven_get(registry, path.rsplit("/", 2)[0] + "/maven-metadata.xml", other_token)
    assert [v.text for v in ET.fromstring(metadata.content).iter("version")] == ["1.0"]
    anonymous = maven_get(registry, path, {})
    assert anonymous.status_code == 401 and "WWW-Authenticate" in anonymous.headers
    assert maven_get(registry, path.replace("/lib/1.0/", "/nope/1.0/")).status_code == 404
    outsider = registry.group("outside")
    registry.project(outsider["id"], "x")
    deploy_only = world.headers(CredentialCase.PROJECT_DEPLOY_TOKEN)
    answer = maven_get(registry, path.replace(f"/groups/{group['id']}/", f"/groups/{outsider['id']}/"), deploy_only)
    assert answer.status_code == 404 and answer.json()["message"] == "404 Group Not Found"


def test_instance_level_needs_the_project_path_as_package_name(world: World, driver: HttpDriver) -> None:
    """GitLab finds the project by the package's name: groupId `grp`, artifactId `proj` live in project grp/proj."""
    registry, pid = world.registry, world.project["id"]
    coords = Coordinates("grp", "proj", "1.0")
    jar = maven.MavenJar(coords, 2000, 5)
    spec = maven.upload(pid, maven.version_segments(coords), jar.file_name, b"".join(jar.chunks()), jar.size)
    assert driver.send(spec, world.credential(CredentialCase.PERSONAL_ACCESS_TOKEN), AuthScheme.HEADER).status == 200
    request = maven.instance_download(maven.version_segments(coords), jar.file_name)
    pulled = driver.send(request, world.credential(CredentialCase.GROUP_DEPLOY_TOKEN), AuthScheme.BASIC)
    assert pulled.status == 200 and pulled.body_sha256 == jar.sha256()
    # Found by name, the project is there: an authenticated caller without access gets 403 (`forbidden!`).
    assert driver.send(request, world.credential(CredentialCase.OTHER_PROJECT_TOKEN), AuthScheme.HEADER).status == 403
    anonymous = maven_get(registry, request.path, {})
    assert anonymous.status_code == 401 and "WWW-Authenticate" in anonymous.headers
    deploy(driver, world, "lib", "1.0")  # in grp/proj, but named com/example/harness/lib: not at the instance level
    # No project by that path: GitLab's instance route answers `forbidden! unless path_exists?` (403).
    assert maven_get(registry, "/api/v4/packages/maven/com/example/harness/lib/1.0/lib-1.0.jar").status_code == 403


def test_pushes_and_pulls_of_jars_are_counted(world: World, driver: HttpDriver) -> None:
    jar, _ = deploy(driver, world, "lib", "1.0", case=CredentialCase.JOB_TOKEN)
    driver.send(OPERATIONS.pull(world.project["id"], "lib", "1.0", jar.file_name),
                world.credential(CredentialCase.JOB_TOKEN), AuthScheme.HEADER)
    driver.send(OPERATIONS.pull(world.project["id"], "lib", "1.0", "lib-1.0.pom"),
                world.credential(CredentialCase.JOB_TOKEN), AuthScheme.HEADER)
    metrics = world.registry.call("GET", "/-/metrics").text
    assert 'package_events_total{event="push",format="maven",token_kind="job_token"} 1.0' in metrics
    assert 'package_events_total{event="pull",format="maven",token_kind="job_token"} 1.0' in metrics


# Faults


def test_fault_maven_deploy_token_refused(start: Any) -> None:
    world = base.make_world(start(faults=[Fault.MAVEN_DEPLOY_TOKEN_REFUSED]))
    with HttpDriver(world.registry.url) as http:
        for case in (CredentialCase.PROJECT_DEPLOY_TOKEN, CredentialCase.GROUP_DEPLOY_TOKEN):
            for scheme in (AuthScheme.HEADER, AuthScheme.BASIC):
                _, statuses = deploy(http, world, "lib", "1.0", case=case, scheme=scheme)
                assert statuses[0] == 401, (case, scheme)
        assert deploy(http, world, "lib", "1.0")[1] == CHECKSUM_ANSWERS * 3
    generic = world.registry.put(world.project["id"], headers=world.headers(CredentialCase.PROJECT_DEPLOY_TOKEN))
    assert generic.status_code == 201  # only the Maven endpoints refuse them


def test_fault_duplicate_race(start: Any) -> None:
    """Parallel uploads to one new version (mvn deploy -DdeployAtEnd with parallel threads) race to create it."""
    world = base.make_world(start(faults=[Fault.DUPLICATE_RACE]))
    registry, pid = world.registry, world.project["id"]
    prefix = project_path(pid) + "com/example/harness/lib/1.0/"
    answers: list[int] = []

    def put(file_name: str) -> None:
        answers.append(registry.call("PUT", prefix + file_name, registry.admin, data=b"x").status_code)

    threads = [threading.Thread(target=put, args=(name,)) for name in ("lib-1.0.jar", "lib-1.0.pom")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answers) == [200, 500]


def test_fault_anonymous_404_hides_the_challenge(start: Any) -> None:
    world = base.make_world(start(faults=[Fault.ANONYMOUS_404]))
    registry = world.registry
    with HttpDriver(registry.url) as http:
        jar, _ = deploy(http, world, "lib", "1.0")
    answer = maven_get(registry, project_path(world.project["id"]) + f"com/example/harness/lib/1.0/{jar.file_name}", {})
    assert answer.status_code == 404 and "WWW-Authenticate" not in answer.headers


# The real client


def _has_offline_mvn() -> str | None:
    if shutil.which("mvn") is None:
        return "mvn is not on PATH"
    plugins = Path(DEBIAN_REPOSITORY) / "org/apache/maven/plugins"
    for plugin in ("maven-deploy-plugin", "maven-dependency-plugin"):
        if not (plugins / plugin).is_dir():
            return f"{plugin} is not in Debian's Maven repository (Maven Central is not reachable here)"
    return None


def _run(call: Any, workdir: Path) -> subprocess.CompletedProcess[str]:
    for relative, content in call.files.items():
        (workdir / relative).write_text(content)
    env = {**os.environ, "HOME": str(workdir), **call.env}
    return subprocess.run(call.argv, cwd=workdir, env=env, capture_output=True, text=True, timeout=call.timeout_s)


@pytest.mark.slow
@pytest.mark.skipif(_has_offline_mvn() is not None, reason=str(_has_offline_mvn()))
def test_real_mvn_deploys_and_pulls_the_identical_jar(world: World, tmp_path: Path) -> None:
    """mvn deploy:deploy-file with a deploy token in Basic (sent up front on PUT), then dependency:copy with a job
    token in its header: the pulled jar is the pushed one."""
    recipe = RECIPES[0]
    registry, pid = world.registry, world.project["id"]
    jar = OPERATIONS.artifact("lib", "1.0", "", 20_000, 9)
    push_dir, pull_dir = tmp_path / "push", tmp_path / "pull"
    jar.write_to(push_dir)
    pull_dir.mkdir()
    target = ClientTarget(registry.url, pid, world.credential(CredentialCase.PROJECT_DEPLOY_TOKEN), AuthScheme.BASIC)
    pushed = _run(recipe.call("push", target, "lib", "1.0", jar.file_name), push_dir)
    assert pushed.returncode == 0, pushed.stdout[-3000:]
    target = ClientTarget(registry.url, pid, world.credential(CredentialCase.JOB_TOKEN), AuthScheme.HEADER)
    call = recipe.call("pull", target, "lib", "1.0", jar.file_name)
    pulled = _run(call, pull_dir)
    assert pulled.returncode == 0, pulled.stdout[-3000:]
    assert call.output is not None and (pull_dir / call.output).read_bytes() == b"".join(jar.chunks())
    listed = registry.packages(pid, package_type="maven", package_version="1.0").json()
    assert [p["name"] for p in listed] == [coordinates("lib", "1.0").package_name]
