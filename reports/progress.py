"""Live progress for a run: a bar with counts by outcome, updated as each case record arrives."""

from __future__ import annotations

import sys
from collections import Counter
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

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

    def update(self, record: dict[str, Any]) -> None:
        self.counts[record["outcome"]] += 1
        text = "  ".join(f"[{COLOURS.get(k, 'white')}]{k} {v}[/]" for k, v in sorted(self.counts.items()))
        self.progress.update(self.task, advance=1, counts=text)
        if record["outcome"] in ("failed", "error"):
            self.progress.console.print(f"[{COLOURS[record['outcome']]}]{record['outcome'].upper()}[/] "
                                        f"{record['case_id']}: {record['reason'].splitlines()[0][:160]}")

    def stop(self) -> None:
        self.progress.stop()
