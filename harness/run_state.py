"""What the controlling process holds for the whole run: settings, the run folder, the reference server it
started, the run context, the bus the outputs listen on and the records it heard of."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.results import Applicability
from engine.config import Settings
from engine.events import EventBus, RecordCollector
from engine.provisioning import RunContext
from engine.reference import ReferenceServer
from reports.junit import JUnitProperties
from reports.progress import LiveProgress


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


@dataclass
class RunState:
    settings: Settings
    run_dir: Path
    bus: EventBus = field(default_factory=EventBus)  # the controller's: every case's CaseFinished, then RunFinished
    records: RecordCollector = field(default_factory=RecordCollector)
    junit: JUnitProperties = field(default_factory=JUnitProperties)
    started: float = field(default_factory=time.monotonic)
    started_at: str = field(default_factory=_now)
    server: ReferenceServer | None = None
    server_data: Path | None = None
    total: int = 0
    progress: LiveProgress | None = None
    ctx: RunContext | None = None
    verdict: dict[str, Any] | None = None
    collect_errors: list[str] = field(default_factory=list)
    # broken scenario files a `--scenarios` selection left out: reported, not blocking
    scenario_warnings: list[str] = field(default_factory=list)
    # which scenarios apply to which formats, and why not: decided once, when the run starts
    applicability: Applicability = field(default_factory=Applicability)
