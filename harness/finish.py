"""The end of a run: clean up the target, judge readiness once, tell the listeners (`RunFinished`: the reports,
results.jsonl) and write `verdict.json` and `run.json`.

Runs in the controlling process after the last case, after a failure and after Ctrl-C alike.
"""

from __future__ import annotations

import datetime as dt
import json
import platform
import time
from pathlib import Path
from typing import Any

from core import packages_api
from core.credentials import REDACTOR
from core.exit_codes import ExitCode
from core.faults import DESCRIPTIONS, Fault
from core.vocabulary import AuthScheme
from engine.drivers.http import HttpDriver
from engine.events import RunFinished
from engine.judgement import judge
from engine.ledger import cleanup
from engine.provisioning import RunContext, _slug
from engine.scenario import scenario_dirs
from formats import FORMATS
from harness.run_state import RunState
from reports.bundle import scenario_digest


def _clean_target(ctx: RunContext) -> list[str]:
    """Remove what the run made on a real target; return what could not be removed."""
    if ctx.reference:
        return []  # the reference server's data is thrown away with it
    leftovers: list[str] = []
    if ctx.given_project:
        leftovers += _delete_prefixed_packages(ctx)
    result = cleanup(ctx.ledger(), ctx.client())
    return leftovers + list(result.leftovers)


def _delete_prefixed_packages(ctx: RunContext) -> list[str]:
    prefix = f"h{_slug(ctx.run_id, 12)}-"
    driver, left = HttpDriver(ctx.target_url), []
    for page in range(1, 51):
        obs = driver.send(packages_api.list_packages(ctx.given_project or "", package_name=prefix, page=page),
                          ctx.owner, AuthScheme.HEADER)
        if obs.status != 200:
            return [f"packages named {prefix}* in project {ctx.given_project}: listing them failed ({obs.status})"]
        items = obs.json()
        for item in items:
            if str(item.get("name", "")).startswith(prefix):
                gone = driver.send(packages_api.delete_package(ctx.given_project or "", int(item["id"])),
                                   ctx.owner, AuthScheme.HEADER)
                if gone.status not in (204, 404):
                    left.append(f"package {item['name']} {item.get('version')} ({gone.status})")
        if not obs.headers.get("x-next-page"):
            break
    return left


def finish_run(state: RunState, *, interrupted: bool, harness_version: str) -> dict[str, Any]:
    settings, run_dir = state.settings, state.run_dir
    leftovers: list[str] = []
    if state.ctx is not None:
        try:
            leftovers = _clean_target(state.ctx)
        except Exception as exc:  # never lose the report over a clean-up problem
            leftovers = [REDACTOR(f"clean-up failed: {exc}; run `harness cleanup {state.ctx.run_id}`")]
    records = list(state.records.records)
    judged = judge(records, stage=settings.stage, formats=settings.formats, applicability=state.applicability,
                   signoff_file=settings.signoff_file, known_failures_file=settings.known_failures,
                   gate=settings.gate, interrupted=interrupted)
    digest, scenario_files = scenario_digest(scenario_dirs(settings.scenario_dirs))
    meta = {
        "run_id": run_dir.name,
        "stage": settings.stage,
        "target": state.ctx.target_url if state.ctx else settings.target,
        "target_kind": "external" if settings.target else "reference server",
        # Which of GitLab's versioned rules (and feature flags) the expected answers followed, and why.
        "gitlab_rules": state.ctx.rules.chosen if state.ctx else None,
        "size_limits_from": state.ctx.size_limits_from if state.ctx else None,
        # Faults injected into the bundled reference server: its failures are the point, not a defect.
        "faults": {name: DESCRIPTIONS[Fault(name)] for name in settings.faults},
        "formats": settings.formats,
        "started_at": state.started_at,
        "finished_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "duration_s": round(time.monotonic() - state.started, 1),
        "harness_version": harness_version,
        "python_version": platform.python_version(),
        "command": json.loads((run_dir / "run.json").read_text()).get("command", ""),
        "leftovers": leftovers,
        "signoff_file": settings.signoff_file,
        "interrupted": interrupted,
        "gate": judged.gate,  # `--gate selection`: the exit code judged the selected cases only, and why
        "gate_mode": settings.gate,
        # Experiment step 6: what each format adds that is custom to GitLab, and why (from formats/<name>.py).
        "custom_endpoints": {
            name: [{"endpoint": f"{e.method} {e.path}", "reason": e.custom_reason} for e in
                   FORMATS[name].custom_endpoints()]
            for name in settings.formats
        },
        # The real clients: where they ran, the exact image, their version; or why they did not run.
        "clients": state.ctx.clients if state.ctx is not None else {},
        "known_failures_file": settings.known_failures,
        "scenario_digest": digest,
        "scenario_files": scenario_files,
        "stale_known_failures": judged.stale,
        # a team's own scenario directories, and broken scenario files the `--scenarios` selection left out
        "scenario_dirs": settings.scenario_dirs,
        "scenario_warnings": state.scenario_warnings,
    }
    try:  # the listeners write the reports (and mark known failures in results.jsonl)
        state.bus.emit(RunFinished(tuple(records), judged.readiness, meta, interrupted))
    except Exception as exc:  # the verdict and results still stand; say the reports broke, and why
        judged.code = ExitCode.HARNESS
        judged.why += f" (the reports could not be written: {type(exc).__name__}: {exc}; results.jsonl is complete)"
    verdict = judged.verdict(settings.stage, records, leftovers)
    (run_dir / "verdict.json").write_text(json.dumps(verdict, indent=2) + "\n")
    meta_file = run_dir / "run.json"
    meta_file.write_text(json.dumps(meta, indent=2) + "\n")
    return verdict


def write_setup_failure(run_dir: Path, stage: str, message: str, code: ExitCode = ExitCode.HARNESS) -> str:
    """The run could not even be set up: say so in verdict.json and summary.md (exit code 4; 1 when the target
    answered the set-up with a 5xx, which is the target's failure)."""
    message = REDACTOR(message)
    whose = "the target failed the harness's set-up" if code == ExitCode.NOT_READY else "the run could not be set up"
    why = f"{whose}, so nothing was checked: {message}"
    verdict = {"stage": stage, "verdict": "not_ready", "why": why, "by_format": {}, "missing": [],
               "exit_code": code, "cases": {}, "leftovers": []}
    (run_dir / "verdict.json").write_text(json.dumps(verdict, indent=2) + "\n")
    (run_dir / "summary.md").write_text(f"# {stage.capitalize()} readiness: not checked\n\n"
                                        f"The harness or its environment broke before any case ran:\n\n"
                                        f"```\n{message}\n```\n")
    return why


def write_scenario_errors(run_dir: Path, stage: str, errors: list[str]) -> dict[str, Any]:
    """A scenario file is wrong: nothing is judged (exit code 2); the errors name file, line and field."""
    why = "scenario errors: " + "; ".join(errors)
    verdict = {"stage": stage, "verdict": "not_ready", "why": why, "by_format": {}, "missing": [],
               "exit_code": ExitCode.CONFIG, "cases": {}, "leftovers": []}
    (run_dir / "verdict.json").write_text(json.dumps(verdict, indent=2) + "\n")
    body = "\n".join(f"- {e}" for e in errors)
    (run_dir / "summary.md").write_text(f"# {stage.capitalize()} readiness: not checked\n\n"
                                        f"The scenarios could not be loaded:\n\n{body}\n")
    return verdict
