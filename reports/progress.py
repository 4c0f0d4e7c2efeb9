"""Live progress for a run, a listener on the engine's events. In a terminal: a bar with counts by outcome,
updated as each case finishes. In a log (CI, a pipe): a line every `LOG_EVERY_S` seconds with the counts, and a
line as each scenario's last case finishes, so a long run is never silent."""

from __future__ import annotations

import sys
import threading
import time
from collections import Counter
from collections.abc import Iterable

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from core.results import CaseRecord
from engine.events import CaseFinished, Event

COLOURS = {"passed": "green", "failed": "red", "error": "magenta", "not_run": "yellow", "not_applicable": "dim"}
LOG_EVERY_S = 30.0


def scenario_of(case_id: str) -> str:
    """The scenario a case id or pytest node id names: `small-push` of `…::small-push[generic-…]`."""
    return case_id.rsplit("::", 1)[-1].split("[", 1)[0]


def _elapsed(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes} min {secs:02d} s" if minutes else f"{secs} s"


class LiveProgress:
    def __init__(self, total: int, case_ids: Iterable[str] = (), console: Console | None = None,
                 log_every_s: float = LOG_EVERY_S) -> None:
        self.total = total
        self.counts: Counter[str] = Counter()
        self.console = console or Console(file=sys.stderr)
        self.in_terminal = self.console.is_terminal
        self.scenario_left: Counter[str] = Counter(scenario_of(i) for i in case_ids)
        self.scenario_counts: dict[str, Counter[str]] = {}
        self.log_every_s = log_every_s
        self.started = time.monotonic()
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._ticker: threading.Thread | None = None
        self.progress = Progress(TextColumn("[bold]cases"), BarColumn(), MofNCompleteColumn(),
                                 TextColumn("{task.fields[counts]}"), TimeElapsedColumn(),
                                 console=self.console, transient=False)
        self.task = self.progress.add_task("cases", total=total, counts="")

    def start(self) -> None:
        self.started = time.monotonic()
        if self.in_terminal:
            self.progress.start()
            return
        self.console.print(f"cases: {self.total} to run; a progress line every {self.log_every_s:g} s")
        self._ticker = threading.Thread(target=self._tick, name="progress-log", daemon=True)
        self._ticker.start()

    def _tick(self) -> None:
        while not self._stopped.wait(self.log_every_s):
            self.log_line()

    def _counts_text(self, counts: Counter[str], markup: bool = True) -> str:
        if markup:
            return "  ".join(f"[{COLOURS.get(k, 'white')}]{k} {v}[/]" for k, v in sorted(counts.items()))
        return ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))

    def log_line(self) -> None:
        with self._lock:
            done = sum(self.counts.values())
            share = f" ({done * 100 // self.total}%)" if self.total else ""
            text = self._counts_text(self.counts, markup=False) or "none finished yet"
        self.console.print(f"cases {done}/{self.total}{share}: {text}; {_elapsed(time.monotonic() - self.started)}",
                           markup=False, highlight=False)

    def on_event(self, event: Event) -> None:
        if isinstance(event, CaseFinished):
            self.update(event.record)

    def update(self, record: CaseRecord) -> None:
        outcome = str(record.outcome)
        scenario = scenario_of(record.case_id)
        with self._lock:
            self.counts[outcome] += 1
            self.scenario_counts.setdefault(scenario, Counter())[outcome] += 1
            self.scenario_left[scenario] -= 1
            finished = self.scenario_left[scenario] == 0 and not self.in_terminal
        if self.in_terminal:
            self.progress.update(self.task, advance=1, counts=self._counts_text(self.counts))
        if outcome in ("failed", "error"):
            first_line = (record.reason.splitlines() or [""])[0]
            self.console.print(f"[{COLOURS[outcome]}]{outcome.upper()}[/] {escape(record.case_id)}: "
                               f"{escape(first_line[:160])}", highlight=False)
        if finished:
            counts = self._counts_text(self.scenario_counts[scenario], markup=False)
            self.console.print(f"scenario {scenario} done: {counts}", markup=False, highlight=False)

    def stop(self) -> None:
        if self.in_terminal:
            self.progress.stop()
            return
        self._stopped.set()
        if self._ticker is not None:
            self._ticker.join(timeout=5)
        self.log_line()
