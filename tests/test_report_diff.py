"""`harness report diff OLD NEW`: the exact changes it reports between two hand-made run folders, and its exit code
(0 nothing got worse, 1 something regressed, 2 bad input)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from engine.readiness import load_stages
from harness.cli import main

SMALL_PUSH = "experiment.small_push"  # the criterion small-push cases are evidence for


def case(case_id: str, outcome: str, metrics: dict[str, float] | None = None, reason: str = "") -> dict[str, Any]:
    """A minimal `harness.result/1` record (docs/results-schema.md) for a Generic small-push case."""
    credential = case_id.split("[")[1].split("-")[1]  # small-push[generic-CREDENTIAL-header-http]
    return {"schema": "harness.result/1", "case_id": case_id, "scenario": case_id.split("[")[0],
            "stage": "experiment", "criteria": [], "format": "generic", "credential": credential,
            "scheme": "header", "driver": "http", "outcome": outcome, "reason": reason, "duration_s": 0.1,
            "run_id": "x", "started_at": "2024-05-01T12:00:00Z", "steps": [], "metrics": metrics or {},
            "client": None}


def write_run(root: Path, run_id: str, cases: list[dict[str, Any]], verdict: str,
              loads: dict[str, dict[str, Any]] | None = None) -> Path:
    run_dir = root / run_id
    run_dir.mkdir(parents=True)
    (run_dir / "results.jsonl").write_text("".join(json.dumps(c, sort_keys=True) + "\n" for c in cases))
    (run_dir / "verdict.json").write_text(json.dumps({
        "stage": "experiment", "verdict": verdict, "why": verdict, "by_format": {"generic": verdict}, "missing": [],
        "exit_code": 0 if verdict == "ready" else 1, "cases": {}, "leftovers": []}))
    (run_dir / "run.json").write_text(json.dumps({"run_id": run_id, "stage": "experiment", "formats": ["generic"],
                                                  "target_kind": "reference server", "signoff_file": None}))
    for name, endpoints in (loads or {}).items():
        (run_dir / "load" / name).mkdir(parents=True)
        (run_dir / "load" / name / "load.json").write_text(json.dumps({"schema": "engine.load/1",
                                                                        "endpoints": endpoints}))
    return run_dir


A = "small-push[generic-personal_access_token-header-http]"
B = "small-push[generic-project_access_token-header-http]"
C = "search-list[generic-job_token-header-http]"
D = "small-push[generic-project_deploy_token-header-http]"
E = "small-push[generic-group_deploy_token-header-http]"
LOAD = "metadata-load-generic"


@pytest.fixture
def runs(tmp_path: Path) -> tuple[Path, Path]:
    """OLD → NEW: B passed → failed (regression), C not run → passed, D vanished, E new; push throughput of A fell
    40 %, B's p95 doubled (+20 ms), A's p95 +10 % (within the margin), B's max +100 % but only +1 ms (noise);
    the load's metadata p95 grew 50 %, its rps fell 5 % (within)."""
    old = write_run(tmp_path, "old", [
        case(A, "passed", {"push_mib_s": 50.0, "list_p95_ms": 10.0}),
        case(B, "passed", {"list_p95_ms": 20.0, "list_max_ms": 1.0}),
        case(C, "not_run", reason="job_token not given"),
        case(D, "passed"),
    ], "needs_sign_off", {LOAD: {"metadata": {"p50_ms": 10.0, "p95_ms": 100.0, "p99_ms": 120.0, "rps": 200.0}}})
    new = write_run(tmp_path, "new", [
        case(A, "passed", {"push_mib_s": 30.0, "list_p95_ms": 11.0}),
        case(B, "failed", {"list_p95_ms": 40.0, "list_max_ms": 2.0}, reason="expected 201 Created, got 500"),
        case(C, "passed"),
        case(E, "passed"),
    ], "not_ready", {LOAD: {"metadata": {"p50_ms": 10.0, "p95_ms": 150.0, "p99_ms": 125.0, "rps": 190.0}}})
    return old, new


def diff_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    code = main(["report", "diff", *args, "--format", "json"])
    return code, json.loads(capsys.readouterr().out)


def test_a_regression_is_reported_exactly_and_exits_1(runs: tuple[Path, Path],
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    assert SMALL_PUSH in {c.id for c in load_stages().stage("experiment").criteria}
    code, out = diff_json(capsys, str(runs[0]), str(runs[1]))
    assert code == 1 and out["exit_code"] == 1 and out["regressed"]
    assert [(c["case_id"], c["old"], c["new"], c["regressed"]) for c in out["cases"]] == [
        (B, "passed", "failed", True),  # regressions first
        (C, "not_run", "passed", False),
        (E, None, "passed", False),  # then new cases
        (D, "passed", None, False),  # then vanished ones
    ]
    assert out["cases"][0]["reason"] == "expected 201 Created, got 500"
    # small-push's criterion: not checked (other scenarios of it did not run) → failed (B failed).
    assert {(c["criterion"], c["format"], c["old"], c["new"], c["regressed"]) for c in out["criteria"]} >= {
        (SMALL_PUSH, "generic", "not_checked", "failed", True)}
    assert "re-assessed" in out["criteria_source"]
    assert sorted((m["where"], m["metric"], m["old"], m["new"], m["kind"]) for m in out["metrics"]) == sorted([
        (A, "push_mib_s", 50.0, 30.0, "throughput"),
        (B, "list_p95_ms", 20.0, 40.0, "latency"),
        (f"load {LOAD} metadata", "p95_ms", 100.0, 150.0, "latency"),
    ])
    assert out["verdict"] == {"old": "needs_sign_off", "new": "not_ready", "worse": True}
    assert out["regressions"] == {"cases": 1, "criteria": out["regressions"]["criteria"], "metrics": 3, "verdict": 1}
    assert out["regressions"]["criteria"] >= 1


def test_markdown_groups_passed_to_failed_first_and_is_pasteable(runs: tuple[Path, Path],
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "diff", str(runs[0]), str(runs[1])]) == 1
    md = capsys.readouterr().out
    assert md.startswith("## Run diff: `old` → `new`")
    assert "**Verdict:** experiment: needs sign off → not ready (worse)" in md
    assert md.index("**passed → failed** (1) — **regression**") < md.index("**not run → passed** (1)") \
        < md.index("**new** (1)") < md.index("**vanished** (1)")
    assert f"- `{B}`: expected 201 Created, got 500" in md
    assert f"| {SMALL_PUSH} | generic | not checked | failed | **worse** |" in md
    assert f"| `{A}` | push_mib_s | 50.0 | 30.0 | -40% |" in md
    assert f"| `{B}` | list_p95_ms | 20.0 | 40.0 | +100% |" in md
    assert "re-assessed from each run's results.jsonl" in md


def test_a_wider_margin_drops_the_metric_regressions_but_not_the_case(runs: tuple[Path, Path],
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    code, out = diff_json(capsys, str(runs[0]), str(runs[1]), "--margin", "1.5")
    assert code == 1 and out["metrics"] == [] and out["regressions"]["cases"] == 1
    # --min-ms 0: B's max latency (1 → 2 ms, +100 %) counts too.
    code, out = diff_json(capsys, str(runs[0]), str(runs[1]), "--min-ms", "0")
    assert (B, "list_max_ms") in {(m["where"], m["metric"]) for m in out["metrics"]}


def test_only_improvements_exit_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old = write_run(tmp_path, "before", [case(A, "failed", {"list_p95_ms": 50.0, "push_mib_s": 10.0}),
                                         case(B, "passed")], "not_ready",
                    {LOAD: {"metadata": {"p95_ms": 100.0, "rps": 100.0}}})
    new = write_run(tmp_path, "after", [case(A, "passed", {"list_p95_ms": 20.0, "push_mib_s": 60.0}),
                                        case(B, "passed")], "needs_sign_off",
                    {LOAD: {"metadata": {"p95_ms": 50.0, "rps": 300.0}}})
    code, out = diff_json(capsys, str(old), str(new))
    assert code == 0 and not out["regressed"]
    assert [(c["case_id"], c["old"], c["new"]) for c in out["cases"]] == [(A, "failed", "passed")]
    assert out["metrics"] == [] and out["compared_metrics"] == 4
    assert out["verdict"] == {"old": "not_ready", "new": "needs_sign_off", "worse": False}
    assert all(not c["regressed"] for c in out["criteria"])
    assert main(["report", "diff", str(old), str(new), "--format", "text"]) == 0
    assert "result: nothing got worse" in capsys.readouterr().out


def test_identical_runs_have_no_changes(runs: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    code, out = diff_json(capsys, str(runs[1]), str(runs[1]))
    assert code == 0 and out["cases"] == [] and out["criteria"] == [] and out["metrics"] == []


def test_runs_are_found_by_id_under_out_dir(runs: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["report", "diff", "old", "new", "--out-dir", str(runs[0].parent), "--format", "text"])
    assert code == 1 and capsys.readouterr().out.startswith("run diff: old -> new")


def test_an_unknown_run_exits_2_and_lists_the_newest(runs: tuple[Path, Path],
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "diff", "old", "nope", "--out-dir", str(runs[0].parent)]) == 2
    err = capsys.readouterr().err
    assert "no run 'nope'" in err and "newest runs under" in err and "old" in err and "new" in err


def test_an_unknown_schema_is_refused(runs: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    results = runs[1] / "results.jsonl"
    results.write_text(results.read_text().replace("harness.result/1", "harness.result/2"))
    assert main(["report", "diff", str(runs[0]), str(runs[1])]) == 2
    assert "harness.result/2" in capsys.readouterr().err


def test_recorded_statuses_are_used_not_re_judged(runs: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    """A run's verdict.json records its judged statuses: the diff uses them as they are."""
    for run_dir, status in ((runs[0], "passed"), (runs[1], "error")):
        verdict = json.loads((run_dir / "verdict.json").read_text())
        verdict["criteria"] = {SMALL_PUSH: {"generic": status}}
        (run_dir / "verdict.json").write_text(json.dumps(verdict))
    code, out = diff_json(capsys, str(runs[0]), str(runs[1]))
    assert code == 1 and "judged" in out["criteria_source"]
    assert [(c["criterion"], c["old"], c["new"], c["regressed"]) for c in out["criteria"]] == [
        (SMALL_PUSH, "passed", "error", True)]
