"""Live progress for a run: a bar with counts by outcome, updated as each case finishes (a listener)."""

from __future__ import annotations

import sys
from collections import Counter

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from core.results import CaseRecord
from engine.events import CaseFinished, Event

COLOURS = {"passed": "green", "failed": "red", "error": "magenta", "not_run": "yellow", "not_applicable": "dim"}


class LiveProgress:
    def __init__(self, total: int) -> None:
        self.counts: Counter[str] = Counter()
        self.console = Console(file=sys.stderr)
        self.progress = Progress(TextColumn("[bold]cases"), BarColumn(), MofNCompleteColumn(),
                                 TextColumn("{task.fields[counts]}"), TimeElapsedColumn(),
                                 console=self.console, transient=False)
        self.task = self.progress.add_task("cases", total=total, counts="")

    def start(self) -> None:
        self.progress.start()

    def on_event(self, event: Event) -> None:
        if isinstance(event, CaseFinished):
            self.update(event.record)

    def update(self, record: CaseRecord) -> None:
        outcome = str(record.outcome)
        self.counts[outcome] += 1
        text = "  ".join(f"[{COLOURS.get(k, 'white')}]{k} {v}[/]" for k, v in sorted(self.counts.items()))
        self.progress.update(self.task, advance=1, counts=text)
        if outcome in ("failed", "error"):
            first_line = (record.reason.splitlines() or [""])[0]
            self.progress.console.print(f"[{COLOURS[outcome]}]{outcome.upper()}[/] {record.case_id}: "
                                        f"{first_line[:160]}")

    def stop(self) -> None:
        self.progress.stop()
