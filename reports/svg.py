"""Small inline-SVG pictures for the HTML report: a horizontal bar chart and a matrix grid. Pure Python.

The helpers know nothing about cases: they take labels, values, colours, tooltips and links, escape every
piece of text, and return SVG markup meant to be embedded in an HTML page (no xmlns, no external references).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape

FONT = "font-family=\"system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif\""
CHAR_WIDTH = 6.6  # average width of a 11px character, to size label columns
TEXT = "#1f2933"
MUTED = "#616e7c"
GRID = "#e4e7eb"


def _attr(value: object) -> str:
    return escape(str(value), quote=True)


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".") if isinstance(value, float) else str(value)


def _fit(label: str, width: float) -> str:
    """Shorten `label` with an ellipsis so that it fits `width` pixels."""
    most = max(4, int(width / CHAR_WIDTH))
    return label if len(label) <= most else label[: most - 1] + "…"


def _linked(inner: str, href: str | None) -> str:
    return f'<a href="{_attr(href)}">{inner}</a>' if href else inner


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    colour: str
    tooltip: str
    href: str | None = None


def nice_ceiling(value: float) -> float:
    """The smallest 1, 2 or 5 × 10^n at or above `value` (the end of a chart's axis)."""
    if value <= 0:
        return 1.0
    magnitude = 10 ** math.floor(math.log10(value))
    return next(step * magnitude for step in (1, 2, 5, 10) if step * magnitude >= value)


def bar_chart(bars: list[Bar], *, title: str, unit: str = "", width: int = 760) -> str:
    """A horizontal bar chart: one labelled row per bar, the value at the bar's end, a light grid with an axis."""
    row, top, bottom = 22, 30, 26
    label_width = min(380, max(80, max((len(b.label) for b in bars), default=0) * CHAR_WIDTH + 12))
    plot_left, plot_width = label_width, width - label_width - 70
    height = top + row * len(bars) + bottom
    axis_max = nice_ceiling(max((b.value for b in bars), default=0.0))
    scale = plot_width / axis_max

    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-label="{_attr(title)}" {FONT} font-size="11">',
        f'<text x="0" y="16" font-size="13" font-weight="600" fill="{TEXT}">{escape(title)}</text>',
    ]
    for i in range(5):
        tick = axis_max * i / 4
        x = plot_left + tick * scale
        parts.append(f'<line x1="{x:.1f}" y1="{top - 4}" x2="{x:.1f}" y2="{height - bottom}" stroke="{GRID}"/>')
        parts.append(
            f'<text x="{x:.1f}" y="{height - bottom + 14}" text-anchor="middle" fill="{MUTED}">{_num(tick)}</text>'
        )
    if unit:
        x = plot_left + plot_width
        parts.append(f'<text x="{x}" y="{height - 2}" text-anchor="end" fill="{MUTED}">{escape(unit)}</text>')
    for i, bar in enumerate(bars):
        y = top + i * row
        length = max(1.0, bar.value * scale)
        inner = (
            f"<title>{escape(bar.tooltip)}</title>"
            f'<text x="{plot_left - 8}" y="{y + 14}" text-anchor="end" fill="{TEXT}">'
            f"{escape(_fit(bar.label, label_width - 12))}</text>"
            f'<rect x="{plot_left}" y="{y + 3}" width="{length:.1f}" height="{row - 7}" rx="2" '
            f'fill="{_attr(bar.colour)}"/>'
            f'<text x="{plot_left + length + 5:.1f}" y="{y + 14}" fill="{TEXT}">{_num(bar.value)}</text>'
        )
        parts.append(_linked(f"<g>{inner}</g>", bar.href))
    parts.append("</svg>")
    return "\n".join(parts)


@dataclass(frozen=True)
class Mark:
    """One case inside a matrix cell."""

    colour: str
    tooltip: str
    href: str | None = None


def matrix_grid(
    rows: list[str],
    columns: list[str],
    cells: dict[tuple[int, int], list[Mark]],
    *,
    title: str,
    legend: list[tuple[str, str]] | None = None,
    cell: int = 26,
) -> str:
    """A grid of coloured cells: row labels on the left, column labels slanted on top.

    `cells[(row, column)]` lists the marks of a cell; several marks split the cell into vertical stripes
    (e.g. one per driver). An empty cell is drawn as an outline.
    """
    label_width = min(260, max(60, max((len(r) for r in rows), default=0) * CHAR_WIDTH + 12))
    header = min(190, max(40, max((len(c) for c in columns), default=0) * CHAR_WIDTH * 0.72 + 24))
    legend_height = 26 if legend else 0
    legend_width = sum(34 + len(name) * CHAR_WIDTH for name, _ in legend or [])
    width = max(label_width + cell * len(columns) + header * 0.75 + 10, legend_width)
    height = 24 + header + cell * len(rows) + legend_height + 8
    top = 24 + header

    parts = [
        f'<svg class="matrix" viewBox="0 0 {width:.0f} {height:.0f}" width="{width:.0f}" role="img" '
        f'aria-label="{_attr(title)}" {FONT} font-size="11" style="max-width:100%;height:auto">',
        f'<text x="0" y="16" font-size="13" font-weight="600" fill="{TEXT}">{escape(title)}</text>',
    ]
    for j, column in enumerate(columns):
        x = label_width + j * cell + cell / 2
        parts.append(
            f'<text transform="translate({x + 4:.1f},{top - 6}) rotate(-45)" fill="{TEXT}">'
            f"<title>{escape(column)}</title>{escape(_fit(column, header * 1.3))}</text>"
        )
    for i, label in enumerate(rows):
        y = top + i * cell
        parts.append(
            f'<text x="{label_width - 8}" y="{y + cell / 2 + 4}" text-anchor="end" fill="{TEXT}">'
            f"<title>{escape(label)}</title>{escape(_fit(label, label_width - 12))}</text>"
        )
        for j in range(len(columns)):
            x = label_width + j * cell
            marks = cells.get((i, j), [])
            if not marks:
                parts.append(
                    f'<rect x="{x + 1}" y="{y + 1}" width="{cell - 2}" height="{cell - 2}" fill="none" '
                    f'stroke="{GRID}"><title>no case</title></rect>'
                )
                continue
            stripe = (cell - 2) / len(marks)
            for k, mark in enumerate(marks):
                rect = (
                    f'<rect x="{x + 1 + k * stripe:.2f}" y="{y + 1}" width="{stripe:.2f}" height="{cell - 2}" '
                    f'fill="{_attr(mark.colour)}" stroke="#ffffff" stroke-width="0.5">'
                    f"<title>{escape(mark.tooltip)}</title></rect>"
                )
                parts.append(_linked(rect, mark.href))
    if legend:
        x, y = 0.0, height - legend_height + 6
        for name, colour in legend:
            parts.append(f'<rect x="{x:.1f}" y="{y}" width="12" height="12" rx="2" fill="{_attr(colour)}"/>')
            parts.append(f'<text x="{x + 16:.1f}" y="{y + 10}" fill="{TEXT}">{escape(name)}</text>')
            x += 16 + len(name) * CHAR_WIDTH + 18
    parts.append("</svg>")
    return "\n".join(parts)
