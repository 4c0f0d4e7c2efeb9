"""Run one case (a scenario for one format, credential, scheme and driver) start to end, and record it.

Each step sends the format's own requests through a driver, then checks the answer against the
permission table (for the case's credential) or against success (for the owner's set-up steps).
A credential the table says must be refused ends the case once the refusal is seen: that refusal is
what the case proves. The step kinds are in engine/cases/steps/, found by their op.
"""

from __future__ import annotations

import datetime as dt
import time
import traceback
from contextlib import nullcontext
from pathlib import Path

from core.credentials import REDACTOR
from core.permissions import token_kind_of
from core.results import CaseRecord, StepRecord
from core.vocabulary import Outcome
from engine.cases.errors import CaseNotApplicable, CaseNotRun, CaseRefused, StepFailed
from engine.cases.quiet import heavy_work, is_heavy
from engine.cases.state import CaseState
from engine.cases.steps import STEP_KINDS
from engine.clients.driver import ClientDriver
from engine.clients.registry import RECIPES
from engine.clients.runners import runner_for
from engine.drivers.http import HttpDriver
from engine.events import CaseFinished, CaseStarted, EventBus, StepDone
from engine.gitlab_api import ProvisioningError, SetupNotTaken
from engine.matrix import Case
from engine.provisioning import RunContext, provision_case
from engine.scenario import Step
from formats import FORMATS, OPERATIONS


def run_case(case: Case, ctx: RunContext, index: int, bus: EventBus | None = None) -> CaseRecord:
    """Run one case start to end; never raises for what the target or the harness does: every outcome becomes
    a record. The bus hears the case start, each step done and the case finish."""
    bus = bus or EventBus()
    bus.emit(CaseStarted(case, index))
    record = _run(case, ctx, index, bus)
    bus.emit(CaseFinished(record))
    return record


def _run(case: Case, ctx: RunContext, index: int, bus: EventBus) -> CaseRecord:
    started = time.monotonic()
    started_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    record = CaseRecord(case_id=case.id, scenario=case.scenario.name, stage=case.scenario.stage.value,
                        criteria=[], format=case.format, credential=case.credential.value,
                        scheme=case.scheme.value, driver=case.driver, outcome=Outcome.ERROR, reason="",
                        duration_s=0.0, run_id=ctx.run_id, started_at=started_at,
                        not_applicable=dict(case.not_applicable), role=case.role.value if case.role else None)
    state: CaseState | None = None
    if case.driver != "http":
        record.client = {k: v for k, v in ctx.clients.get(case.driver, {}).items() if k != "not_run"} or None
    try:
        kind = token_kind_of(case.credential)
        carried = RECIPES[case.driver].cannot_carry(kind, case.scheme) if case.driver != "http" and kind else None
        if carried:  # the recipe's own word: this client has no way to present that token so
            raise CaseNotApplicable(carried)
        if ctx.given_project and case.scenario.group_settings is not None:
            raise CaseNotRun("this scenario changes group package settings, which needs a group of its own: "
                             "run it without --project so the harness can create one")
        env = provision_case(ctx, case.id, case.credential, index, case.scenario.project.setup(),
                             OPERATIONS[case.format].package_type, case.role, case.scenario.job_token_from)
        if env.not_run:
            raise CaseNotRun(env.not_run)
        if env.setup_failed:  # the target's failure, reported as what it is, not as the case's own check
            raise StepFailed(env.setup_failed)
        state = CaseState(case, ctx, env, HttpDriver(ctx.target_url), bus, client=_client_driver(case, ctx))
        if (case.scenario.group_settings is not None and env.group_path
                and FORMATS[case.format].rules.duplicates.switchable):
            settings = case.scenario.group_settings
            ctx.client().set_duplicate_settings(env.group_path, case.format, settings.duplicates == "allowed",
                                                settings.exception_regex)
        _prepare(state, case.scenario.steps)
        try:
            for index_in_case, step in enumerate(case.scenario.steps):
                _run_step(state, step, index_in_case)
        except CaseRefused:
            pass
        record.outcome, record.reason = Outcome.PASSED, _passed_reason(state)
    except CaseNotRun as exc:
        record.outcome, record.reason = Outcome.NOT_RUN, str(exc)
    except CaseNotApplicable as exc:
        record.outcome, record.reason = Outcome.NOT_APPLICABLE, str(exc)
    except StepFailed as exc:
        record.outcome, record.reason = Outcome.FAILED, str(exc)
    except SetupNotTaken as exc:
        record.outcome, record.reason = Outcome.FAILED, str(exc)
    except ProvisioningError as exc:
        if exc.status is not None and exc.status >= 500:  # a 5xx is the target's failure, wherever it comes
            record.outcome = Outcome.FAILED
            record.reason = f"the target failed the harness's set-up with {exc.status}: {exc}"
        else:
            record.outcome, record.reason = Outcome.ERROR, f"set-up failed: {exc}"
    except Exception as exc:  # the harness itself broke: say where, never blame the target
        record.outcome = Outcome.ERROR
        record.reason = REDACTOR(f"harness error: {type(exc).__name__}: {exc}\n{traceback.format_exc(limit=4)}")
    finally:
        if state is not None:
            record.steps, record.metrics = state.steps, state.metrics
            _finish(state)
        record.duration_s = round(time.monotonic() - started, 3)
    return record


def _client_driver(case: Case, ctx: RunContext) -> ClientDriver | None:
    """The case's real client, ready to run; CaseNotRun with the reason when it cannot run here."""
    if case.driver == "http":
        return None
    runner, reason = runner_for(case.driver, ctx.clients)
    if runner is None:
        raise CaseNotRun(reason)
    return ClientDriver(RECIPES[case.driver], runner, ctx.target_url, Path(ctx.run_dir) / "client-work")


def _prepare(state: CaseState, steps: list[Step]) -> None:
    """Once before the first step, each kind the scenario uses that prepares the case (in the steps' order)."""
    for op in dict.fromkeys(step.op for step in steps):
        prepare = STEP_KINDS[op].prepare
        if prepare is not None:
            prepare(state)


def _run_step(state: CaseState, step: Step, index: int) -> None:
    kind = STEP_KINDS[step.op]
    record = StepRecord(name=step.name or f"{index + 1}-{step.op}", op=step.op, actor=step.actor,
                        outcome=Outcome.PASSED, message="")
    state.steps.append(record)
    try:
        with heavy_work(state) if is_heavy(state, step) else nullcontext():  # the in-run load waits for it
            kind.run(state, step, record)
    except StepFailed as exc:
        record.outcome, record.message = Outcome.FAILED, str(exc)
        if exc.threshold:
            record.observed["threshold_broken"] = True
        raise StepFailed(f"step {record.name} ({step.op} as {step.actor}): {exc}", exc.threshold) from None
    finally:
        state.emit(StepDone(state.case.id, record))


def _passed_reason(state: CaseState) -> str:
    refused = [s for s in state.steps if s.expected.get("refused")]
    if refused:
        return f"refused as expected: {refused[-1].message}"
    return f"{len(state.steps)} steps as expected"


def _finish(state: CaseState) -> None:
    """Finish the case's job and remove its group at once, so a long run's storage stays bounded.

    A failure here is not the case's: whatever is left stays in the ledger for the run's final clean-up.
    """
    client = state.ctx.client()
    for action, value in state.env.finish:
        try:
            if action == "finish_job":
                client.finish_job(value)
        except Exception:
            pass
    if state.env.group_id is not None:
        try:
            client.delete_group(state.env.group_id)
        except Exception:
            pass
