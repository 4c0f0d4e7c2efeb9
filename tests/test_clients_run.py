"""Cases through real clients, end to end: `harness run` with curl and mvn in containers, against the reference server.

What a user relies on: a client case passes only when the client really did the work (its image and version are
recorded), a refused client is checked against what the registry answered, a client failure comes with a command
that reproduces it (token replaced by a placeholder), a server defect that only a real client trips over (the
anonymous 404 that keeps Maven from ever sending its credentials) is caught, and a client that could not run is
reported as not run, never as passed. Needs a Docker engine (`.ci/docker-engine` starts one); skipped without.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from helpers_run import QUICK, harness_run

from engine.containers.engine import EngineUnavailable, connect

pytestmark = pytest.mark.containers


def _engine() -> bool:
    try:
        connect()
    except EngineUnavailable:
        return False
    return True


needs_engine = pytest.mark.skipif(not _engine(), reason="no Docker engine: start one with .ci/docker-engine")
CLIENTS = [*QUICK[:-2], "--clients", "container"]  # QUICK, but with the clients on


@needs_engine
def test_curl_cases_run_in_a_container_and_say_what_ran(tmp_path: Path) -> None:
    run = harness_run(tmp_path, *CLIENTS, "--drivers", "curl", "--scenarios", "small-push,pull",
                      "--token-kinds", "personal_access_token,read_only_deploy_token,anonymous", "--schemes", "header")
    why = run.explain()
    assert {r["driver"] for r in run.records} == {"curl"}, why
    assert len(run.records) == 6 and not [r for r in run.records if r["outcome"] != "passed"], why
    for record in run.records:
        assert record["client"]["image_id"].startswith("sha256:"), why
        assert record["client"]["version"], why
    refused = run.case("small-push", "read_only_deploy_token", "header")
    assert "curl refused with 403" in refused["reason"], why
    step = refused["steps"][0]
    assert step["client"]["reproduce"].startswith("docker run --rm --network host"), why
    assert step["client"]["files"]["curl.cfg"] == 'header = "DEPLOY-TOKEN: $READ_ONLY_DEPLOY_TOKEN"\n', why
    assert [e["status"] for e in step["exchanges"]] == [403], why


@needs_engine
def test_maven_never_sending_credentials_after_a_404_is_caught(tmp_path: Path) -> None:
    """GitLab once answered an anonymous Maven request 404 instead of 401 with a challenge: mvn, which sends Basic
    credentials only when challenged, then failed for every user. Over the header scheme it still works."""
    args = [*CLIENTS, "--formats", "maven", "--drivers", "mvn", "--scenarios", "pull",
            "--token-kinds", "personal_access_token", "--schemes", "basic,header"]
    run = harness_run(tmp_path, *args, "--faults", "anonymous_404", run_id="fault")
    why = run.explain()
    basic = run.case("pull", "personal_access_token", "basic", "maven")
    assert basic["outcome"] == "failed", why
    assert "mvn pull exited" in basic["reason"] and "404" in basic["reason"], why
    assert run.case("pull", "personal_access_token", "header", "maven")["outcome"] == "passed", why
    assert (run.run_dir / "report.html").read_text().count("docker run --rm --network host") >= 1, why

    control = harness_run(tmp_path, *args, run_id="control")
    assert {r["outcome"] for r in control.records} == {"passed"}, control.explain()


def test_a_client_missing_on_the_host_is_not_run_never_passed(tmp_path: Path) -> None:
    if shutil.which("pnpm"):
        pytest.skip("pnpm is installed on this host")
    run = harness_run(tmp_path, *QUICK[:-2], "--clients", "host", "--formats", "npm", "--drivers", "pnpm",
                      "--scenarios", "small-push", "--token-kinds", "personal_access_token")
    why = run.explain()
    assert run.records and {r["outcome"] for r in run.records} == {"not_run"}, why
    assert "pnpm is not installed on this host" in run.records[0]["reason"], why
    assert run.verdict is not None and run.verdict["verdict"] != "ready", why
