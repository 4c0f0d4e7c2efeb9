"""What the engine tells the outputs as a run goes: a case started, a step is done, a load was measured, a case
finished (with its record), the run finished (with its judged readiness).

Outputs (terminal progress, results.jsonl, JUnit, the reports, the load report) are listeners: each subscribes to
a bus and picks the events it needs. A new output is a new listener; no engine file changes.

Not to be confused with engine/usage_events.py, which reads the registry's own push/pull usage counters.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from core.results import CaseRecord, StepRecord
from engine.matrix import Case
from engine.readiness import Readiness


@dataclass(frozen=True, slots=True)
class CaseStarted:
    case: Case
    index: int  # the case's position in the run


@dataclass(frozen=True, slots=True)
class StepDone:
    case_id: str
    step: StepRecord  # passed or failed: its outcome says


@dataclass(frozen=True, slots=True)
class LoadMeasured:
    """A metadata load ran to its end (or was interrupted): its full result, for the load report in `out_dir`."""

    case_id: str
    result: dict[str, Any]
    out_dir: Path


@dataclass(frozen=True, slots=True)
class CaseFinished:
    record: CaseRecord


@dataclass(frozen=True, slots=True)
class RunFinished:
    """Every case is done and judged once; `meta` is the run's metadata (run.json)."""

    records: tuple[CaseRecord, ...]
    readiness: Readiness
    meta: dict[str, Any]
    interrupted: bool


Event = CaseStarted | StepDone | LoadMeasured | CaseFinished | RunFinished


class Listener(Protocol):
    def on_event(self, event: Event) -> None:
        """Handle the event, or ignore it: a listener sees every event of its bus."""


class EventBus:
    """Hands each event to every listener, in the order they subscribed."""

    def __init__(self, listeners: Iterable[Listener] = ()) -> None:
        self.listeners: list[Listener] = list(listeners)

    def subscribe(self, listener: Listener) -> None:
        self.listeners.append(listener)

    def emit(self, event: Event) -> None:
        """Every listener gets the event even when one breaks; the first failure is raised after the last."""
        failures: list[Exception] = []
        for listener in self.listeners:
            try:
                listener.on_event(event)
            except Exception as exc:
                failures.append(exc)
        if failures:
            raise failures[0]


class RecordCollector:
    """Keeps every finished case's record, in the order they finished (the controller judges them at the end)."""

    def __init__(self) -> None:
        self.records: list[CaseRecord] = []

    def on_event(self, event: Event) -> None:
        if isinstance(event, CaseFinished):
            self.records.append(event.record)
