"""The reference server's npm API (reference_server/formats/npm/) over HTTP, and once through the real npm client.

Servers run on loopback ports with their data under `tmp_path` (xdist-safe), provisioned through the GitLab REST
API like the harness does; the helpers come from tests/test_reference_server.py.
"""

import base64
import hashlib
import io
import itertools
import json
import shutil
import subprocess
import tarfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_reference_server import ADMIN_TOKEN, Registry, World, expect_head, make_world, raw_first_line

from core.client_recipe import ClientOp, ClientRecipe, ClientTarget
from core.format_types import BytesArtifact, Endpoint, RequestSpec
from core.permissions import expected_for
from core.vocabulary import AuthScheme, CredentialCase
from formats import npm
from formats.npm import RULES
from formats.npm.clients import RECIPES
from reference_server import Fault, ServerSettings, running_server

NAME = "@grp/pkg"
VERSIONS = itertools.count()


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[..., Registry]]:
    """Start a reference server with some settings; each stops at the end of the test."""
    with ExitStack() as stack:
        def start_one(**options: Any) -> Registry:
            data_dir = tmp_path / f"data-{len(stack._exit_callbacks)}"
            url = stack.enter_context(running_server(ServerSettings(data_dir=data_dir, admin_token=ADMIN_TOKEN,
                                                                    **options)))
            return Registry(url, data_dir)
        yield start_one


@pytest.fixture
def world(serve: Callable[..., Registry]) -> World:
    return make_world(serve())


def send(registry: Registry, spec: RequestSpec, headers: dict[str, str] | None = None) -> requests.Response:
    """A format's request, as the http driver would send it (admin credentials unless `headers` says)."""
    body = spec.body if spec.body is None or isinstance(spec.body, bytes) else b"".join(spec.body)
    return registry.call(spec.method, spec.path, {**spec.headers, **(registry.admin if headers is None else headers)},
                         params=spec.params, data=body)


def publish(registry: Registry, project: int | str, name: str = NAME, version: str = "1.0.0",
            headers: dict[str, str] | None = None, size: int = 4096, seed: int = 0) -> requests.Response:
    artifact = npm.OPERATIONS.artifact(name, version, "", size, seed)
    return send(registry, npm.publish(project, name, version, artifact), headers)


def document(name: str = NAME, version: str = "1.0.0", data: bytes | None = None) -> dict[str, Any]:
    """A publish document in memory, to be broken by a test."""
    artifact = npm.OPERATIONS.artifact(name, version, "", 2048, 0)
    spec = npm.publish(1, name, version, artifact)
    assert spec.body is not None and not isinstance(spec.body, bytes)
    parsed = json.loads(b"".join(spec.body))
    if data is not None:
        attachment = parsed["_attachments"][npm.tarball_file_name(name, version)]
        attachment["data"] = base64.b64encode(data).decode()
        parsed["versions"][version]["dist"] = {}
    return parsed


def put_document(registry: Registry, project: int, doc: Any, name: str = NAME) -> requests.Response:
    path = npm.publish(project, name, "1.0.0", npm.OPERATIONS.artifact(name, "1.0.0", "", 0, 0)).path
    body = doc if isinstance(doc, bytes) else json.dumps(doc).encode()
    return registry.call("PUT", path, {**registry.admin, "Content-Type": "application/json"}, data=body)


def tgz(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for path, data in files.items():
            info = tarfile.TarInfo(path)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


# --- publish, packument, tarball --------------------------------------------------------------------------------


def test_publish_then_read_the_packument_and_the_tarball(world: World) -> None:
    registry, pid = world.registry, world.project["id"]
    first = publish(registry, pid, version="1.0.0", seed=1)
    assert first.status_code == 200 and first.json()["package_type"] == "npm"
    assert publish(registry, pid, version="1.1.0-beta.1", seed=2).status_code == 200
    packument = send(registry, npm.packument(pid, NAME))
    assert packument.status_code == 200 and packument.headers["content-type"] == "application/json"
    body = packument.json()
    assert body["name"] == NAME and sorted(body["versions"]) == ["1.0.0", "1.1.0-beta.1"]
    assert body["dist-tags"] == {"latest": "1.1.0-beta.1"}  # each publish tagged its version latest
    artifact = npm.OPERATIONS.artifact(NAME, "1.0.0", "", 4096, 1)
    dist = body["versions"]["1.0.0"]["dist"]
    assert dist["tarball"] == f"{registry.url}/api/v4/projects/{pid}/packages/npm/@grp/pkg/-/@grp/pkg-1.0.0.tgz"
    assert dist["shasum"] == hashlib.sha1(artifact.data).hexdigest()
    assert dist["integrity"] == "sha512-" + base64.b64encode(hashlib.sha512(artifact.data).digest()).decode()
    tarball = registry.call("GET", dist["tarball"].removeprefix(registry.url), registry.admin)
    assert tarball.status_code == 200 and tarball.content == artifact.data
    assert send(registry, npm.OPERATIONS.pull(pid, NAME, "1.0.0", artifact.file_name)).content == artifact.data
    listed = registry.packages(pid, package_type="npm").json()
    assert [(p["name"], p["version"]) for p in listed] == [(NAME, "1.0.0"), (NAME, "1.1.0-beta.1")]


def test_unscoped_names_and_project_paths_work_too(world: World) -> None:
    registry = world.registry
    assert publish(registry, "grp/proj", "plain", "0.1.0").status_code == 200
    packument = send(registry, npm.packument("grp/proj", "plain")).json()
    tarball_path = packument["versions"]["0.1.0"]["dist"]["tarball"].removeprefix(registry.url)
    assert tarball_path.endswith("/packages/npm/plain/-/plain-0.1.0.tgz")
    assert registry.call("GET", tarball_path, registry.admin).status_code == 200


def test_reads_of_unknown_packages_and_files_are_404(world: World) -> None:
    registry, pid = world.registry, world.project["id"]
    assert send(registry, npm.packument(pid, "@grp/none")).status_code == 404
    publish(registry, pid)
    assert send(registry, npm.download(pid, NAME, "9.9.9")).status_code == 404
    wrong_file = registry.call("GET", f"/api/v4/projects/{pid}/packages/npm/{NAME}/-/other-1.0.0.tgz", registry.admin)
    assert wrong_file.status_code == 404


def test_a_duplicate_publish_is_refused_and_changes_nothing(world: World) -> None:
    registry, pid = world.registry, world.project["id"]
    assert publish(registry, pid, seed=1).status_code == 200
    again = publish(registry, pid, seed=2)
    assert again.status_code == RULES.duplicates.refused_status == 403
    assert RULES.duplicates.refused_message in again.json()["message"]
    served = send(registry, npm.download(pid, NAME, "1.0.0")).content
    assert served == npm.OPERATIONS.artifact(NAME, "1.0.0", "", 4096, 1).data


BROKEN_DOCUMENTS: dict[str, tuple[Callable[[], Any], str]] = {
    "not_json": (lambda: b"{not json", "the body is not JSON"),
    "not_an_object": (lambda: [1, 2], "must be a JSON object"),
    "other_name": (lambda: document("@grp/other"), "is not the package name in the URL"),
    "two_versions": (lambda: {**document(), "versions": {"1.0.0": {}, "2.0.0": {}}}, "exactly one version"),
    "bad_version": (lambda: document(version="1.0"), "package_version is invalid"),
    "no_attachment": (lambda: {**document(), "_attachments": {}}, "Attachment data is empty"),
    "no_tag": (lambda: {**document(), "dist-tags": {}}, "dist-tags must tag the published version"),
    "bad_tag": (lambda: {**document(), "dist-tags": {"v1": "1.0.0"}}, "dist-tag 'v1' is invalid"),
    "bad_base64": (lambda: document(data=b"x") | {"_attachments": {"@grp/pkg-1.0.0.tgz": {"data": "!!!="}}},
                   "not valid base64"),
    "not_gzip": (lambda: document(data=b"just some bytes"), "not a gzip-compressed tar archive"),
    "no_package_json": (lambda: document(data=tgz({"package/index.js": b"1"})), "no package/package.json"),
    "package_json_not_json": (lambda: document(data=tgz({"package/package.json": b"{"})), "not valid JSON"),
    "package_json_other_version": (
        lambda: document(data=tgz({"package/package.json": b'{"name": "@grp/pkg", "version": "2.0.0"}'})),
        "package/package.json is @grp/pkg@2.0.0"),
    "wrong_shasum": (lambda: {**document(), "versions": {"1.0.0": {
        **document()["versions"]["1.0.0"], "dist": {"shasum": "0" * 40}}}}, "dist.shasum is not the sha1"),
}


@pytest.mark.parametrize("case", list(BROKEN_DOCUMENTS))
def test_a_broken_publish_is_400_naming_the_problem_and_stores_nothing(world: World, case: str) -> None:
    registry, pid = world.registry, world.project["id"]
    make, message = BROKEN_DOCUMENTS[case]
    response = put_document(registry, pid, make())
    assert response.status_code == 400 and message in response.json()["message"], response.text
    assert send(registry, npm.packument(pid, NAME)).status_code == 404
    assert registry.stored_files() == [] and list((registry.data_dir / "tmp").iterdir()) == []


def test_deprecate_is_refused_as_unsupported(world: World) -> None:
    headers = {**world.registry.admin, "npm-command": "deprecate", "Content-Type": "application/json"}
    path = f"/api/v4/projects/{world.project['id']}/packages/npm/pkg"
    response = world.registry.call("PUT", path, headers, data=b"{}")
    assert response.status_code == 400 and "deprecate is not supported" in response.text


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(alphabet="ab9-._@/A~+ !", min_size=1, max_size=12))
def test_names_are_accepted_exactly_as_the_rules_say(world: World, name: str) -> None:
    response = publish(world.registry, world.project["id"], name, f"1.0.{next(VERSIONS)}", size=0)
    if RULES.name_error(name) is None:
        assert response.status_code == 200, response.text
    elif name == "..":  # a dot segment: the HTTP client removes it, so the request goes elsewhere
        assert response.status_code in (404, 405)
    else:
        assert response.status_code == 400 and "package_name is invalid" in response.text


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(alphabet="0123-.+aZ", min_size=1, max_size=14))
def test_versions_are_accepted_exactly_as_the_rules_say(world: World, version: str) -> None:
    response = publish(world.registry, world.project["id"], f"pkg-{next(VERSIONS)}", version, size=0)
    if RULES.version_error(version) is None:
        assert response.status_code == 200, response.text
    else:
        assert response.status_code == 400 and "package_version is invalid" in response.text


def test_size_limit_refuses_with_gitlabs_answer_and_early_when_the_body_cannot_fit(
        serve: Callable[..., Registry]) -> None:
    registry = serve(size_limits={"npm": 10_000})
    world = make_world(registry)
    pid = world.project["id"]
    over = publish(registry, pid, size=20_000)
    assert over.status_code == RULES.too_large_status == 400
    assert "File is too large" in over.text and "10000 bytes" in over.text
    assert publish(registry, pid, size=9_000).status_code == 200
    path = npm.publish(pid, NAME, "2.0.0", npm.OPERATIONS.artifact(NAME, "2.0.0", "", 0, 0)).path
    early = raw_first_line(registry.url, expect_head(path, registry.admin, 1 << 30))
    assert early == ["HTTP/1.1 413 Request Entity Too Large"]  # before 100 Continue: the body is never sent
    assert len(registry.stored_files()) == 1


def test_refusals_before_the_body_come_before_100_continue(world: World) -> None:
    registry, pid = world.registry, world.project["id"]
    path = npm.publish(pid, NAME, "1.0.0", npm.OPERATIONS.artifact(NAME, "1.0.0", "", 0, 0)).path
    assert raw_first_line(registry.url, expect_head(path, {}, 1000)) == ["HTTP/1.1 401 Unauthorized"]
    read_only = world.headers(CredentialCase.READ_ONLY_DEPLOY_TOKEN, AuthScheme.BEARER)
    assert raw_first_line(registry.url, expect_head(path, read_only, 1000)) == ["HTTP/1.1 403 Forbidden"]
    bad_name = path.replace("@grp%2Fpkg", "Bad")
    assert raw_first_line(registry.url, expect_head(bad_name, registry.admin, 1000)) == ["HTTP/1.1 400 Bad Request"]


# --- permissions ------------------------------------------------------------------------------------------------


def test_every_answer_agrees_with_the_permission_table(world: World) -> None:
    """Each credential case in each scheme, on every npm endpoint, gets the table's answer (deploy tokens as
    Bearer included: that is how npm sends them)."""
    registry, pid = world.registry, world.project["id"]
    assert publish(registry, pid, version="1.0.0").status_code == 200
    requests_for: dict[str, Callable[[str], RequestSpec]] = {
        "publish": lambda case: npm.publish(pid, f"@grp/p-{case}", "1.0.0",
                                            npm.OPERATIONS.artifact(f"@grp/p-{case}", "1.0.0", "", 0, 0)),
        "packument": lambda case: npm.packument(pid, NAME),
        "tarball": lambda case: npm.download(pid, NAME, "1.0.0"),
        "dist_tags": lambda case: npm.dist_tags(pid, NAME),
        "dist_tag_add": lambda case: npm.add_dist_tag(pid, NAME, "beta", "1.0.0"),
        "dist_tag_remove": lambda case: npm.remove_dist_tag(pid, NAME, "gone"),
        "instance_packument": lambda case: npm.instance_packument(NAME),
        "instance_dist_tags": lambda case: npm.instance_dist_tags(NAME),
        "instance_dist_tag_add": lambda case: npm.instance_add_dist_tag(NAME, "rc", "1.0.0"),
        "instance_dist_tag_remove": lambda case: npm.instance_remove_dist_tag(NAME, "gone"),
    }
    mismatches = []
    for case in CredentialCase:
        schemes = [AuthScheme.NONE] if case is CredentialCase.ANONYMOUS else \
            [AuthScheme.HEADER, AuthScheme.BASIC, AuthScheme.BEARER]
        for scheme, (name, make) in itertools.product(schemes, requests_for.items()):
            endpoint: Endpoint = npm.NPM.endpoint(name)
            expected = expected_for(case, endpoint.operation, endpoint.auth, scheme)
            if name.endswith("dist_tag_remove"):
                assert send(registry, npm.add_dist_tag(pid, NAME, "gone", "1.0.0")).status_code == 204
            response = send(registry, make(f"{case.value}-{scheme.value}"), world.headers(case, scheme))
            want = endpoint.success_status if expected.permitted else expected.status
            if response.status_code != want:
                mismatches.append(f"{case.value}/{scheme.value}/{name}: {response.status_code} "
                                  f"{response.text[:80]}, want {want} ({expected.reason})")
    assert not mismatches, "\n".join(mismatches)


def test_a_public_project_is_readable_anonymously_but_not_writable(serve: Callable[..., Registry]) -> None:
    registry = serve()
    group = registry.group("pub")
    project = registry.project(group["id"], "open", visibility="public")
    assert publish(registry, project["id"], "@pub/pkg").status_code == 200
    assert send(registry, npm.packument(project["id"], "@pub/pkg"), {}).status_code == 200
    assert send(registry, npm.instance_packument("@pub/pkg"), {}).status_code == 200
    assert send(registry, npm.download(project["id"], "@pub/pkg", "1.0.0"), {}).status_code == 200
    assert publish(registry, project["id"], "@pub/pkg", "2.0.0", headers={}).status_code == 401


# --- dist-tags and the instance level ---------------------------------------------------------------------------


def test_dist_tags_at_the_project_and_the_instance_level(world: World) -> None:
    registry, pid = world.registry, world.project["id"]
    publish(registry, pid, version="1.0.0")
    publish(registry, pid, version="2.0.0-rc.1")
    assert send(registry, npm.add_dist_tag(pid, NAME, "stable", "1.0.0")).status_code == 204
    assert send(registry, npm.instance_add_dist_tag(NAME, "next", "2.0.0-rc.1")).status_code == 204
    tags = {"latest": "2.0.0-rc.1", "next": "2.0.0-rc.1", "stable": "1.0.0"}
    assert send(registry, npm.dist_tags(pid, NAME)).json() == tags
    assert send(registry, npm.instance_dist_tags(NAME)).json() == tags
    assert send(registry, npm.packument(pid, NAME)).json()["dist-tags"] == tags
    assert send(registry, npm.remove_dist_tag(pid, NAME, "stable")).status_code == 204
    assert send(registry, npm.instance_remove_dist_tag(NAME, "next")).status_code == 204
    assert send(registry, npm.remove_dist_tag(pid, NAME, "stable")).status_code == 404
    assert send(registry, npm.dist_tags(pid, NAME)).json() == {"latest": "2.0.0-rc.1"}
    assert send(registry, npm.add_dist_tag(pid, NAME, "old", "0.0.1")).status_code == 404
    bad_tag = send(registry, npm.add_dist_tag(pid, NAME, "1.x", "1.0.0"))
    assert bad_tag.status_code == 400 and "tag '1.x' is invalid" in bad_tag.text
    no_version = registry.call("PUT", npm.add_dist_tag(pid, NAME, "beta", "").path, registry.admin, data=b'""')
    assert no_version.status_code == 400 and "Version is missing" in no_version.text
    assert send(registry, npm.dist_tags(pid, "@grp/none")).status_code == 404


def test_the_instance_level_finds_the_project_by_scope(world: World) -> None:
    registry = world.registry
    sub_pid = world.sub_project["id"]  # grp/sub/subproj: the scope is the top-level group, grp
    assert publish(registry, sub_pid, "@grp/deep", "1.0.0").status_code == 200
    found = send(registry, npm.instance_packument("@grp/deep"))
    assert found.status_code == 200
    tarball = found.json()["versions"]["1.0.0"]["dist"]["tarball"]
    assert f"/api/v4/projects/{sub_pid}/packages/npm/@grp/deep/-/" in tarball  # tarballs are project-level
    assert publish(registry, world.project["id"], "@grp/deep", "2.0.0").status_code == 200
    newest = send(registry, npm.instance_packument("@grp/deep")).json()
    assert list(newest["versions"]) == ["2.0.0"]  # the project that published the name last
    assert publish(registry, sub_pid, "@sub/x").status_code == 200
    assert publish(registry, sub_pid, "unscoped").status_code == 200
    for name in ("@sub/x", "unscoped", "@nosuchgroup/x"):  # a subgroup is no scope; unscoped names have none
        response = send(registry, npm.instance_packument(name))
        assert response.status_code == 404 and "found by its scope" in response.text


def test_a_packument_with_hundreds_of_versions_is_quick(world: World) -> None:
    registry, pid = world.registry, world.project["id"]
    for minor in range(300):
        assert publish(registry, pid, "many", f"1.{minor}.0", size=0).status_code == 200
    began = time.monotonic()
    response = send(registry, npm.packument(pid, "many"))
    elapsed = time.monotonic() - began
    assert response.status_code == 200 and len(response.json()["versions"]) == 300
    assert response.json()["dist-tags"]["latest"] == "1.299.0"
    assert elapsed < 0.5, f"the packument took {elapsed:.2f} s"


# --- concurrency, faults, metrics -------------------------------------------------------------------------------


def concurrent_publish_statuses(registry: Registry, project: int, count: int = 2) -> list[int]:
    statuses: list[int] = []
    barrier = threading.Barrier(count)

    def one(seed: int) -> None:
        barrier.wait()
        statuses.append(publish(registry, project, "@grp/race", "1.0.0", seed=seed).status_code)

    threads = [threading.Thread(target=one, args=(seed,)) for seed in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(statuses)


def test_concurrent_publishes_of_one_version_make_one_package(world: World) -> None:
    assert concurrent_publish_statuses(world.registry, world.project["id"]) == [200, 403]
    assert len(world.registry.packages(world.project["id"], package_type="npm").json()) == 1


def fault_duplicate_race(world: World) -> None:
    assert 500 in concurrent_publish_statuses(world.registry, world.project["id"])


def fault_ignore_reject_duplicates(world: World) -> None:
    pid = world.project["id"]
    assert [publish(world.registry, pid, seed=seed).status_code for seed in (1, 2)] == [200, 200]


def fault_oldest_file_wins(world: World) -> None:
    pid = world.project["id"]
    publish(world.registry, pid, seed=1)
    publish(world.registry, pid, seed=2)
    served = send(world.registry, npm.download(pid, NAME, "1.0.0")).content
    assert served == npm.OPERATIONS.artifact(NAME, "1.0.0", "", 4096, 1).data


def fault_corrupt_download(world: World) -> None:
    publish(world.registry, world.project["id"])
    served = send(world.registry, npm.download(world.project["id"], NAME, "1.0.0")).content
    assert served != npm.OPERATIONS.artifact(NAME, "1.0.0", "", 4096, 0).data


def fault_no_size_limit(world: World) -> None:
    assert publish(world.registry, world.project["id"], size=20_000).status_code == 200  # the limit is 10000


def fault_read_only_deploy_can_write(world: World) -> None:
    headers = world.headers(CredentialCase.READ_ONLY_DEPLOY_TOKEN, AuthScheme.BEARER)
    assert publish(world.registry, world.project["id"], headers=headers).status_code == 200


def fault_read_body_before_auth(world: World) -> None:
    path = npm.publish(world.project["id"], NAME, "1.0.0", npm.OPERATIONS.artifact(NAME, "1.0.0", "", 0, 0)).path
    lines = raw_first_line(world.registry.url, expect_head(path, {}, 2), b"{}", read_interim=True)
    assert lines == ["HTTP/1.1 100 Continue", "HTTP/1.1 401 Unauthorized"]


NPM_FAULTS: dict[Fault, Callable[[World], None]] = {
    fault: globals()[f"fault_{fault.value}"] for fault in Fault if f"fault_{fault.value}" in globals()
}


@pytest.mark.parametrize("fault", list(NPM_FAULTS), ids=lambda f: f.value)
def test_each_fault_changes_npm_as_it_says(serve: Callable[..., Registry], fault: Fault) -> None:
    NPM_FAULTS[fault](make_world(serve(faults=frozenset({fault}), size_limits={"npm": 10_000})))


def test_metrics_count_publishes_and_tarball_downloads(world: World) -> None:
    registry, pid = world.registry, world.project["id"]

    def counter(event: str, kind: str) -> float:
        line = f'package_events_total{{event="{event}",format="npm",token_kind="{kind}"}}'
        values = [float(row.split()[-1]) for row in registry.call("GET", "/-/metrics").text.splitlines()
                  if row.startswith(line)]
        return values[0] if values else 0.0

    deploy = world.headers(CredentialCase.PROJECT_DEPLOY_TOKEN, AuthScheme.BEARER)
    assert publish(registry, pid, headers=deploy).status_code == 200
    job = world.headers(CredentialCase.JOB_TOKEN, AuthScheme.BEARER)
    for _ in range(2):
        assert send(registry, npm.download(pid, NAME, "1.0.0"), job).status_code == 200
    send(registry, npm.packument(pid, NAME), job)  # metadata is not a pull
    assert counter("push", "project_deploy_token") == 1 and counter("pull", "job_token") == 2


# --- the real npm client ----------------------------------------------------------------------------------------


def run_client(recipe: ClientRecipe, op: ClientOp, target: ClientTarget, name: str, version: str,
               workdir: Path, artifact: BytesArtifact | None = None) -> tuple[int, str, Path | None]:
    """Run a recipe's call on the host the way the client driver does: files written, HOME = working dir."""
    workdir.mkdir(parents=True)
    file_name = artifact.write_to(workdir).name if artifact is not None else ""
    call = recipe.call(op, target, name, version, file_name)
    for path, content in call.files.items():
        (workdir / path).write_text(content)
    env = {"HOME": str(workdir), "PATH": "/usr/local/bin:/usr/bin:/bin"}
    result = subprocess.run(call.argv, cwd=workdir, env=env, capture_output=True, text=True, timeout=call.timeout_s)
    output = workdir / call.output if call.output else None
    return result.returncode, result.stdout + result.stderr, output


@pytest.mark.skipif(shutil.which("npm") is None, reason="the npm client is not installed on this host")
def test_the_real_npm_client_publishes_packs_and_is_refused(world: World, tmp_path: Path) -> None:
    npm_client = {r.name: r for r in RECIPES}["npm"]
    workdirs = (tmp_path / f"npm-{n}" for n in itertools.count())

    def target(case: CredentialCase) -> ClientTarget:
        return ClientTarget(world.registry.url, world.project["id"], world.credential(case), AuthScheme.BEARER,
                            top_group_path="grp")

    for case in (CredentialCase.PROJECT_DEPLOY_TOKEN, CredentialCase.JOB_TOKEN):
        name = f"@grp/by-{case.value.replace('_', '-')}"
        artifact = npm.OPERATIONS.artifact(name, "1.0.0", "", 50_000, 3)
        code, output, _ = run_client(npm_client, "push", target(case), name, "1.0.0", next(workdirs), artifact)
        assert code == 0, output
        code, output, packed = run_client(npm_client, "pull", target(CredentialCase.PERSONAL_ACCESS_TOKEN), name,
                                          "1.0.0", next(workdirs))
        assert code == 0 and packed is not None and packed.read_bytes() == artifact.data, output
    name = "@grp/by-project-deploy-token"
    again = npm.OPERATIONS.artifact(name, "1.0.0", "", 50_000, 4)
    code, output, _ = run_client(npm_client, "push", target(CredentialCase.PERSONAL_ACCESS_TOKEN), name, "1.0.0",
                                 next(workdirs), again)
    assert code != 0 and "403" in output  # the registry refused the duplicate (npm's own check is skipped)
    read_only = target(CredentialCase.READ_ONLY_DEPLOY_TOKEN)
    code, output, _ = run_client(npm_client, "push", read_only, "@grp/ro", "1.0.0", next(workdirs),
                                 npm.OPERATIONS.artifact("@grp/ro", "1.0.0", "", 1000, 0))
    assert code != 0 and "E403" in output
    code, output, _ = run_client(npm_client, "metadata", read_only, name, "1.0.0", next(workdirs))
    assert code == 0 and json.loads(output)["dist"]["tarball"].startswith(world.registry.url)
    listed = world.registry.packages(world.project["id"], package_type="npm").json()
    assert sorted(p["name"] for p in listed) == ["@grp/by-job-token", "@grp/by-project-deploy-token"]
