"""Write a run's `report.html` (one self-contained page) and `summary.md` (for the rollout issue).

`results.jsonl` and `junit.xml` are written by their own listeners; both reports here are built from the same
view (reports/view.py) and rendered with jinja2 templates from reports/templates/, HTML autoescaped.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from core.results import CaseRecord
from engine.readiness import Readiness
from reports.look import plural
from reports.view import build_view

TEMPLATES = ("report.html", "summary.md")
ONE_LINE = 200  # characters of a reason in summary.md


def _md_cell(value: object) -> str:
    """Text safe inside a Markdown table cell: one line, pipes escaped."""
    return re.sub(r"\s+", " ", str(value)).replace("|", "\\|").strip()


def _one_line(value: object, limit: int = ONE_LINE) -> str:
    text = re.sub(r"\s+", " ", str(value)).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _fence(text: str) -> str:
    """A code-fence marker longer than any backtick run inside `text`."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    return "`" * max(3, longest + 1)


def _number(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"


def _svg(markup: str) -> Markup:
    return Markup(markup)  # built by reports/svg.py, which escapes every text it places


def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("reports", "templates"),
        autoescape=lambda name: bool(name and name.endswith(".html")),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(md_cell=_md_cell, one_line=_one_line, fence=_fence, number=_number, svg=_svg, plural=plural)
    return env


def write_reports(
    run_dir: Path, records: list[CaseRecord], readiness: Readiness, run_meta: dict[str, Any]
) -> dict[str, Path]:
    """Write summary.md and report.html into `run_dir`; return their paths by name ("summary.md", "report.html")."""
    run_dir.mkdir(parents=True, exist_ok=True)
    from reports.load_report import load_sections

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
