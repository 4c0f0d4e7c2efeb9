"""The reference server's Helm API over HTTP, as GitLab's lib/api/helm_packages.rb and its spec have it: the upload
answered 201 and processed in the background (the temporary package, then the chart's own, or `error`), index.yaml
per channel, downloads, HTTP Basic as the only carrier, duplicates, the size limit, the helm_channel_ignored fault,
and the curl client's pull script run against the server.

Servers come from tests/test_reference_server.py's fixtures (`start`, `registry`, `world`).
"""

import base64
import hashlib
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
import requests
import test_reference_server as base
import yaml
from helpers_run import harness_run

from core.client_recipe import ClientTarget
from core.credentials import auth_headers
from core.format_types import Artifact, BytesArtifact
from core.vocabulary import AuthScheme, CredentialCase
from formats.helm import (
    TEMPORARY_PACKAGE_NAME,
    build_chart,
    download,
    index,
    upload,
)
from formats.helm.artifacts import _tar, gzip_member
from formats.helm.clients import _PULL, repository_url
from reference_server import Fault

start = base.start
registry = base.registry
world = base.world
Registry = base.Registry
World = base.World
PAT = CredentialCase.PERSONAL_ACCESS_TOKEN


def basic(token: str, user: str = "someone") -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{token}".encode()).decode()}


def owner(world: World) -> dict[str, str]:
    return auth_headers(world.credential(PAT), AuthScheme.BASIC)


def push(world: World, artifact: Artifact, channel: str = "stable", headers: dict[str, str] | None = None,
         project: int | None = None) -> requests.Response:
    spec = upload(project or world.project["id"], channel, artifact)
    body = b"".join(spec.body)  # type: ignore[arg-type]
    return requests.post(world.registry.url + spec.path, data=body,
                         headers={**spec.headers, **(owner(world) if headers is None else headers)}, timeout=30)


def get(world: World, path: str, headers: dict[str, str] | None = None) -> requests.Response:
    return requests.get(world.registry.url + path, headers=owner(world) if headers is None else headers, timeout=30)


def settled(world: World, project: int | None = None) -> list[dict[str, Any]]:
    """The project's Helm packages once no upload is processing any more."""
    for _ in range(200):
        listed = world.registry.packages(project or world.project["id"], package_type="helm").json()
        if all(p["status"] != "processing" for p in listed):
            return list(listed)
        time.sleep(0.05)
    raise AssertionError(f"still processing: {listed}")


def index_of(world: World, channel: str = "stable", headers: dict[str, str] | None = None) -> dict[str, Any]:
    response = get(world, index(world.project["id"], channel).path, headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/yaml")
    assert response.text.startswith("---\napiVersion: v1\nentries:")  # `entries: {}` when empty, as to_yaml
    return dict(yaml.safe_load(response.text))


def test_upload_is_processed_in_the_background_into_the_charts_package(world: World) -> None:
    chart = build_chart("mychart", "1.0.0", 6000, seed=1)
    response = push(world, chart)
    assert response.status_code == 201 and response.json() == {"message": "201 Created"}
    packages = settled(world)
    assert [(p["name"], p["version"], p["status"]) for p in packages] == [("mychart", "1.0.0", "default")]
    files = world.registry.files(world.project["id"], packages[0]["id"])
    assert [(f["file_name"], f["size"], f["file_sha256"]) for f in files] == [
        ("mychart-1.0.0.tgz", 6000, chart.sha256())]
    document = index_of(world)
    assert set(document) == {"apiVersion", "entries", "generated", "serverInfo"}
    assert document["serverInfo"] == {"contextPath": f"/api/v4/projects/{world.project['id']}/packages/helm"}
    (entry,) = document["entries"]["mychart"]
    assert entry["digest"] == chart.sha256() and entry["urls"] == ["charts/mychart-1.0.0.tgz"]
    assert entry["apiVersion"] == "v2" and entry["version"] == "1.0.0" and entry["created"].endswith("Z")
    pulled = get(world, download(world.project["id"], "stable", "mychart-1.0.0.tgz").path)
    assert pulled.status_code == 200 and pulled.content == chart.data


def test_a_file_that_is_no_chart_leaves_an_errored_temporary_package(world: World) -> None:
    no_chart = gzip_member(_tar([("mychart/values.yaml", b"a: 1\n")]))
    for data in (b"not a tarball", no_chart, gzip_member(_tar([("c/Chart.yaml", b"name: [unclosed\n")]))):
        assert push(world, BytesArtifact("x.tgz", data)).status_code == 201  # GitLab answers every upload 201
    packages = settled(world)
    assert {(p["name"], p["status"]) for p in packages} == {(TEMPORARY_PACKAGE_NAME, "error")}
    assert len(packages) == 3 and all(p["version"].startswith("0.0.0-") for p in packages)
    assert index_of(world)["entries"] == {}


@pytest.mark.parametrize(("name", "version"), [("bad..name", "1.0.0"), ("-x", "1.0.0"), ("ok", "1.0"),
                                               ("ok", "01.0.0")])
def test_an_invalid_name_or_version_fails_in_the_background(world: World, name: str, version: str) -> None:
    assert push(world, build_chart(name, version, 2000)).status_code == 201
    assert [(p["name"], p["status"]) for p in settled(world)] == [(TEMPORARY_PACKAGE_NAME, "error")]


def test_tokens_are_read_from_basic_only(world: World) -> None:
    chart = build_chart("authchart", "1.0.0", 2000)
    pat = world.tokens[PAT]
    refused = push(world, chart, headers={"PRIVATE-TOKEN": pat})  # not read: anonymous on a private project
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"] == 'Basic realm="GitLab Packages Registry"'
    assert push(world, chart, headers={"Authorization": f"Bearer {pat}"}).status_code == 401
    deploy = basic(world.tokens[CredentialCase.PROJECT_DEPLOY_TOKEN], "anyone")  # the user name is not checked
    assert push(world, chart, headers=deploy).status_code == 201
    assert push(world, chart, headers=basic(world.tokens[CredentialCase.JOB_TOKEN], "not-gitlab-ci-token")) \
        .status_code == 201  # the spec's 'job token for package uploads', accept_invalid_username: true
    wrong = push(world, chart, headers=basic("glpat-wrong"))
    assert wrong.status_code == 401 and "www-authenticate" in wrong.headers
    other = push(world, chart, headers=basic(world.tokens[PAT]), project=world.other_project["id"])
    assert other.status_code == 201  # the owner's token is an administrator's
    anonymous = get(world, index(world.project["id"], "stable").path, headers={})
    assert anonymous.status_code == 401


def test_duplicates_are_kept_and_the_newest_is_listed_and_served(world: World) -> None:
    first, second = build_chart("dup", "1.0.0", 3000, 1), build_chart("dup", "1.0.0", 3000, 2)
    assert push(world, first).status_code == 201
    settled(world)
    assert push(world, second).status_code == 201
    (package,) = settled(world)
    assert len(world.registry.files(world.project["id"], package["id"])) == 2
    (entry,) = index_of(world)["entries"]["dup"]
    assert entry["digest"] == second.sha256()
    assert get(world, download(world.project["id"], "stable", "dup-1.0.0.tgz").path).content == second.data


def test_channels_are_separate_repositories(world: World) -> None:
    in_stable, in_testing = build_chart("ch", "1.0.0", 3000, 1), build_chart("ch", "1.0.0", 3000, 2)
    only_testing = build_chart("lonely", "2.0.0", 3000, 3)
    for chart, channel in ((in_stable, "stable"), (in_testing, "testing"), (only_testing, "testing")):
        assert push(world, chart, channel).status_code == 201
    settled(world)
    stable = index_of(world)["entries"]
    assert set(stable) == {"ch"} and stable["ch"][0]["digest"] == in_stable.sha256()
    assert set(index_of(world, "testing")["entries"]) == {"ch", "lonely"}
    pid = world.project["id"]
    assert get(world, download(pid, "stable", "ch-1.0.0.tgz").path).content == in_stable.data
    assert get(world, download(pid, "testing", "ch-1.0.0.tgz").path).content == in_testing.data
    assert get(world, download(pid, "stable", "lonely-2.0.0.tgz").path).status_code == 404


def test_the_channel_ignored_fault_mixes_channels(start: Any) -> None:
    world = base.make_world(start(faults=frozenset({Fault.HELM_CHANNEL_IGNORED})))
    assert push(world, build_chart("ch", "1.0.0", 3000, 1)).status_code == 201
    settled(world)
    assert push(world, build_chart("ch", "1.0.0", 3000, 2), "testing").status_code == 201
    settled(world)
    served = get(world, download(world.project["id"], "stable", "ch-1.0.0.tgz").path).content
    assert hashlib.sha256(served).hexdigest() == build_chart("ch", "1.0.0", 3000, 2).sha256()


def test_refusals_of_channel_file_name_and_size(start: Any) -> None:
    world = base.make_world(start(size_limits={"helm": 4096}))
    pid = world.project["id"]
    bad = push(world, build_chart("c", "1.0.0", 1000), "bad..channel")
    assert bad.status_code == 400 and bad.json() == {"error": "channel is invalid"}
    assert push(world, build_chart("c", "1.0.0", 4096)).status_code == 201
    assert push(world, build_chart("c", "1.0.0", 4097)).status_code == 413
    settled(world)
    prov = get(world, f"/api/v4/projects/{pid}/packages/helm/stable/charts/c-1.0.0.tgz.prov")
    assert prov.status_code == 404 and prov.json() == {"message": "404 Format prov Not Found"}
    assert get(world, download(pid, "stable", "c-9.9.9.tgz").path).status_code == 404
    empty = requests.post(world.registry.url + upload(pid, "stable", build_chart("c", "1.0.0", 0)).path,
                          headers=owner(world), data=b"", timeout=30)
    assert empty.status_code == 400 and empty.json() == {"error": "chart is missing"}


def test_a_processing_upload_is_not_served(start: Any) -> None:
    world = base.make_world(start(faults=frozenset({Fault.PROCESSING_STUCK})))
    assert push(world, build_chart("stuck", "1.0.0", 2000)).status_code == 201
    time.sleep(0.2)
    listed = world.registry.packages(world.project["id"], package_type="helm", status="processing").json()
    assert [(p["name"], p["status"]) for p in listed] == [(TEMPORARY_PACKAGE_NAME, "processing")]
    assert index_of(world)["entries"] == {}


@pytest.mark.skipif(shutil.which("curl") is None or shutil.which("awk") is None, reason="no curl or awk")
def test_the_clients_pull_script_against_the_server(world: World, tmp_path: Path) -> None:
    """helm-pull.sh (helm repo add + helm pull over HTTP) on the host, against index.yaml as the server renders it."""
    for seed, version in ((1, "1.0.0"), (2, "1.1.0")):
        assert push(world, build_chart("script", version, 5000, seed)).status_code == 201
    assert push(world, build_chart("other", "1.1.0", 5000, 3)).status_code == 201
    settled(world)
    (tmp_path / "helm-pull.sh").write_text(_PULL)
    (tmp_path / "curl.cfg").write_text(f'user = "someone:{world.tokens[PAT]}"\n')
    target = ClientTarget(world.registry.url, world.project["id"], world.credential(PAT), AuthScheme.BASIC)
    repo = repository_url(target, "stable")
    out = subprocess.run(["sh", "helm-pull.sh", repo, "script", "1.1.0", "pulled/script-1.1.0.tgz"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "pulled/script-1.1.0.tgz").read_bytes() == build_chart("script", "1.1.0", 5000, 2).data
    missing = subprocess.run(["sh", "helm-pull.sh", repo, "script", "9.0.0", "pulled/x.tgz"], cwd=tmp_path,
                             capture_output=True, text=True, timeout=60)
    assert missing.returncode != 0 and "not in" in missing.stderr


def test_a_large_push_over_helms_limit_is_sized_to_the_limit_and_says_so(tmp_path: Path) -> None:
    """The run's large size (8 MiB here) is over Helm's 5 MiB: the large push sends a 5 MiB chart, and says why."""
    run = harness_run(tmp_path, "--workers", "0", "--clients", "none", "--formats", "helm", "--scenarios",
                      "large-push,over-limit", "--token-kinds", "personal_access_token", "--large-size", "8MiB")
    large = run.case("large-push", "personal_access_token", "basic", "helm")
    assert large["outcome"] == "passed", run.explain()
    upload = large["steps"][0]
    assert upload["expected"]["size"] == 5 << 20 and upload["expected"]["large_size"] == 8 << 20
    assert "sized to the helm size limit of 5242880 bytes" in upload["message"]
    over = run.case("over-limit", "personal_access_token", "basic", "helm")
    assert over["outcome"] == "passed", run.explain()
