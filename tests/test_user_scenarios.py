"""A team's own scenarios: `--scenario-dir` runs them beside the bundled ones, validated the same way; a broken file
outside the selection is reported and does not block; `pytest path/to/file.yaml` collects a file from anywhere; a
misspelled key or name gets "did you mean"; a missing token file leaves no run folder."""

import json
import subprocess
import sys
from pathlib import Path

from helpers_run import QUICK, SAFETY_BOUND_S, clean_env, harness_run

from core.exit_codes import ExitCode
from engine.config import ConfigError, load_settings

OWN = """\
name: team-push
stage: experiment
description: a team's own push, then a pull of the same bytes
steps:
  - op: push
    name: first
    package: {name: team-pkg}
  - op: pull
    package: {name: team-pkg}
    expect: {same_content_as: first}
"""
BROKEN = OWN.replace("name: team-push", "name: team-broken").replace("op: pull", "op: pulll")


def own_dir(tmp_path: Path, *files: tuple[str, str]) -> Path:
    directory = tmp_path / "team-scenarios"
    directory.mkdir()
    for name, text in files:
        (directory / name).write_text(text)
    return directory


def test_a_teams_scenario_runs_and_gates_beside_a_broken_one_it_does_not_select(tmp_path: Path) -> None:
    directory = own_dir(tmp_path, ("push.yaml", OWN), ("broken.yaml", BROKEN))
    run = harness_run(tmp_path, *QUICK, "--scenario-dir", str(directory), "--scenarios", "team-push",
                      "--gate", "selection")
    assert run.returncode == ExitCode.READY, run.explain()
    assert {r["scenario"] for r in run.records} == {"team-push"} and run.with_outcome("passed"), run.explain()
    summary = (run.run_dir / "summary.md").read_text()
    assert "Scenario files left out" in summary and "broken.yaml:8: field steps.1.op" in summary
    assert json.loads((run.run_dir / "run.json").read_text())["scenario_dirs"] == [str(directory.resolve())]


def test_a_selected_broken_file_stops_the_run_with_file_line_field_and_a_suggestion(tmp_path: Path) -> None:
    directory = own_dir(tmp_path, ("push.yaml", OWN.replace("expect:", "expcet:")))
    run = harness_run(tmp_path, *QUICK, "--scenario-dir", str(directory), "--scenarios", "team-push")
    assert run.returncode == ExitCode.CONFIG
    assert "push.yaml:10: field steps.1.expcet: unknown key 'expcet'; did you mean 'expect'?" in run.stderr
    assert not run.run_dir.exists()


def test_a_whole_stage_run_is_blocked_by_a_broken_file(tmp_path: Path) -> None:
    directory = own_dir(tmp_path, ("broken.yaml", BROKEN))
    run = harness_run(tmp_path, *QUICK, "--scenario-dir", str(directory))
    assert run.returncode == ExitCode.CONFIG
    assert "broken.yaml:8: field steps.1.op" in run.stdout + run.stderr + str(run.verdict)


def test_a_name_the_bundled_scenarios_use_is_refused(tmp_path: Path) -> None:
    directory = own_dir(tmp_path, ("push.yaml", OWN.replace("name: team-push", "name: small-push")))
    run = harness_run(tmp_path, *QUICK, "--scenario-dir", str(directory), "--scenarios", "small-push")
    assert run.returncode == ExitCode.CONFIG
    assert "scenario names must be unique; repeated: small-push" in run.stdout + run.stderr


def test_pytest_collects_a_scenario_file_outside_the_repository(tmp_path: Path) -> None:
    directory = own_dir(tmp_path, ("push.yaml", OWN))
    result = subprocess.run([sys.executable, "-m", "pytest", str(directory / "push.yaml"), "-q", "-p",
                             "no:cacheprovider", "--harness-formats", "generic", "--harness-clients", "none",
                             "--harness-out-dir", str(tmp_path / "out"), "--harness-run-id", "own"],
                            cwd=tmp_path, env=clean_env(), capture_output=True, text=True, timeout=SAFETY_BOUND_S)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    records = [json.loads(line) for line in (tmp_path / "out" / "own" / "results.jsonl").read_text().splitlines()]
    assert records and {r["scenario"] for r in records} == {"team-push"}
    assert {r["outcome"] for r in records} == {"passed"}
    assert "PytestUnknownMarkWarning" not in result.stdout


def test_a_missing_token_file_is_refused_without_a_run_folder(tmp_path: Path) -> None:
    run = harness_run(tmp_path, *QUICK, "--target", "http://127.0.0.1:9", "--token-file", str(tmp_path / "none.yaml"))
    assert run.returncode == ExitCode.CONFIG
    assert "does not exist" in run.stdout + run.stderr
    assert not (tmp_path / "out").exists()


def test_misspelled_choices_get_a_suggestion() -> None:
    for flags, expected in (({"formats": "gneric"}, "did you mean 'generic'?"),
                            ({"stage": "betta"}, "did you mean 'beta'?")):
        try:
            load_settings(flags, {})
        except ConfigError as exc:
            assert expected in str(exc)
        else:
            raise AssertionError(f"{flags} was accepted")
