"""`harness report bundle`: what goes into the readiness bundle (and what does not), TARGET.yaml and HARNESS.yaml,
the scenario digest, the command that reproduces the run, and the refusal of a bundle that holds a token."""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from helpers_run import QUICK, ROOT, clean_env, harness_run

from harness.cli import main
from reports.bundle import make_bundle, reproduce_command, scenario_digest

PYTEST = "/usr/lib/python3/site-packages/pytest/__main__.py"
INNER = (f"{PYTEST} /work/main/scenarios --rootdir /work/main -c /work/main/pyproject.toml -q --no-header "
         "-p no:cacheprovider --harness-progress --harness-run-id r1 -p no:benchmark -o console_output_style=classic "
         "--tb=no -rN --harness-formats generic,npm --harness-token-kinds personal_access_token,anonymous "
         "--harness-scenarios small-push,pull --harness-schemes header --harness-out-dir /tmp/out "
         "--harness-clients none --harness-workers 0 -n auto -k not slow")
NODE = {"mode": "container", "family": "node", "image": "harness-node:facd05b1f6cc",
        "image_id": "sha256:933b9fa34dfcfb92eea80352e2f7b713c1d670253880e235ec7395c18238b9e8",
        "image_source": "fallback", "version": "10.9.9"}


def make_run(root: Path, run_id: str = "r1", **meta: Any) -> Path:
    """A run folder as a run writes it, with a load, and the files that must stay out of a bundle."""
    run_dir = root / run_id
    (run_dir / "load" / "metadata-load-npm").mkdir(parents=True)
    for name in ("report.html", "summary.md", "junit.xml", "ledger.jsonl", "reference-server.log"):
        (run_dir / name).write_text(f"<{name}>\n")
    (run_dir / "results.jsonl").write_text('{"case_id": "small-push[npm-anonymous-none-http]"}\n')
    (run_dir / "verdict.json").write_text(json.dumps({
        "stage": "experiment", "verdict": "not_ready", "why": "not ready: experiment.small_push failed (1 case)",
        "by_format": {"generic": "ready", "npm": "not_ready"}, "missing": [], "exit_code": 1,
        "cases": {"failed": 1, "passed": 9}, "leftovers": []}))
    (run_dir / "run.json").write_text(json.dumps({
        "run_id": run_id, "stage": "experiment", "target": "http://127.0.0.1:40001", "target_kind": "reference server",
        "formats": ["generic", "npm"], "started_at": "2024-05-01T12:00:00+00:00", "duration_s": 12.5,
        "harness_version": "0.1.0", "python_version": "3.11.7", "command": INNER, "signoff_file": None,
        "clients": {"npm": NODE}, **meta}))
    for name in ("load.html", "load.md", "load.json", "timeline.json", "locust.log"):
        (run_dir / "load" / "metadata-load-npm" / name).write_text("{}\n")
    return run_dir


def members(path: Path) -> dict[str, bytes]:
    with tarfile.open(path) as tar:
        return {m.name: tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}  # type: ignore[union-attr]


def test_the_bundle_holds_the_reports_and_the_generated_files_only(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    run_dir = make_run(tmp_path)
    assert main(["report", "bundle", "r1", "--out-dir", str(tmp_path)]) == 0
    path = tmp_path / "r1-bundle.tar.gz"  # the default: next to the run folder
    printed = capsys.readouterr().out.strip()
    assert printed.startswith(f"{path.resolve()} (") and printed.endswith(", 12 files)")
    assert " KiB, " in printed or " bytes, " in printed
    assert sorted(members(path)) == sorted(f"r1-bundle/{name}" for name in [
        "README.md", "TARGET.yaml", "HARNESS.yaml", "report.html", "summary.md", "results.jsonl", "junit.xml",
        "verdict.json", "run.json", "load/metadata-load-npm/load.html", "load/metadata-load-npm/load.md",
        "load/metadata-load-npm/load.json"])  # no ledger, server log, Locust log or raw timeline
    assert members(path)["r1-bundle/report.html"] == (run_dir / "report.html").read_bytes()


def test_target_yaml_says_what_was_tested(tmp_path: Path) -> None:
    bundle = make_bundle(make_run(tmp_path), tmp_path / "b.tar.gz")
    target = yaml.safe_load(members(bundle.path)["r1-bundle/TARGET.yaml"])
    assert target["product"] == "bundled reference server"
    assert target["version"] == "0.1.0"  # the reference server's version is the harness's
    assert target["url"] == "http://127.0.0.1:40001"
    assert target["formats"] == ["generic", "npm"] and target["stage"] == "experiment"
    assert target["verdict"] == "not_ready" and target["faults_injected"] == []
    assert target["clients"] == {"npm": {k: NODE[k] for k in ("mode", "image", "image_id", "image_source",
                                                              "version")}}

    external = make_bundle(make_run(tmp_path / "ext", target="https://staging.example", target_kind="external"),
                           tmp_path / "e.tar.gz")
    target = yaml.safe_load(members(external.path)["r1-bundle/TARGET.yaml"])
    assert target["product"] == "GitLab-compatible registry" and target["version"] is None
    assert target["url"] == "https://staging.example" and "faults_injected" not in target


def test_harness_yaml_has_versions_and_the_scenario_digest(tmp_path: Path) -> None:
    bundle = make_bundle(make_run(tmp_path), tmp_path / "b.tar.gz")
    harness = yaml.safe_load(members(bundle.path)["r1-bundle/HARNESS.yaml"])
    digest, files = scenario_digest()
    assert harness["harness_version"] == "0.1.0" and harness["python_version"] == "3.11.7"
    assert harness["scenarios"]["digest"] == digest and digest.startswith("sha256:")
    assert harness["scenarios"]["files"] == files
    assert "stages.yaml" in [f["path"] for f in files]  # the stage criteria are part of the scenario set
    assert [f["path"] for f in files] == sorted(f["path"] for f in files)
    assert all(f["path"].endswith(".yaml") for f in files)


def test_the_digest_changes_with_any_scenario_file_and_nothing_else(tmp_path: Path) -> None:
    scenarios = tmp_path / "scenarios"
    shutil.copytree(ROOT / "scenarios", scenarios)
    digest, files = scenario_digest(scenarios)
    assert (digest, files) == scenario_digest(ROOT / "scenarios")
    (scenarios / "scenario.schema.json").write_text("{}")  # not a scenario: no change
    (scenarios / "notes.txt").write_text("x")
    assert scenario_digest(scenarios)[0] == digest
    changed = scenarios / "experiment" / "small-push.yaml"
    changed.write_text(changed.read_text() + "\n# changed\n")
    new_digest, new_files = scenario_digest(scenarios)
    assert new_digest != digest
    assert [f["path"] for f in new_files if f not in files] == ["experiment/small-push.yaml"]
    changed.rename(scenarios / "experiment" / "small-push-renamed.yaml")  # same content, other path
    assert scenario_digest(scenarios)[0] not in (digest, new_digest)


def test_the_reproduce_command_comes_from_the_run(tmp_path: Path) -> None:
    meta = json.loads((make_run(tmp_path) / "run.json").read_text())
    verdict = {"stage": "experiment", "by_format": {"generic": "ready", "npm": "not_ready"}}
    assert reproduce_command(meta, verdict) == (
        "python3 -m harness run --stage experiment --formats generic,npm "
        "--token-kinds personal_access_token,anonymous --scenarios small-push,pull --schemes header "
        "--clients none --workers 0 -k 'not slow'")
    external = {**meta, "target": "https://staging.example", "target_kind": "external",
                "command": f"{PYTEST} scenarios --harness-stage beta --harness-target https://staging.example "
                           "--harness-token-file tokens.yaml --harness-run-id nightly --harness-progress"}
    assert reproduce_command(external, {"stage": "beta"}) == (
        "python3 -m harness run --stage beta --formats generic,npm --target https://staging.example "
        "--token-file tokens.yaml")


def test_the_readme_has_the_verdict_and_the_command(tmp_path: Path) -> None:
    bundle = make_bundle(make_run(tmp_path), tmp_path / "b.tar.gz")
    readme = members(bundle.path)["r1-bundle/README.md"].decode()
    assert "**experiment: not ready** — not ready: experiment.small_push failed (1 case)" in readme
    assert "```sh\npython3 -m harness run --stage experiment --formats generic,npm --token-kinds" in readme
    assert "| `load/metadata-load-npm/load.json` |" in readme


@pytest.mark.parametrize("token", ["glpat-" + "a1B2c3D4e5F6g7H8", "gldt-" + "0123456789abcdef",
                                   "glcbt-" + "64_x2y3z4w5v6u7"])
def test_a_planted_token_refuses_the_bundle(tmp_path: Path, token: str, capsys: pytest.CaptureFixture[str]) -> None:
    run_dir = make_run(tmp_path)
    with (run_dir / "results.jsonl").open("a") as f:
        f.write(json.dumps({"case_id": "x", "reason": f"sent PRIVATE-TOKEN: {token}"}) + "\n")
    assert main(["report", "bundle", str(run_dir)]) == 4
    captured = capsys.readouterr()
    assert "results.jsonl, line 2" in captured.err and "refus" in captured.err
    assert token not in captured.err + captured.out  # the message never repeats the token
    assert not list(tmp_path.glob("*.tar.gz*"))  # nothing written, not even a partial file


def test_a_token_in_a_load_report_or_the_command_is_caught_too(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    run_dir = make_run(tmp_path / "a")
    (run_dir / "load" / "metadata-load-npm" / "load.md").write_text("token glpat-ABCDEFGHIJKLMNOP\n")
    assert main(["report", "bundle", str(run_dir)]) == 4
    assert "load/metadata-load-npm/load.md, line 1" in capsys.readouterr().err
    # A token in run.json's command reaches run.json and README.md: the first member scanned is named.
    run_dir = make_run(tmp_path / "b", command=f"{INNER} --harness-target-token glpat-ABCDEFGHIJKLMNOP")
    assert main(["report", "bundle", str(run_dir)]) == 4
    assert "README.md, line" in capsys.readouterr().err
    # Redacted placeholders and short strings are not tokens.
    run_dir = make_run(tmp_path / "c")
    (run_dir / "summary.md").write_text("PRIVATE-TOKEN: glpat-[REDACTED] / glpat-… / gldt-short\n")
    assert main(["report", "bundle", str(run_dir)]) == 0


def test_an_unknown_run_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make_run(tmp_path)
    assert main(["report", "bundle", "nope", "--out-dir", str(tmp_path)]) == 2
    assert "newest runs under" in capsys.readouterr().err


def test_the_reproduce_command_of_a_real_run_reproduces_it(tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    """Bundle a real run, run the README's command, and get the same cases with the same outcomes."""
    args = [*QUICK, "--scenarios", "small-push", "--token-kinds", "personal_access_token,revoked_token",
            "--schemes", "header", "--faults", "accept_revoked_tokens"]
    first = harness_run(tmp_path, *args, run_id="first")
    assert first.returncode == 1, first.explain()
    bundle = make_bundle(first.run_dir)
    assert bundle.path == first.run_dir.parent / "first-bundle.tar.gz"
    readme = members(bundle.path)["first-bundle/README.md"].decode()
    command = readme.split("```sh\n", 1)[1].split("\n```", 1)[0]
    assert "--faults accept_revoked_tokens" in command and "--run-id" not in command
    words = shlex.split(command)
    assert words[:4] == ["python3", "-m", "harness", "run"]
    again = subprocess.run([sys.executable, *words[1:], "--out-dir", str(tmp_path / "out"), "--run-id", "again"],
                           cwd=tmp_path, env=clean_env(), capture_output=True, text=True, timeout=180)
    assert again.returncode == first.returncode, again.stderr[-2000:]
    outcomes = {json.loads(line)["case_id"]: json.loads(line)["outcome"]
                for line in (tmp_path / "out" / "again" / "results.jsonl").read_text().splitlines()}
    assert outcomes == {r["case_id"]: r["outcome"] for r in first.records}
    main(["report", "diff", str(first.run_dir), str(tmp_path / "out" / "again"), "--format", "json"])
    diff = json.loads(capsys.readouterr().out)
    assert diff["cases"] == [] and diff["criteria"] == [] and diff["verdict"]["old"] == diff["verdict"]["new"]
