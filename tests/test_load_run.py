"""`harness load` end to end against the bundled reference server: real Locust processes, small numbers.

Each run seeds a few dozen versions and loads for a few seconds; what is asserted is what a load tester relies on:
every task measured, every token kind carried, the warm-up left out, workers that really joined, a threshold or
a superlinear growth that fails the run, a baseline regression found, Ctrl-C keeping the numbers.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from helpers_run import ROOT, clean_env
from test_cli_run import _leaks_in

from formats import OPERATIONS

pytestmark = pytest.mark.load

SMALL = ["--versions", "30", "--packages", "5", "--growth-sizes", "10,20,30", "--users", "5", "--warmup", "1s",
         "--duration", "4s"]


def harness_load(tmp_path: Path, *args: str, timeout: float = 300) -> tuple[subprocess.CompletedProcess[str], Path]:
    run_id = f"load-{len(list(tmp_path.glob('*')))}"
    command = [sys.executable, "-m", "harness", "load", "--out-dir", str(tmp_path), "--run-id", run_id, *args]
    done = subprocess.run(command, cwd=ROOT, env=clean_env(), capture_output=True, text=True, timeout=timeout)
    return done, tmp_path / run_id


def result(run_dir: Path, format_name: str = "npm") -> dict[str, Any]:
    return json.loads((run_dir / format_name / "load.json").read_text())  # type: ignore[no-any-return]


def test_a_load_measures_every_task_with_every_token_kind(tmp_path: Path) -> None:
    done, run_dir = harness_load(tmp_path, "--format", "npm", *SMALL)
    assert done.returncode == 0, done.stderr
    data = result(run_dir)
    assert data["verdict"] == "passed" and not data["breaches"] and not data["findings"]
    for task in ("metadata", "package_metadata", "download"):
        assert data["endpoints"][task]["requests"] > 0, task
        assert data["endpoints"][task]["failures"] == 0, data["errors"]
        assert data["endpoints"][task]["p95_ms"] is not None
    carried = {label.split(" · ")[0] for label in data["plan"]["metadata"]["credentials"]}
    assert carried == {"personal_access_token", "project_access_token", "project_deploy_token", "group_deploy_token",
                       "read_only_deploy_token", "job_token"}
    accepted = {s.value for s in OPERATIONS["npm"].metadata(1, "x").endpoint.auth.schemes}  # type: ignore[union-attr]
    assert {label.split(" · ")[1] for label in data["plan"]["metadata"]["credentials"]} == accepted
    assert data["window_s"][0] == 1.0  # the warm-up second is out of every number
    measured = sum(e["requests"] for e in data["endpoints"].values() if e is not data["endpoints"]["all"])
    assert measured == data["endpoints"]["all"]["requests"]
    assert [p["versions"] for p in data["growth"]["points"]] == [10, 20, 30]
    html = (run_dir / "npm" / "load.html").read_text()
    assert html.count("<svg") >= 4 and "latency over time" in html and "as the package grows" in html
    summary = (run_dir / "npm" / "load.md").read_text()
    assert "| metadata |" in summary and "Growth curve" in summary
    assert "npm: passed" in done.stderr
    # The plan carries every token kind to Locust: none of them may land in what the load writes.
    texts = [("stdout", done.stdout), ("stderr", done.stderr)]
    texts += [(str(path), path.read_text(errors="replace")) for path in run_dir.rglob("*") if path.is_file()]
    assert [leak for where, text in texts for leak in _leaks_in(where, text, [])] == []


def test_generic_is_loaded_through_the_package_list(tmp_path: Path) -> None:
    done, run_dir = harness_load(tmp_path, "--format", "generic", *SMALL)
    assert done.returncode == 0, done.stderr
    data = result(run_dir, "generic")
    assert "/packages?" in data["plan"]["metadata"]["example"]
    # The Packages API takes neither deploy tokens nor Basic: the permission table keeps them off that task.
    assert all("deploy" not in label and "basic" not in label for label in data["plan"]["metadata"]["credentials"])
    assert any("deploy" in label for label in data["plan"]["download"]["credentials"])


def test_two_local_workers_share_the_load(tmp_path: Path) -> None:
    done, run_dir = harness_load(tmp_path, "--format", "pypi", "--workers", "2", *SMALL)
    assert done.returncode == 0, done.stderr
    data = result(run_dir, "pypi")
    assert data["locust"]["workers_seen"] == 2
    assert data["endpoints"]["all"]["requests"] > 0
    assert (run_dir / "pypi" / "locust-worker-2.log").exists()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_worker_from_elsewhere_joins_with_load_worker(tmp_path: Path) -> None:
    port = _free_port()
    worker = subprocess.Popen([sys.executable, "-m", "harness", "load-worker", "--master", f"127.0.0.1:{port}"],
                              cwd=ROOT, env=clean_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        done, run_dir = harness_load(tmp_path, "--format", "maven", "--remote-workers", "1", "--master-bind",
                                     f"127.0.0.1:{port}", *SMALL)
        assert done.returncode == 0, done.stderr
        data = result(run_dir, "maven")
        assert data["locust"]["workers_seen"] == 1
        assert data["endpoints"]["metadata"]["requests"] > 0
        assert worker.wait(timeout=30) == 0  # the worker leaves when its master quits
    finally:
        if worker.poll() is None:
            worker.kill()


def test_a_slow_metadata_endpoint_breaks_the_threshold(tmp_path: Path) -> None:
    done, run_dir = harness_load(tmp_path, "--format", "npm", "--fault", "slow_metadata", *SMALL,
                                 "--growth-sizes", "5,10,15")
    assert done.returncode == 3, done.stderr
    data = result(run_dir)
    assert any(b.startswith("metadata: p95 latency") and "threshold of 500 ms" in b for b in data["breaches"])
    assert data["endpoints"]["download"]["p95_ms"] < 500  # only the metadata endpoint is slow
    assert "threshold broken" in (run_dir / "npm" / "load.md").read_text()


def test_a_check_inside_a_loop_shows_as_superlinear_growth(tmp_path: Path) -> None:
    done, run_dir = harness_load(tmp_path, "--format", "npm", "--fault", "metadata_n_plus_one", "--versions", "100",
                                 "--packages", "3", "--growth-sizes", "25,50,100", "--users", "2", "--warmup", "0s",
                                 "--duration", "2s")
    assert done.returncode == 3, done.stderr
    data = result(run_dir)
    assert data["growth"]["superlinear"], data["growth"]
    assert any("grows superlinearly" in f for f in data["findings"])


def test_a_regression_against_a_baseline_is_a_finding(tmp_path: Path) -> None:
    done, run_dir = harness_load(tmp_path, "--format", "npm", *SMALL)
    assert done.returncode == 0, done.stderr
    baseline = result(run_dir)
    for stats in baseline["endpoints"].values():  # as if an earlier build had been ten times faster
        stats["p95_ms"] = max(1.0, stats["p95_ms"] / 10)
    baseline_file = tmp_path / "baseline.json"
    baseline_file.write_text(json.dumps(baseline))
    done, run_dir = harness_load(tmp_path, "--format", "npm", *SMALL, "--baseline", str(baseline_file))
    assert done.returncode == 3, done.stderr
    data = result(run_dir)
    assert any(f.startswith("regression against the baseline: metadata: p95_ms") for f in data["findings"])
    assert data["baseline"]["file"] == str(baseline_file)

    done, _ = harness_load(tmp_path, "--format", "pypi", *SMALL, "--baseline", str(baseline_file))
    assert done.returncode == 2 and "a npm load; this load is pypi" in done.stderr


def test_ctrl_c_keeps_what_was_measured(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "harness", "load", "--out-dir", str(tmp_path), "--run-id", "cut", "--format",
               "npm", *SMALL, "--duration", "120s"]
    process = subprocess.Popen(command, cwd=ROOT, env=clean_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, start_new_session=True)
    timeline = tmp_path / "cut" / "npm" / "timeline.json"
    deadline = time.monotonic() + 900  # a safety bound only, for a busy machine
    while time.monotonic() < deadline and process.poll() is None:
        if timeline.exists() and json.loads(timeline.read_text() or "{}").get("samples", [])[3:]:
            break
        time.sleep(0.5)
    os.killpg(process.pid, signal.SIGINT)  # what a terminal's Ctrl-C does: the whole foreground group
    _, stderr = process.communicate(timeout=600)
    assert process.returncode == 130, stderr
    data = result(tmp_path / "cut")
    assert data["interrupted"] and data["endpoints"]["all"]["requests"] > 0
    assert any(f.startswith("interrupted after") for f in data["findings"])


@pytest.mark.parametrize("args, message", [
    (["--format", "npmx"], "--format: unknown npmx"),
    (["--scenario", "small-push"], "it has no `op: load` step"),
    (["--duration", "soon"], "--duration: 'soon' is not a duration"),
    (["--growth-sizes", "50,10,20"], "ascending"),
])
def test_bad_input_says_what_to_fix(tmp_path: Path, args: list[str], message: str) -> None:
    done, _ = harness_load(tmp_path, *args)
    assert done.returncode == 2 and message in done.stderr, done.stderr
