"""`harness report reassess RUN --signoff-file F`: a finished run judged again with new sign-offs or known failures,
without running it again: the same cases, a new verdict, exit code and reports."""

import json
import subprocess
import sys
from pathlib import Path

import yaml
from helpers_run import QUICK, SAFETY_BOUND_S, clean_env, harness_run, sign_off_everything

from core.exit_codes import ExitCode


def reassess(tmp_path: Path, run_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "harness", "report", "reassess", str(run_dir), *args], cwd=tmp_path,
                          env=clean_env(), capture_output=True, text=True, timeout=SAFETY_BOUND_S)


def test_a_run_that_needed_sign_offs_is_ready_once_they_are_given(tmp_path: Path) -> None:
    run = harness_run(tmp_path, *QUICK, "--scenarios", "small-push")
    assert run.returncode == ExitCode.NEEDS_SIGN_OFF and run.verdict and run.verdict["verdict"] == "needs_sign_off", \
        run.explain()
    cases_before = (run.run_dir / "results.jsonl").read_text()

    result = reassess(tmp_path, run.run_dir, "--signoff-file", str(sign_off_everything(tmp_path)))

    assert result.returncode == ExitCode.READY, result.stdout + result.stderr
    assert "needs sign off (exit 5) → ready (exit 0)" in result.stdout
    verdict = json.loads((run.run_dir / "verdict.json").read_text())
    assert verdict["verdict"] == "ready" and verdict["exit_code"] == ExitCode.READY
    meta = json.loads((run.run_dir / "run.json").read_text())
    assert meta["reassessed"]["before"]["verdict"] == "needs_sign_off"
    assert "Experiment readiness: generic: ready" in (run.run_dir / "summary.md").read_text()
    assert (run.run_dir / "results.jsonl").read_text() == cases_before  # the cases are the recorded ones


def test_a_failure_becomes_a_known_one_and_a_missing_file_is_refused(tmp_path: Path) -> None:
    run = harness_run(tmp_path, *QUICK, "--scenarios", "small-push", "--token-kinds",
                      "personal_access_token,revoked_token", "--faults", "accept_revoked_tokens", "--gate", "selection")
    assert run.returncode == ExitCode.NOT_READY and run.with_outcome("failed"), run.explain()
    known = tmp_path / "known.yaml"
    known.write_text(yaml.safe_dump({"known_failures": [
        {"case": "small-push[generic-revoked_token-*]", "issue": "https://gitlab.example/issues/1",
         "expires": "2099-01-01"}]}))

    result = reassess(tmp_path, run.run_dir, "--known-failures", str(known))

    assert result.returncode == ExitCode.READY, result.stdout + result.stderr
    verdict = json.loads((run.run_dir / "verdict.json").read_text())
    assert verdict["known_failures"] and all(k["state"] == "known" for k in verdict["known_failures"])
    missing = reassess(tmp_path, run.run_dir, "--signoff-file", str(tmp_path / "nowhere.yaml"))
    assert missing.returncode == ExitCode.CONFIG and "does not exist" in missing.stderr
