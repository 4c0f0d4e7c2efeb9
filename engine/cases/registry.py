"""The step kinds, by operation: each module of engine/cases/steps/ registers the kinds it carries out.

    @step_kind("tag", "untag")
    def tag(state: CaseState, step: Step, record: StepRecord) -> None: ...

A kind may also `prepare` the case once before its first step (for instance reading counters a later step
compares with), when the scenario has a step of that kind.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from core.results import StepRecord
from engine.cases.state import CaseState
from engine.scenario import Step

StepRun = Callable[[CaseState, Step, StepRecord], None]
Prepare = Callable[[CaseState], None]


@dataclass(frozen=True, slots=True)
class StepKind:
    op: str
    run: StepRun
    prepare: Prepare | None = None


_KINDS: dict[str, StepKind] = {}


def step_kind(*ops: str, prepare: Prepare | None = None) -> Callable[[StepRun], StepRun]:
    """Register the decorated function as the step kind of each of `ops`."""

    def register(run: StepRun) -> StepRun:
        for op in ops:
            if op in _KINDS:
                raise ValueError(f"step op {op!r} is registered twice: {_KINDS[op].run.__module__} and "
                                 f"{run.__module__}")
            _KINDS[op] = StepKind(op, run, prepare)
        return run

    return register


def registered() -> dict[str, StepKind]:
    """Every registered step kind by op (a copy)."""
    return dict(_KINDS)
