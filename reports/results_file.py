"""`results.jsonl`: one record per case, appended as each case finishes (schema `harness.result/1`); once the run
is judged, rewritten if known failures were marked on the records, so whoever reads it later (report diff) sees
which failures were declared known."""

from __future__ import annotations

from pathlib import Path

from engine.events import CaseFinished, Event, RunFinished


class ResultsFile:
    """Listener writing `results.jsonl`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.touch()

    def on_event(self, event: Event) -> None:
        if isinstance(event, CaseFinished):
            with self.path.open("a", encoding="utf-8") as results:
                results.write(event.record.to_json() + "\n")
        elif isinstance(event, RunFinished) and any(r.known for r in event.records):
            temporary = self.path.with_suffix(".tmp")
            temporary.write_text("".join(r.to_json() + "\n" for r in event.records), encoding="utf-8")
            temporary.replace(self.path)
