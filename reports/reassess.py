"""`harness report reassess RUN`: judge a finished run again, with new sign-offs or known failures, without
running it again. The cases stay as they were recorded; the criteria, the verdict, the exit code and the
reports are made anew, as `harness run` makes them (`engine.judgement`), and run.json says what changed.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from engine.config import ConfigError
from engine.judgement import judge
from engine.matrix import scenario_applicability
from engine.scenario import ScenarioError, read_scenarios, scenario_dirs
from reports.diff import read_run
from reports.render import write_reports


def reassess(run_dir: Path, *, signoff_file: str | None, known_failures_file: str | None,
             gate: str | None) -> tuple[dict[str, Any], dict[str, Any]]:
    """Re-judge `run_dir`: (the verdict before, the verdict now). Files not given are the run's own."""
    run = read_run(run_dir)
    meta, before = dict(run.meta), run.verdict
    if not meta.get("stage") or not run.records:
        raise ConfigError(f"{run_dir}: the run judged no case (it stopped before its cases ran); nothing to reassess")
    signoff_file = signoff_file or meta.get("signoff_file")
    known_failures_file = known_failures_file or meta.get("known_failures_file")
    gate = gate or meta.get("gate_mode") or ("selection" if meta.get("gate") else "stage")
    for given, what in ((signoff_file, "sign-off file"), (known_failures_file, "known-failures file")):
        if given and not Path(given).is_file():
            raise ConfigError(f"{what} {given} does not exist")
    records = [replace(r, known=None) for r in run.records]  # known failures are judged anew, from the file
    try:
        applicability = scenario_applicability(read_scenarios(scenario_dirs(meta.get("scenario_dirs") or [])))
        judged = judge(records, stage=str(meta["stage"]), formats=list(meta.get("formats") or []),
                       applicability=applicability, signoff_file=signoff_file,
                       known_failures_file=known_failures_file, gate=gate,
                       interrupted=bool(meta.get("interrupted")))
    except ScenarioError as exc:  # a bad sign-off or known-failures file raises ConfigError itself
        raise ConfigError(str(exc)) from None
    meta |= {
        "signoff_file": signoff_file, "known_failures_file": known_failures_file, "gate": judged.gate,
        "gate_mode": gate, "stale_known_failures": judged.stale,
        "reassessed": {"at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                       "before": {"verdict": before.get("verdict"), "exit_code": before.get("exit_code"),
                                  "why": before.get("why")}},
    }
    write_reports(run_dir, records, judged.readiness, meta)
    if any(r.known for r in records) or any(r.known for r in run.records):
        temporary = run_dir / "results.jsonl.tmp"
        temporary.write_text("".join(r.to_json() + "\n" for r in records), encoding="utf-8")
        temporary.replace(run_dir / "results.jsonl")
    verdict = judged.verdict(str(meta["stage"]), records, list(before.get("leftovers") or []))
    (run_dir / "verdict.json").write_text(json.dumps(verdict, indent=2) + "\n")
    (run_dir / "run.json").write_text(json.dumps(meta, indent=2) + "\n")
    return before, verdict
