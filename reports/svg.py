"""Small inline-SVG pictures for the HTML report: a horizontal bar chart, a matrix grid and a line chart. Pure Python.

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
    magnitude: float = 10 ** math.floor(math.log10(value))  # typeshed types int ** int as Any
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


@dataclass(frozen=True)
class Series:
    """One line of a line chart: `points` are (x, y) with x ascending; NaN/inf (and, on log axes, values ≤ 0) are
    skipped. `dashed` suits a fitted curve or a threshold; `markers` draws a circle with a tooltip at each point."""

    label: str
    points: list[tuple[float, float]]
    colour: str
    dashed: bool = False
    markers: bool = True


@dataclass(frozen=True)
class Band:
    """A shaded x-range behind the lines, e.g. the excluded warm-up period."""

    start: float
    end: float
    label: str


BAND_FILL = "#9aa5b1"
_UNITS = ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k"))


def _compact(value: float) -> str:
    """A short tick label: 1234 → "1.2k", 250 → "250", 12.5 → "12.5", 0.25 → "0.25"."""
    if value == 0 or not math.isfinite(value):
        return "0" if value == 0 else str(value)
    sign, size = ("-" if value < 0 else ""), abs(value)
    for scale, suffix in _UNITS:
        if size >= scale * 0.99995:
            return f"{sign}{f'{size / scale:.1f}'.rstrip('0').rstrip('.')}{suffix}"
    if size >= 99.5:
        return f"{sign}{size:.0f}"
    if size >= 0.995:
        return f"{sign}{f'{size:.1f}'.rstrip('0').rstrip('.')}"
    return f"{sign}{size:.2g}"


def _tip(value: float) -> str:
    """A value in a tooltip: exact for everyday numbers, compact for huge ones."""
    return _compact(value) if abs(value) >= 1e6 else f"{value:.6g}"


def _clean(value: float) -> float:
    """`value` without floating-point noise (0.30000000000000004 → 0.3)."""
    return float(f"{value:.12g}")


def _linear_axis(low: float, high: float) -> tuple[float, float, list[float]]:
    """Five evenly spaced ticks on a 1-2-5 step, the first at or below `low`, the last at or above `high`."""
    if high <= low:
        low, high = min(0.0, low), max(0.0, high)
        if high <= low:
            low, high = 0.0, 1.0
    step = nice_ceiling((high - low) / 4)
    start = math.floor(low / step + 1e-9) * step
    while start + 4 * step < high - step * 1e-9:
        step = nice_ceiling(step * 1.001)
        start = math.floor(low / step + 1e-9) * step
    ticks = [_clean(start + i * step) for i in range(5)]
    return ticks[0], ticks[-1], ticks


def _log_axis(low: float, high: float) -> tuple[float, float, list[float]]:
    """1-2-5 ticks around [low, high] (both > 0), or decade ticks when that would be too many."""
    first, last = math.floor(math.log10(low)), math.ceil(math.log10(high))
    nice = [float(f"{c}e{e}") for e in range(first - 1, last + 2) for c in (1, 2, 5)]
    below = [v for v in nice if v <= low * (1 + 1e-9)]
    above = [v for v in nice if v >= high * (1 - 1e-9)]
    start, end = nice.index(below[-1]), nice.index(above[0])
    if start == end:
        start, end = start - 1, end + 1
    if end - start + 1 <= 7:
        ticks = nice[start : end + 1]
        return ticks[0], ticks[-1], ticks
    stride = max(1, math.ceil((last - first) / 4))
    exponents = list(range(first, last + stride, stride))
    ticks = [float(f"1e{e}") for e in exponents]
    return ticks[0], ticks[-1], ticks


def _x_axis(xs: list[float], log: bool) -> tuple[float, float, list[float]]:
    low, high = min(xs), max(xs)
    if log:
        distinct = sorted(set(xs))
        if len(distinct) <= 8:  # e.g. 25, 50, 100, 200, 400 versions: tick the values themselves
            return (low / 2, low * 2, distinct) if low == high else (low, high, distinct)
        return _log_axis(low, high)
    if 0 <= low <= high - low:  # data that starts near zero (elapsed seconds, counts) gets an axis from 0
        low = 0.0
    return _linear_axis(low, high)


def _y_axis(ys: list[float], log: bool) -> tuple[float, float, list[float]]:
    if log:
        return _log_axis(min(ys), max(ys))
    return _linear_axis(min(0.0, min(ys)), max(0.0, max(ys)))


def _usable(value: float, log: bool) -> bool:
    return math.isfinite(value) and (value > 0 or not log)


def line_chart(
    series: list[Series],
    *,
    title: str,
    x_label: str,
    y_label: str,
    width: int = 760,
    height: int = 260,
    log_x: bool = False,
    log_y: bool = False,
    hlines: list[tuple[float, str, str]] | None = None,
    bands: list[Band] | None = None,
) -> str:
    """A line chart: one polyline per series over a light grid, optional threshold lines (`hlines`: y, label,
    colour; the y axis always reaches them) and shaded x-ranges (`bands`), a legend row (or rows) underneath.

    `height` is the whole picture's height; it grows only if the legend leaves the plot too little room.
    Without any finite point the chart says "no data".
    """
    drawn = [
        (s, [(float(x), float(y)) for x, y in s.points if _usable(float(x), log_x) and _usable(float(y), log_y)])
        for s in series
    ]
    drawn = [(s, points) for s, points in drawn if points]
    lines = [(float(y), label, colour) for y, label, colour in hlines or [] if _usable(float(y), log_y)]

    def header(total: float) -> str:
        return (
            f'<svg class="chart line-chart" viewBox="0 0 {width} {total:.0f}" width="100%" role="img" '
            f'aria-label="{_attr(title)}" {FONT} font-size="11">\n'
            f'<text x="0" y="16" font-size="13" font-weight="600" fill="{TEXT}">{escape(title)}</text>'
        )

    top, right = 30, 12
    if not drawn:
        bottom = max(height, top + 60)
        return "\n".join(
            [
                header(bottom),
                f'<rect class="plot-area" x="40" y="{top}" width="{width - 40 - right}" height="{bottom - top - 10}" '
                f'fill="none" stroke="{GRID}"/>',
                f'<text x="{(width + 40 - right) / 2:.1f}" y="{(top + bottom - 10) / 2 + 4:.1f}" text-anchor="middle" '
                f'fill="{MUTED}">no data</text>',
                "</svg>",
            ]
        )

    xs = [x for _, points in drawn for x, _ in points]
    ys = [y for _, points in drawn for _, y in points] + [y for y, _, _ in lines]
    x_low, x_high, x_ticks = _x_axis(xs, log_x)
    y_low, y_high, y_ticks = _y_axis(ys, log_y)
    y_texts = [_compact(t) for t in y_ticks]
    plot_left = 22 + max(len(t) for t in y_texts) * CHAR_WIDTH + 6
    plot_right = width - max(right, len(_compact(x_ticks[-1])) * CHAR_WIDTH / 2 + 2)  # room for the last x label

    # The legend: rows of swatch + label under the axis label, wrapping when a row would be too wide.
    legend: list[tuple[float, int, Series, str]] = []
    x, row = plot_left, 0
    for s, _ in drawn:
        label = _fit(s.label, width - plot_left - 30)
        item = 22 + len(label) * CHAR_WIDTH + 16
        if x + item > width and x > plot_left:
            x, row = plot_left, row + 1
        legend.append((x, row, s, label))
        x += item
    rows = row + 1
    below = 36 + rows * 18
    total = max(height, top + 60 + below)
    plot_bottom = total - below

    def transform(value: float, log: bool) -> float:
        return math.log10(value) if log else value

    def px(value: float) -> float:
        low, high = transform(x_low, log_x), transform(x_high, log_x)
        return plot_left + (transform(value, log_x) - low) / (high - low) * (plot_right - plot_left)

    def py(value: float) -> float:
        low, high = transform(y_low, log_y), transform(y_high, log_y)
        return plot_bottom - (transform(value, log_y) - low) / (high - low) * (plot_bottom - top)

    parts = [header(total)]
    for tick, text in zip(y_ticks, y_texts, strict=True):
        y = py(tick)
        parts.append(f'<line x1="{plot_left:.1f}" y1="{y:.1f}" x2="{plot_right:.1f}" y2="{y:.1f}" stroke="{GRID}"/>')
        parts.append(
            f'<text class="tick-y" x="{plot_left - 6:.1f}" y="{y + 4:.1f}" text-anchor="end" fill="{MUTED}">'
            f"{text}</text>"
        )
    last_end = -math.inf
    for tick in x_ticks:
        x = px(tick)
        parts.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{plot_bottom:.1f}" stroke="{GRID}"/>')
        text = _compact(tick)
        half = len(text) * CHAR_WIDTH / 2
        if x - half >= last_end + 4:  # a label that would overlap its neighbour is left out; its gridline stays
            parts.append(
                f'<text class="tick-x" x="{x:.1f}" y="{plot_bottom + 14:.1f}" text-anchor="middle" fill="{MUTED}">'
                f"{text}</text>"
            )
            last_end = x + half
    parts.append(
        f'<rect class="plot-area" x="{plot_left:.1f}" y="{top}" width="{plot_right - plot_left:.1f}" '
        f'height="{plot_bottom - top:.1f}" fill="none" stroke="{GRID}"/>'
    )
    middle = (top + plot_bottom) / 2
    parts.append(
        f'<text transform="translate(11,{middle:.1f}) rotate(-90)" text-anchor="middle" fill="{TEXT}">'
        f"{escape(_fit(y_label, plot_bottom - top))}</text>"
    )
    parts.append(
        f'<text x="{(plot_left + plot_right) / 2:.1f}" y="{plot_bottom + 30:.1f}" text-anchor="middle" '
        f'fill="{TEXT}">{escape(_fit(x_label, plot_right - plot_left))}</text>'
    )

    for band in bands or []:
        start, end = sorted((float(band.start), float(band.end)))
        if math.isnan(start) or math.isnan(end):
            continue
        start, end = max(start, x_low), min(end, x_high)
        if end <= start or (log_x and end <= 0):
            continue
        x0, x1 = px(start), px(end)
        parts.append(
            f'<g class="band"><title>{escape(band.label)}</title>'
            f'<rect x="{x0:.1f}" y="{top}" width="{x1 - x0:.1f}" height="{plot_bottom - top:.1f}" '
            f'fill="{BAND_FILL}" fill-opacity="0.18"/>'
            f'<text x="{x0 + 4:.1f}" y="{top + 12}" font-size="10" fill="{MUTED}">'
            f"{escape(_fit(band.label, max(x1 - x0 - 8, 60)))}</text></g>"
        )

    for y_value, label, colour in lines:
        y = py(y_value)
        label_y = y - 4 if y - 4 >= top + 12 else y + 12  # below the line when it runs along the top
        parts.append(
            f'<g class="hline"><title>{escape(label)}: {_tip(y_value)}</title>'
            f'<line x1="{plot_left:.1f}" y1="{y:.1f}" x2="{plot_right:.1f}" y2="{y:.1f}" stroke="{_attr(colour)}" '
            f'stroke-width="1.2" stroke-dasharray="5 3"/>'
            f'<text x="{plot_right - 4:.1f}" y="{label_y:.1f}" text-anchor="end" fill="{_attr(colour)}">'
            f"{escape(_fit(label, plot_right - plot_left))}</text></g>"
        )

    for s, points in drawn:
        dash = ' stroke-dasharray="6 4"' if s.dashed else ""
        coordinates = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in points)
        inner = [
            f"<title>{escape(s.label)}</title>",
            f'<polyline points="{coordinates}" fill="none" stroke="{_attr(s.colour)}" stroke-width="1.8" '
            f'stroke-linejoin="round" stroke-linecap="round"{dash}/>',
        ]
        if s.markers or len(points) == 1:  # a lone point has no line to show it
            inner.extend(
                f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="2.6" fill="{_attr(s.colour)}">'
                f"<title>{escape(s.label)}: {_tip(x)}, {_tip(y)}</title></circle>"
                for x, y in points
            )
        parts.append(f'<g class="series">{"".join(inner)}</g>')

    for x, row, s, label in legend:
        y = plot_bottom + 44 + row * 18
        dash = ' stroke-dasharray="4 3"' if s.dashed else ""
        parts.append(
            f'<line x1="{x:.1f}" y1="{y - 4}" x2="{x + 18:.1f}" y2="{y - 4}" stroke="{_attr(s.colour)}" '
            f'stroke-width="2.2"{dash}/>'
            f'<text class="legend" x="{x + 22:.1f}" y="{y:.1f}" fill="{TEXT}">{escape(label)}</text>'
        )
    parts.append("</svg>")
    return "\n".join(parts)
