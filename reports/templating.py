"""The jinja2 environment every report renders with: templates from reports/templates/, HTML autoescaped, and the
filters the templates share (Markdown table cells, one-line reasons, code fences, numbers, SVG pictures)."""

from __future__ import annotations

import re
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from reports.look import plural

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
        # by path, not by package: a `reports/` folder in the working directory (the default --out-dir) must not
        # stand in for this package when pytest runs from elsewhere
        loader=FileSystemLoader(Path(__file__).resolve().parent / "templates"),
        autoescape=lambda name: bool(name and name.endswith(".html")),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(md_cell=_md_cell, one_line=_one_line, fence=_fence, number=_number, svg=_svg, plural=plural)
    return env
