"""The metadata load inside a run (`op: load`), with the scenario's `in_run` numbers: the case's project is seeded
and read by Locust users carrying every token kind the run has (each endpoint takes those the permission table
lets through). The result goes to the listeners (`LoadMeasured`: the load report); the step judges it."""

from __future__ import annotations

from pathlib import Path

from core.credentials import Credential
from core.results import StepRecord
from engine.cases.errors import StepFailed
from engine.cases.quiet import QUIET_WAIT_S, quiet_window
from engine.cases.registry import step_kind
from engine.cases.state import CaseState
from engine.events import LoadMeasured
from engine.load.job import LOAD_CREDENTIALS, LOAD_SCHEMES, LoadRequest, run_load
from engine.load.locust_run import LoadRunError
from engine.provisioning import subject_credential
from engine.scenario import Step


def _credentials(state: CaseState) -> tuple[list[Credential], dict[str, str]]:
    """The subject's credential and every other token kind of the run the load can carry (and why not, for the
    others)."""
    assert state.env.subject is not None
    client = state.ctx.client()
    credentials: list[Credential] = [state.env.subject]
    not_carried: dict[str, str] = {}
    for case in LOAD_CREDENTIALS:
        if case is state.env.subject.case or case.value not in state.ctx.settings.get("token_kinds", [case.value]):
            continue
        credential, why = subject_credential(state.ctx, client, state.env, case, f"{state.case.id}-{case.value}")
        if credential is None:
            not_carried[case.value] = why or "unavailable"
        else:
            credentials.append(credential)
    return credentials, not_carried


@step_kind("load")
def load(state: CaseState, step: Step, record: StepRecord) -> None:
    assert step.load is not None
    credentials, not_carried = _credentials(state)
    out_dir = Path(state.ctx.run_dir) / "load" / f"{state.case.scenario.name}-{state.format_name}"
    request = LoadRequest(scenario=state.case.scenario.name, format_name=state.format_name,
                          target_url=state.ctx.target_url, owner=state.ctx.owner, project_id=state.env.project_id,
                          group_id=state.env.group_id, credentials=credentials,
                          schemes=[s for s in LOAD_SCHEMES if s.value in state.ctx.settings.get("schemes", [s.value])],
                          spec=step.load.for_run(), out_dir=out_dir, name_prefix=state.env.name_prefix,
                          not_carried=not_carried)
    try:
        with quiet_window(state) as quiet:  # nothing heavy beside the measurement (engine/cases/quiet.py)
            outcome = run_load(request)
    except LoadRunError as exc:
        raise RuntimeError(str(exc)) from None
    contended = "" if quiet else (f" (contended: heavy work of other cases ran beside it; no quiet window came "
                                  f"within {QUIET_WAIT_S:.0f} s; rerun --scenarios metadata-load alone)")
    state.metrics["load_contended"] = 0.0 if quiet else 1.0
    record.observed["contended"] = not quiet
    result = outcome.result
    state.emit(LoadMeasured(state.case.id, result, out_dir))
    for task, stats in result["endpoints"].items():
        for key in ("p50_ms", "p95_ms", "p99_ms"):
            if stats.get(key) is not None and task != "all":
                state.metrics[f"load_{task}_{key}"] = stats[key]
    state.metrics["load_rps"] = result["endpoints"]["all"]["rps"]
    growth = result.get("growth")
    if growth and growth.get("exponent_first") is not None:
        state.metrics["load_growth_exponent"] = growth["exponent_first"]
    record.observed.update({"endpoints": result["endpoints"], "growth": growth,
                            "report": str(out_dir.relative_to(state.ctx.run_dir) / "load.html")})
    record.expected.update({"thresholds": result["thresholds"],
                            "max_growth_exponent": step.load.growth.max_exponent if step.load.growth else None})
    if not outcome.passed:
        raise StepFailed("; ".join(outcome.breaches + outcome.findings) + contended
                         + f" (load report: {out_dir / 'load.html'})", threshold=True)
    record.message = (f"{outcome.summary()}; {'measured with nothing heavy beside it' if quiet else contended}; "
                      f"load report {out_dir / 'load.html'}")
