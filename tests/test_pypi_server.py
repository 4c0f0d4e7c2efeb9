"""The reference server's PyPI API over HTTP: upload as twine does, simple pages (PEP 503 HTML and PEP 691 JSON),
downloads, the group level, every refusal and the faults PyPI implements, and one round trip with the real twine,
pip and uv when they are installed (PATH, or a bin directory named by HARNESS_PYPI_CLIENTS).

Servers come from tests/test_reference_server.py's fixtures (`start`, `registry`, `world`).
"""

import itertools
import os
import re
import shutil
import threading
import zipfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import anyio
import pytest
import requests
import test_reference_server as base
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.client_recipe import ClientTarget
from core.format_types import Artifact, BytesArtifact, RequestSpec
from core.permissions import expected_for
from core.vocabulary import AuthScheme, CredentialCase, Operation
from engine.clients.driver import ClientDriver
from engine.containers.run import HostRunner
from engine.drivers.base import Observation
from engine.drivers.http import HttpDriver
from formats import pypi
from formats.pypi import RULES, WheelArtifact, build_sdist, upload
from formats.pypi.clients import RECIPES
from reference_server import Fault
from reference_server.formats.pypi.distributions import InvalidDistribution, inspect
from reference_server.formats.pypi.multipart import MultipartError, MultipartReader, boundary_of

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


def send(http: HttpDriver, world: World, spec: RequestSpec, case: CredentialCase = OWNER,
         scheme: AuthScheme = AuthScheme.BASIC) -> Observation:
    if case is CredentialCase.ANONYMOUS:
        scheme = AuthScheme.NONE
    return http.send(spec, world.credential(case), scheme)


def push(http: HttpDriver, world: World, artifact: Artifact, name: str, version: str,
         case: CredentialCase = OWNER, scheme: AuthScheme = AuthScheme.BASIC, project_id: int | None = None,
         fields: dict[str, str | None] | None = None) -> Observation:
    spec = upload(project_id or world.project["id"], name, version, artifact, fields=fields)
    return send(http, world, spec, case, scheme)


def message(observation: Observation) -> str:
    body = observation.json()
    return str(body.get("message") or body.get("error"))


# Round trip


def test_upload_simple_pages_and_download(world: World, http: HttpDriver) -> None:
    pid = world.project["id"]
    wheel = WheelArtifact("Friendly.Bard", "1.0", 6000, seed=1)
    assert push(http, world, wheel, "Friendly.Bard", "1.0").status == 201
    sdist = build_sdist("Friendly.Bard", "1.0", 3000, seed=1)
    assert push(http, world, sdist, "Friendly.Bard", "1.0").status == 201  # another file of the same version
    assert push(http, world, WheelArtifact("Friendly.Bard", "2.0b1", 3000), "Friendly.Bard", "2.0b1").status == 201

    page = send(http, world, pypi.simple_package(pid, "friendly-bard"))
    html = page.body_excerpt.decode()
    assert page.status == 200 and page.headers["content-type"].startswith("text/html")
    file_url = f"{http.base_url}/api/v4/projects/{pid}/packages/pypi/files/{wheel.sha256()}/{wheel.file_name}"
    assert f'<a href="{file_url}#sha256={wheel.sha256()}" data-requires-python="&gt;=3.8">{wheel.file_name}</a>' \
        in html
    assert sdist.file_name in html and "friendly_bard-2.0b1-py3-none-any.whl" in html
    for spelling in ("Friendly_Bard", "friendly.bard", "FRIENDLY-BARD/"):  # any spelling, with a slash or not
        spec = pypi.simple_package(pid, "x")
        spec.path = f"/api/v4/projects/{pid}/packages/pypi/simple/{spelling}"
        assert send(http, world, spec).body_excerpt.decode() == html

    as_json = send(http, world, pypi.simple_package(pid, "Friendly.Bard", json=True))
    assert as_json.headers["content-type"] == pypi.SIMPLE_JSON and as_json.headers["vary"] == "Accept"
    document = as_json.json()
    assert document["meta"] == {"api-version": "1.0"} and document["name"] == "friendly-bard"
    assert {"filename": wheel.file_name, "url": file_url, "hashes": {"sha256": wheel.sha256()},
            "requires-python": ">=3.8"} in document["files"]

    index = send(http, world, pypi.simple_index(pid))
    assert '/packages/pypi/simple/friendly-bard">Friendly.Bard</a>' in index.body_excerpt.decode()
    assert send(http, world, pypi.simple_index(pid, json=True)).json()["projects"] == [{"name": "Friendly.Bard"}]

    pulled = send(http, world, pypi.download(pid, wheel.sha256(), wheel.file_name), CredentialCase.JOB_TOKEN)
    assert pulled.status == 200 and pulled.body_sha256 == wheel.sha256()
    assert pulled.headers["x-checksum-sha256"] == wheel.sha256()
    wrong_sha = send(http, world, pypi.download(pid, sdist.sha256(), wheel.file_name))
    assert wrong_sha.status == 404 and message(wrong_sha) == "404 Package Not Found"
    assert send(http, world, pypi.simple_package(pid, "no-such")).status == 404

    metrics = requests.get(http.base_url + "/-/metrics", timeout=10).text
    assert 'package_events_total{event="push",format="pypi",token_kind="personal_access_token"} 3.0' in metrics
    assert 'package_events_total{event="pull",format="pypi",token_kind="job_token"} 1.0' in metrics
    listed = world.registry.packages(pid, package_type="pypi").json()
    assert sorted((p["name"], p["version"]) for p in listed) == [("Friendly.Bard", "1.0"), ("Friendly.Bard", "2.0b1")]


def test_large_wheel_streams_through(world: World, http: HttpDriver) -> None:
    wheel = WheelArtifact("big-wheel", "1.0", 24 << 20, seed=9)
    pushed = push(http, world, wheel, "big-wheel", "1.0")
    assert pushed.status == 201 and pushed.sent_size == upload(1, "big-wheel", "1.0", wheel).body_size
    pulled = send(http, world, pypi.download(world.project["id"], wheel.sha256(), wheel.file_name))
    assert pulled.body_size == wheel.size and pulled.body_sha256 == wheel.sha256()


# Auth


def test_every_answer_agrees_with_the_permission_table(world: World, http: HttpDriver) -> None:
    pid = world.project["id"]
    seed = WheelArtifact("seed-pkg", "1.0", 2000)
    assert push(http, world, seed, "seed-pkg", "1.0").status == 201
    counter = itertools.count()
    endpoints = [(pypi.UPLOAD, Operation.PUSH), (pypi.SIMPLE_PACKAGE, Operation.METADATA),
                 (pypi.SIMPLE_INDEX, Operation.LIST), (pypi.DOWNLOAD, Operation.PULL)]
    mismatches = []
    for case in CredentialCase:
        schemes = [AuthScheme.NONE] if case is CredentialCase.ANONYMOUS else [AuthScheme.BASIC, AuthScheme.HEADER]
        for scheme in schemes:
            for endpoint, operation in endpoints:
                expected = expected_for(case, operation, endpoint.auth, scheme)
                if operation is Operation.PUSH:
                    version = f"1.{next(counter)}"
                    spec = upload(pid, "table-pkg", version, WheelArtifact("table-pkg", version, 2000))
                elif operation is Operation.METADATA:
                    spec = pypi.simple_package(pid, "seed-pkg")
                elif operation is Operation.LIST:
                    spec = pypi.simple_index(pid)
                else:
                    spec = pypi.download(pid, seed.sha256(), seed.file_name)
                got = http.send(spec, world.credential(case), scheme)
                want = endpoint.success_status if expected.permitted else expected.status
                if got.status != want or (expected.challenge and "www-authenticate" not in got.headers):
                    mismatches.append(f"{case.value}/{scheme.value}/{endpoint.name}: {got.status}, want {want}")
    assert not mismatches, "\n".join(mismatches)


def test_refusals_before_the_body(world: World, http: HttpDriver) -> None:
    wheel = WheelArtifact("early", "1.0", 4 << 20)
    anonymous = push(http, world, wheel, "early", "1.0", CredentialCase.ANONYMOUS)
    assert anonymous.status == 401 and not anonymous.body_sent
    assert anonymous.headers["www-authenticate"] == 'Basic realm="GitLab Packages Registry"'
    read_only = push(http, world, wheel, "early", "1.0", CredentialCase.READ_ONLY_DEPLOY_TOKEN)
    assert read_only.status == 403 and not read_only.body_sent
    other = push(http, world, wheel, "early", "1.0", CredentialCase.OTHER_PROJECT_TOKEN)
    assert other.status == 404 and message(other) == "404 Project Not Found"


def test_size_limit_by_declared_length_and_while_streaming(start: base.Any) -> None:
    registry = start(size_limits={"pypi": 10_000})
    world = base.make_world(registry)
    with HttpDriver(registry.url) as http:
        # The form's other fields come first: once they are read the file's exact size is known, before its bytes,
        # so a file of exactly the limit is taken and one byte over is refused as its part begins. (A body this small
        # is all in the socket before the answer: scenarios/experiment/over-limit proves the early answer with GiBs.)
        assert push(http, world, WheelArtifact("fits", "1.0", 10_000), "fits", "1.0").status == 201
        over = push(http, world, WheelArtifact("over", "1.0", 10_001), "over", "1.0")
        assert over.status == 413 and "limit of 10000 bytes" in message(over)
    spec = upload(world.project["id"], "chunked", "1.0", WheelArtifact("chunked", "1.0", 20_000))
    chunked = requests.post(registry.url + spec.path, data=iter(spec.body), headers={  # type: ignore[arg-type]
        **spec.headers, **world.headers(OWNER)}, timeout=30)
    assert chunked.status_code == 413 and "limit of 10000 bytes" in chunked.text
    assert not [p for p in registry.packages(world.project["id"]).json() if p["name"] in ("over", "chunked")]
    assert registry.stored_files() and not list((registry.data_dir / "tmp").iterdir())


def test_refusals_name_the_rule(world: World, http: HttpDriver) -> None:
    wheel = WheelArtifact("rules-pkg", "1.0", 3000)
    assert push(http, world, wheel, "rules-pkg", "1.0").status == 201
    duplicate = push(http, world, wheel, "rules-pkg", "1.0")
    assert (duplicate.status, message(duplicate)) == (
        RULES.duplicates.refused_status, "400 Bad Request - Validation failed: File name has already been taken")
    other = WheelArtifact("rules-pkg", "1.1", 3000)
    cases = {
        "sha256_digest": push(http, world, other, "rules-pkg", "1.1", fields={"sha256_digest": "0" * 64}),
        "md5_digest": push(http, world, other, "rules-pkg", "1.1", fields={"md5_digest": "0" * 32}),
        "sha256_digest is invalid": push(http, world, other, "rules-pkg", "1.1", fields={"sha256_digest": "xyz"}),
        "name is missing": push(http, world, other, "rules-pkg", "1.1", fields={"name": None}),
        "name is invalid: a PEP 508 name": push(http, world, other, "-bad-", "1.1"),
        "version is invalid: a PEP 440 version": push(http, world, other, "rules-pkg", "one"),
        "not for rules-pkg 1.2": push(http, world, other, "rules-pkg", "1.2"),
        "has no rules_pkg-1.1.dist-info": push(http, world, BytesArtifact("rules_pkg-1.1-py3-none-any.whl", b"".join(
            WheelArtifact("impostor", "1.1", 3000).chunks())), "rules-pkg", "1.1"),
        "not a valid zip archive": push(http, world, BytesArtifact("rules_pkg-1.1-py3-none-any.whl", b"junk" * 50),
                                        "rules-pkg", "1.1"),
        "has no rules_pkg-1.1/PKG-INFO": push(http, world, BytesArtifact("rules_pkg-1.1.tar.gz", build_sdist(
            "other", "1.1", 100).data), "rules-pkg", "1.1"),
        "content is invalid": push(http, world, BytesArtifact("setup.exe", b"MZ"), "rules-pkg", "1.1"),
    }
    for expected, answer in cases.items():
        assert answer.status == 400 and expected in message(answer), (expected, message(answer))
    not_a_form = send(http, world, RequestSpec(pypi.UPLOAD, pypi.UPLOAD.url_path(project_id=world.project["id"]),
                                               headers={"Content-Type": "application/json"}, body=b"{}"))
    assert not_a_form.status == 400 and "multipart/form-data" in message(not_a_form)
    spec = upload(world.project["id"], "rules-pkg", "1.1", other)
    cut = RequestSpec(spec.endpoint, spec.path, headers=spec.headers, body=b"".join(spec.body)[:-200])  # type: ignore
    assert send(http, world, cut).status == 400
    assert not list((world.registry.data_dir / "tmp").iterdir())
    versions = [p["version"] for p in world.registry.packages(world.project["id"], package_type="pypi").json()]
    assert versions == ["1.0"]


names = st.text(alphabet="aZ09._-+/ ", min_size=1, max_size=10)
versions = st.text(alphabet="0123456789.v!+-_abcrpostdevl", min_size=1, max_size=10)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=names, version=versions)
def test_server_accepts_exactly_what_the_rules_accept(world: World, http: HttpDriver, name: str,
                                                      version: str) -> None:
    unique = f"{abs(hash((name, version))) % 10**9}"
    name_ok, version_ok = RULES.name_error(name) is None, RULES.version_error(version) is None
    artifact_name = name if name_ok else "placeholder"
    artifact_version = version if version_ok else "1.0"
    if name_ok:  # a fresh project name per example, so accepted uploads never meet as duplicates
        name = artifact_name = f"{name}-{unique}"
    wheel = WheelArtifact(artifact_name, artifact_version, 1500)
    answer = push(http, world, wheel, name, version)
    if name_ok and version_ok:
        assert answer.status in (201, 400)
        assert answer.status == 201 or "File name has already been taken" in message(answer), message(answer)
    else:
        assert answer.status == 400
        assert ("name is invalid" if not name_ok else "version is invalid") in message(answer)


# The group level


def test_group_simple_index_merges_the_readable_projects(world: World, http: HttpDriver) -> None:
    group_id = world.group["id"]
    in_project, in_sub = WheelArtifact("top-pkg", "1.0", 2000), WheelArtifact("sub-pkg", "1.0", 2000)
    assert push(http, world, in_project, "top-pkg", "1.0").status == 201
    assert push(http, world, in_sub, "sub-pkg", "1.0", project_id=world.sub_project["id"]).status == 201
    for case in (OWNER, CredentialCase.GROUP_DEPLOY_TOKEN):
        index = send(http, world, pypi.group_simple_index(group_id, json=True), case)
        assert {p["name"] for p in index.json()["projects"]} == {"top-pkg", "sub-pkg"}
    page = send(http, world, pypi.group_simple_package(group_id, "sub_pkg"), CredentialCase.GROUP_DEPLOY_TOKEN)
    group_url = f"/api/v4/groups/{group_id}/-/packages/pypi/files/{in_sub.sha256()}/{in_sub.file_name}"
    assert group_url in page.body_excerpt.decode()
    pulled = send(http, world, pypi.group_download(group_id, in_sub.sha256(), in_sub.file_name), OWNER)
    assert pulled.status == 200 and pulled.body_sha256 == in_sub.sha256()

    # A project's deploy token has no `read_group` on a private group (`find_authorized_group!`): 404.
    project_token = send(http, world, pypi.group_simple_index(group_id, json=True), CredentialCase.PROJECT_DEPLOY_TOKEN)
    assert project_token.status == 404 and message(project_token) == "404 Group Not Found"
    anonymous = send(http, world, pypi.group_simple_index(group_id), CredentialCase.ANONYMOUS)
    assert anonymous.status == 401 and "basic" in anonymous.headers["www-authenticate"].lower()
    for case in (OWNER, CredentialCase.ANONYMOUS):
        unknown = send(http, world, pypi.group_simple_index(999_999), case)
        assert unknown.status == 404 and message(unknown) == "404 Group Not Found"
    revoked = send(http, world, pypi.group_simple_index(group_id), CredentialCase.REVOKED_TOKEN)
    assert revoked.status == 401


# Faults


def test_fault_pypi_file_links_public(start: base.Any) -> None:
    for faults, status in (((), 401), ((Fault.PYPI_FILE_LINKS_PUBLIC,), 200)):
        registry = start(faults=faults)
        world = base.make_world(registry)
        wheel = WheelArtifact("private-pkg", "1.0", 2000)
        with HttpDriver(registry.url) as http:
            assert push(http, world, wheel, "private-pkg", "1.0").status == 201
            link = send(http, world, pypi.download(world.project["id"], wheel.sha256(), wheel.file_name),
                        CredentialCase.ANONYMOUS)
            assert link.status == status
            page = send(http, world, pypi.simple_package(world.project["id"], "private-pkg"), CredentialCase.ANONYMOUS)
            assert page.status == 401  # only the file links leak


def test_fault_group_simple_index_public(start: base.Any) -> None:
    for faults, status in (((), 401), ((Fault.GROUP_SIMPLE_INDEX_PUBLIC,), 200)):
        registry = start(faults=faults)
        world = base.make_world(registry)
        with HttpDriver(registry.url) as http:
            assert push(http, world, WheelArtifact("secret-pkg", "1.0", 2000), "secret-pkg", "1.0").status == 201
            index = send(http, world, pypi.group_simple_package(world.group["id"], "secret-pkg"),
                         CredentialCase.ANONYMOUS)
            assert index.status == status
            assert ("secret_pkg-1.0-py3-none-any.whl" in index.body_excerpt.decode()) == (status == 200)


def test_fault_pypi_job_token_refused(start: base.Any) -> None:
    for faults, statuses in (((), (201, 200)), ((Fault.PYPI_JOB_TOKEN_REFUSED,), (401, 401))):
        registry = start(faults=faults)
        world = base.make_world(registry)
        with HttpDriver(registry.url) as http:
            job = CredentialCase.JOB_TOKEN
            pushed = push(http, world, WheelArtifact("job-pkg", "1.0", 2000), "job-pkg", "1.0", job)
            assert push(http, world, WheelArtifact("pat-pkg", "1.0", 2000), "pat-pkg", "1.0").status == 201
            page = send(http, world, pypi.simple_index(world.project["id"]), job)
            assert (pushed.status, page.status) == statuses


def build_tagged(i: int) -> BytesArtifact:
    """The same name and version, a different file each (wheel build tags), for concurrent uploads."""
    data = b"".join(WheelArtifact("raced", "1.0", 2000, seed=i).chunks())
    return BytesArtifact(f"raced-1.0-{i}-py3-none-any.whl", data)


def race(registry: Registry, world: World, count: int) -> list[int]:
    statuses: list[int] = []
    barrier = threading.Barrier(count)

    def one(i: int) -> None:
        with HttpDriver(registry.url) as http:
            barrier.wait()
            statuses.append(push(http, world, build_tagged(i), "raced", "1.0").status or 0)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


def test_fault_duplicate_race(start: base.Any) -> None:
    registry = start()
    world = base.make_world(registry)
    assert race(registry, world, 6) == [201] * 6
    listed = registry.packages(world.project["id"], package_type="pypi").json()
    assert len(listed) == 1 and len(registry.files(world.project["id"], listed[0]["id"])) == 6

    registry = start(faults=[Fault.DUPLICATE_RACE])
    world = base.make_world(registry)
    statuses = race(registry, world, 6)
    assert 500 in statuses and 201 in statuses


# Real clients


def _clients_on_path(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    extra = os.environ.get("HARNESS_PYPI_CLIENTS")
    if extra:
        monkeypatch.setenv("PATH", f"{extra}{os.pathsep}{os.environ['PATH']}")
    return [name for name in ("twine", "pip", "uv") if shutil.which(name)]


def test_real_twine_pip_and_uv(world: World, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    found = _clients_on_path(monkeypatch)
    if not {"twine", "pip"} <= set(found):
        pytest.skip(f"twine and pip are not both on PATH (found: {found or 'none'}); set HARNESS_PYPI_CLIENTS to a"
                    " bin directory holding them")
    recipes = {r.name: r for r in RECIPES}
    url, pid = world.registry.url, world.project["id"]

    def run(client: str, op: str, case: CredentialCase, artifact: Artifact | None = None, name: str = "real-pkg",
            file_name: str = "") -> base.Any:
        scheme = AuthScheme.NONE if case is CredentialCase.ANONYMOUS else AuthScheme.BASIC
        target = ClientTarget(url, pid, world.credential(case), scheme)
        driver = ClientDriver(recipes[client], HostRunner(), url, tmp_path / "work")
        return driver.run(op, target, name, "1.0", artifact, file_name)  # type: ignore[arg-type]

    wheel = WheelArtifact("real-pkg", "1.0", 40_000, seed=4)
    pushed = run("twine", "push", CredentialCase.JOB_TOKEN, wheel)
    assert pushed.exit_code == 0 and pushed.statuses == [201], pushed.output
    pulled = run("pip", "pull", CredentialCase.PROJECT_DEPLOY_TOKEN, file_name=wheel.file_name)
    assert pulled.exit_code == 0 and pulled.output_sha256 == wheel.sha256(), pulled.output
    assert [re.sub(r"/[0-9a-f]{64}/", "/<sha>/", e.url.replace(url, "")) for e in pulled.exchanges] == [
        f"/api/v4/projects/{pid}/packages/pypi/simple/real-pkg/",
        f"/api/v4/projects/{pid}/packages/pypi/files/<sha>/{wheel.file_name}"]
    duplicate = run("twine", "push", OWNER, wheel)
    assert duplicate.exit_code != 0 and duplicate.statuses == [400]
    read_only = run("twine", "push", CredentialCase.READ_ONLY_DEPLOY_TOKEN, WheelArtifact("real-pkg", "1.0", 3000))
    assert read_only.statuses == [403]
    anonymous = run("twine", "push", CredentialCase.ANONYMOUS, WheelArtifact("anon-pkg", "1.0", 3000))
    assert anonymous.statuses == [401]
    if "uv" in found:
        uv_wheel = WheelArtifact("uv-pkg", "1.0", 30_000, seed=5)
        assert run("uv", "push", CredentialCase.GROUP_DEPLOY_TOKEN, uv_wheel, "uv-pkg").statuses == [201]
        installed = run("uv", "pull", CredentialCase.PROJECT_ACCESS_TOKEN, name="uv-pkg")
        assert installed.exit_code == 0 and installed.output_size, installed.output
        assert installed.statuses[:2] == [401, 200]  # uv sends its .netrc credentials after the Basic challenge


# The server's building blocks


def test_a_wheel_whose_metadata_names_another_package_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "rules_pkg-1.1-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("rules_pkg-1.1.dist-info/WHEEL", "Wheel-Version: 1.0\n")
        archive.writestr("rules_pkg-1.1.dist-info/METADATA", "Metadata-Version: 2.1\nName: other\nVersion: 1.1\n")
    with pytest.raises(InvalidDistribution, match="the file's metadata says other 1.1, the form says rules-pkg 1.1"):
        inspect(path, path.name, "rules-pkg", "1.1")
    found = inspect(WheelArtifact("Rules.Pkg", "1.1rc0", 2000).write_to(tmp_path), "rules_pkg-1.1rc0-py3-none-any.whl",
                    "rules_pkg", "1.1-RC")
    assert (found.name, found.version, found.requires_python) == ("Rules.Pkg", "1.1rc0", ">=3.8")


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=300), min_size=1, max_size=40), st.binary(max_size=2000))
def test_multipart_reader_is_indifferent_to_chunk_boundaries(cuts: list[int], payload: bytes) -> None:
    """However the body is cut into chunks, fields and the file come out whole, even a file that holds CRLFs and
    most of the boundary."""
    boundary = "bnd-xyz"
    payload = payload + b"\r\n--bnd-xy\r\n"
    body = (b"preamble\r\n--bnd-xyz\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nmy-pkg\r\n"
            b"--bnd-xyz\r\nContent-Disposition: form-data; name=\"content\"; filename=\"a.whl\"\r\n"
            b"Content-Type: application/octet-stream\r\n\r\n" + payload + b"\r\n--bnd-xyz--\r\n")

    async def chunks() -> AsyncIterator[bytes]:
        position = 0
        for cut in itertools.cycle(cuts):
            if position >= len(body):
                return
            yield body[position:position + cut]
            position += cut

    async def read() -> tuple[dict[str, str], bytes]:
        reader, fields, data = MultipartReader(chunks(), boundary), {}, b""
        while (part := await reader.next_part()) is not None:
            if part.filename:
                assert part.filename == "a.whl"
                data = b"".join([chunk async for chunk in reader.data()])
            else:
                fields[part.name] = await reader.text()
        return fields, data

    assert anyio.run(read) == ({"name": "my-pkg"}, payload)
    assert boundary_of('multipart/form-data; boundary="bnd-xyz"') == boundary
    assert boundary_of("application/json") is None


def test_multipart_reader_refuses_a_truncated_body() -> None:
    async def read() -> None:
        async def chunks() -> AsyncIterator[bytes]:
            yield b"--b\r\nContent-Disposition: form-data; name=\"content\"; filename=\"a\"\r\n\r\nsome bytes"

        reader = MultipartReader(chunks(), "b")
        assert await reader.next_part() is not None
        async for _ in reader.data():
            pass

    with pytest.raises(MultipartError, match="ended inside a part"):
        anyio.run(read)
