"""Write a run's `report.html` (one self-contained page) and `summary.md` (for the rollout issue), as the run
finishes (`RunReport` listens for `RunFinished`).

`results.jsonl` and `junit.xml` are written by their own listeners; both reports here are built from the same
view (reports/view.py) and rendered with jinja2 templates from reports/templates/, HTML autoescaped.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from core.results import CaseRecord
from engine.events import Event, RunFinished
from engine.readiness import Readiness
from reports.load_report import load_sections
from reports.templating import environment
from reports.view import build_view

__all__ = ["RunReport", "environment", "write_reports"]

TEMPLATES = ("report.html", "summary.md")


def write_reports(
    run_dir: Path, records: list[CaseRecord], readiness: Readiness, run_meta: dict[str, Any]
) -> dict[str, Path]:
    """Write summary.md and report.html into `run_dir`; return their paths by name ("summary.md", "report.html")."""
    run_dir.mkdir(parents=True, exist_ok=True)
    view = build_view(records, readiness, run_meta)
    loads = load_sections(run_dir)
    env = environment()
    written = {}
    for name in TEMPLATES:
        path = run_dir / name
        text = env.get_template(name).render(view=view, loads=loads, report_path=run_dir / "report.html")
        path.write_text(text, encoding="utf-8")
        written[name] = path
    return written


class RunReport:
    """Listener: the run's report.html and summary.md, written once the run is judged."""

    def __init__(self, run_dir: Path) -> None:
        self.run_dir = run_dir

    def on_event(self, event: Event) -> None:
        if isinstance(event, RunFinished):
            write_reports(self.run_dir, list(event.records), event.readiness, event.meta)
