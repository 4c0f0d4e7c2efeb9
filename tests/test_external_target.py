"""`harness run --target`: the same scenarios against a "real" instance (the reference server, started apart
from the run), its clean-up, the given-project mode, Ctrl-C, and `harness serve`."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from core.vocabulary import CredentialCase
from engine.gitlab_api import GitLabClient
from engine.provisioning import provision_case, provision_run
from engine.reference import ReferenceServer

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture()
def target(tmp_path: Path) -> Iterator[ReferenceServer]:
    with ReferenceServer(tmp_path / "target-data") as server:
        yield server


def _harness(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "harness", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300, env=dict(os.environ, PYTHONPATH=str(ROOT)))


def _records(run_dir: Path) -> list[dict]:
    return [json.loads(line) for line in (run_dir / "results.jsonl").read_text().splitlines() if line]


def test_external_target_runs_cleans_up_and_reports_job_tokens_as_not_run(target: ReferenceServer,
                                                                          tmp_path: Path) -> None:
    token_file = tmp_path / "tokens.yaml"
    token_file.write_text(f"owner: {target.admin_token}\n")
    out = tmp_path / "out"
    result = _harness("run", "--target", target.url, "--token-file", str(token_file), "--out-dir", str(out),
                      "--run-id", "ext", "--scenarios", "small-push,duplicate-rejected",
                      "--formats", "generic", "--clients", "none", "--workers", "0",
                      "--token-kinds", "project_deploy_token,job_token,revoked_token", cwd=tmp_path)
    run_dir = out / "ext"
    records = _records(run_dir)
    by_kind = {(r["scenario"], r["credential"], r["scheme"]): r for r in records}
    job = by_kind[("small-push", "job_token", "header")]
    assert job["outcome"] == "not_run" and "CI job" in job["reason"]
    assert by_kind[("small-push", "project_deploy_token", "basic")]["outcome"] == "passed"
    assert by_kind[("duplicate-rejected", "revoked_token", "header")]["outcome"] == "passed"
    verdict = json.loads((run_dir / "verdict.json").read_text())
    assert verdict["verdict"] == "needs_sign_off", verdict  # job tokens are not proven outside CI
    assert result.returncode == 5  # distinct from "not ready": a healthy target waits for sign-off only
    assert verdict["leftovers"] == []

    # Everything the run made on the target is gone: every group and project in its ledger answers 404.
    client = GitLabClient(target.url, target.admin_token)
    entries = [json.loads(line) for line in (run_dir / "ledger.jsonl").read_text().splitlines()]
    groups = [e for e in entries if e["kind"] == "group"]
    assert groups, "the run should have created groups"
    for entry in groups:
        answer = requests.get(f"{target.url}/api/v4/groups/{entry['id']}",
                              headers={"PRIVATE-TOKEN": target.admin_token}, timeout=10)
        assert answer.status_code == 404, entry
    del client


def test_given_project_mode_shares_the_project_and_deletes_its_packages(target: ReferenceServer,
                                                                      tmp_path: Path) -> None:
    client = GitLabClient(target.url, target.admin_token)
    group = client.create_group("mine", "mine")
    project = client.create_project("app", group["id"])
    token_file = tmp_path / "tokens.yaml"
    token_file.write_text(f"owner: {target.admin_token}\npersonal_access_token: {target.admin_token}\n")
    out = tmp_path / "out"
    _harness("run", "--target", target.url, "--token-file", str(token_file), "--project", str(project["id"]),
             "--out-dir", str(out), "--run-id", "given", "--scenarios", "small-push,duplicate-rejected",
             "--formats", "generic", "--clients", "none",
             "--workers", "0", "--token-kinds", "personal_access_token,project_deploy_token", cwd=tmp_path)
    records = {(r["scenario"], r["credential"], r["scheme"]): r for r in _records(out / "given")}
    assert records[("small-push", "personal_access_token", "header")]["outcome"] == "passed"
    deploy = records[("small-push", "project_deploy_token", "header")]
    assert deploy["outcome"] == "not_run" and "token file" in deploy["reason"]
    rejected = records[("duplicate-rejected", "personal_access_token", "header")]
    assert rejected["outcome"] == "not_run" and "group" in rejected["reason"]
    listed = requests.get(f"{target.url}/api/v4/projects/{project['id']}/packages",
                          headers={"PRIVATE-TOKEN": target.admin_token}, timeout=10).json()
    assert listed == [], "the run's packages should have been deleted"


def test_ctrl_c_still_writes_the_reports(tmp_path: Path) -> None:
    out = tmp_path / "out"
    process = subprocess.Popen([sys.executable, "-m", "harness", "run", "--out-dir", str(out), "--run-id", "cc",
                                "--workers", "0", "--large-size", "4MiB"], cwd=tmp_path,
                               env=dict(os.environ, PYTHONPATH=str(ROOT)), start_new_session=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    results = out / "cc" / "results.jsonl"
    deadline = time.monotonic() + 900  # a safety bound only: a busy machine may take minutes to the first cases
    while time.monotonic() < deadline and not (results.exists() and results.read_text().count("\n") >= 3):
        time.sleep(0.1)
    os.killpg(process.pid, signal.SIGINT)
    assert process.wait(timeout=600) == 1
    verdict = json.loads((out / "cc" / "verdict.json").read_text())
    assert "interrupted" in verdict["why"]
    assert (out / "cc" / "report.html").exists() and (out / "cc" / "summary.md").exists()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_harness_serve_keeps_data_across_restarts(tmp_path: Path) -> None:
    data, port = tmp_path / "data", _free_port()
    url = f"http://127.0.0.1:{port}"

    def start() -> subprocess.Popen[bytes]:
        process = subprocess.Popen([sys.executable, "-m", "harness", "serve", "--port", str(port), "--data-dir",
                                    str(data), "--size-limit", "generic=1MiB"], cwd=tmp_path,
                                   env=dict(os.environ, PYTHONPATH=str(ROOT)),
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(200):
            try:
                requests.get(f"{url}/-/metrics", timeout=1)
                return process
            except requests.ConnectionError:
                time.sleep(0.05)
        process.kill()
        raise AssertionError("harness serve did not start")

    server = start()
    try:
        token = (data / "admin-token").read_text().strip()
        headers = {"PRIVATE-TOKEN": token}
        group = requests.post(f"{url}/api/v4/groups", json={"name": "g", "path": "g"}, headers=headers).json()
        project = requests.post(f"{url}/api/v4/projects", json={"name": "p", "namespace_id": group["id"]},
                                headers=headers).json()
        file_url = f"{url}/api/v4/projects/{project['id']}/packages/generic/tool/1.0.0/tool.bin"
        assert requests.put(file_url, data=b"x" * 1000, headers=headers).status_code == 201
        too_big = requests.put(file_url, data=b"x" * (1 << 20 | 1), headers=headers)
        assert too_big.status_code == 400 and "limit" in too_big.json()["message"]
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=20)
    server = start()
    try:
        again = requests.get(file_url, headers=headers)
        assert again.status_code == 200 and again.content == b"x" * 1000
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=20)


def test_cleanup_command_finishes_what_a_crashed_run_left(target: ReferenceServer, tmp_path: Path) -> None:
    out = tmp_path / "out"
    run_dir = out / "crashed"
    run_dir.mkdir(parents=True)
    ctx = provision_run("crashed", run_dir, target.url, target.admin_token, reference=False, given_project=None,
                        token_file={}, settings={"token_kinds": ["project_deploy_token"]}, size_limits={})
    env = provision_case(ctx, "small-push[x]", CredentialCase.PROJECT_DEPLOY_TOKEN, 1)
    headers = {"PRIVATE-TOKEN": target.admin_token}
    assert requests.get(f"{target.url}/api/v4/projects/{env.project_id}", headers=headers).status_code == 200
    # The run "crashes" here: nothing was cleaned. The cleanup command reads the ledger and removes it all.
    token_file = tmp_path / "tokens.yaml"
    token_file.write_text(f"owner: {target.admin_token}\n")
    done = _harness("cleanup", "crashed", "--target", target.url, "--token-file", str(token_file),
                    "--out-dir", str(out), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert requests.get(f"{target.url}/api/v4/projects/{env.project_id}", headers=headers).status_code == 404
    assert requests.get(f"{target.url}/api/v4/groups/{ctx.root_group_id}", headers=headers).status_code == 404
    assert env.subject is not None and env.subject.token
    refused = requests.get(f"{target.url}/api/v4/projects/{env.project_id}/packages/generic/a/1/a.bin",
                           headers={"DEPLOY-TOKEN": env.subject.token})
    assert refused.status_code in (401, 404)
    assert target.admin_token not in done.stdout + done.stderr
