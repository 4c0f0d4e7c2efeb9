"""The report's line chart (reports/svg.py `line_chart`): valid inline SVG, escaped text, sensible axes."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET

import pytest

from reports.svg import Band, Series, line_chart

LATENCY = Series("p95", [(0.0, 12.5), (10.0, 20.0), (20.0, 35.0), (30.0, 120.0)], "#2563eb")


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)  # the svg element alone, not wrapped in anything, must be well-formed XML
    assert root.tag == "svg" and "viewBox" in root.attrib and root.get("width") == "100%"
    return root


def texts(root: ET.Element, cls: str) -> list[str]:
    return ["".join(t.itertext()) for t in root.iter("text") if t.get("class") == cls]


def number(label: str) -> float:
    scale = {"k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12}.get(label[-1:], 1.0)
    return float(label[:-1] if scale != 1.0 else label) * scale


def plot_area(root: ET.Element) -> tuple[float, float, float, float]:
    """left, top, right, bottom of the plot."""
    rect = next(r for r in root.iter("rect") if r.get("class") == "plot-area")
    x, y = float(rect.get("x", "0")), float(rect.get("y", "0"))
    return x, y, x + float(rect.get("width", "0")), y + float(rect.get("height", "0"))


def groups(root: ET.Element, cls: str) -> list[ET.Element]:
    return [g for g in root.iter("g") if g.get("class") == cls]


def polyline_points(root: ET.Element) -> list[list[tuple[float, float]]]:
    lines = []
    for polyline in root.iter("polyline"):
        pairs = polyline.get("points", "").split()
        lines.append([(float(a), float(b)) for a, b in (pair.split(",") for pair in pairs)])
    return lines


def test_a_chart_is_well_formed_with_axes_title_and_legend() -> None:
    fit = Series("fit", [(0.0, 10.0), (30.0, 100.0)], "#9333ea", dashed=True, markers=False)
    svg = line_chart([LATENCY, fit], title="Latency", x_label="elapsed (s)", y_label="latency (ms)")
    root = parse(svg)
    assert "xmlns" not in svg and "href" not in svg
    assert len(texts(root, "tick-y")) == 5 and len(texts(root, "tick-x")) == 5
    assert texts(root, "tick-y")[0] == "0"  # a linear y axis starts at 0
    assert texts(root, "legend") == ["p95", "fit"]
    all_text = ["".join(t.itertext()) for t in root.iter("text")]
    assert "Latency" in all_text and "elapsed (s)" in all_text and "latency (ms)" in all_text
    dashed = [line for line in root.iter("line") if line.get("stroke") == "#9333ea"]
    assert dashed and all(line.get("stroke-dasharray") for line in dashed)  # the legend swatch is dashed too
    assert len(list(root.iter("circle"))) == 4  # markers for p95 only
    assert "p95: 0, 12.5" in svg  # the marker tooltip


def test_every_text_is_escaped() -> None:
    svg = line_chart(
        [Series("a<&>b", [(1.0, 2.0), (2.0, 3.0)], "#000")],
        title="t<1>",
        x_label="x & <y>",
        y_label="<ms>",
        hlines=[(2.5, "slo <&>", "#f00")],
        bands=[Band(1.0, 1.5, "warm <up>")],
    )
    root = parse(svg)
    assert "a&lt;&amp;&gt;b" in svg and "slo &lt;&amp;&gt;" in svg and "warm &lt;up&gt;" in svg
    assert "t&lt;1&gt;" in svg and "x &amp; &lt;y&gt;" in svg and "&lt;ms&gt;" in svg
    assert "<&>" not in svg and "<ms>" not in svg and "<up>" not in svg
    assert "a<&>b" in texts(root, "legend")


def test_a_threshold_above_the_data_grows_the_y_axis_and_is_labelled_inside_the_plot() -> None:
    plain = parse(line_chart([LATENCY], title="t", x_label="x", y_label="y"))
    assert number(texts(plain, "tick-y")[-1]) < 500
    root = parse(line_chart([LATENCY], title="t", x_label="x", y_label="y", hlines=[(500.0, "SLO 500 ms", "#dc2626")]))
    assert number(texts(root, "tick-y")[-1]) >= 500
    left, top, right, bottom = plot_area(root)
    (hline,) = groups(root, "hline")
    line = hline.find("line")
    assert line is not None
    y = float(line.get("y1", "nan"))
    assert top <= y <= bottom
    label = hline.find("text")
    assert label is not None and "".join(label.itertext()) == "SLO 500 ms"
    assert top <= float(label.get("y", "nan")) <= bottom
    assert label.get("text-anchor") == "end" and float(label.get("x", "nan")) > (left + right) / 2  # the right end
    data_ys = [y for line in polyline_points(root) for _, y in line]
    assert all(top <= v <= bottom for v in data_ys) and min(data_ys) > y  # the data sits below the threshold


def test_a_band_is_shaded_behind_the_lines_with_its_label() -> None:
    svg = line_chart([LATENCY], title="t", x_label="s", y_label="ms", bands=[Band(0.0, 10.0, "warm-up")])
    root = parse(svg)
    (band,) = groups(root, "band")
    rect = band.find("rect")
    assert rect is not None and rect.get("fill-opacity")
    left, top, right, bottom = plot_area(root)
    assert left <= float(rect.get("x", "nan")) and float(rect.get("x", "0")) + float(rect.get("width", "0")) <= right
    assert "warm-up" in "".join(band.itertext())
    assert svg.index('class="band"') < svg.index("<polyline")  # drawn first, so behind the lines


def test_bands_outside_the_data_or_inverted_are_handled() -> None:
    root = parse(
        line_chart(
            [LATENCY],
            title="t",
            x_label="x",
            y_label="y",
            bands=[Band(10.0, 0.0, "inverted"), Band(1e6, 2e6, "far away"), Band(math.nan, 1.0, "nan")],
        )
    )
    assert ["inverted"] == [g.findtext("title") for g in groups(root, "band")]


def test_log_x_ticks_at_the_actual_x_values() -> None:
    versions = [25.0, 50.0, 100.0, 200.0, 400.0]
    series = Series("p95", [(v, 3.0 * v**0.5) for v in versions], "#2563eb")
    root = parse(line_chart([series], title="t", x_label="versions", y_label="ms", log_x=True))
    assert texts(root, "tick-x") == ["25", "50", "100", "200", "400"]
    xs = [x for x, _ in polyline_points(root)[0]]
    steps = [b - a for a, b in zip(xs, xs[1:], strict=False)]
    assert max(steps) - min(steps) < 1  # doublings are evenly spaced on a log axis


def test_log_axes_use_1_2_5_or_decade_ticks_and_skip_non_positive_values() -> None:
    points = [(float(x), float(x * x)) for x in range(-2, 40)]  # 40 distinct x values, some ≤ 0
    root = parse(line_chart([Series("s", points, "#000")], title="t", x_label="x", y_label="y", log_x=True, log_y=True))
    for cls in ("tick-x", "tick-y"):
        for label in texts(root, cls):
            mantissa = number(label) / 10 ** math.floor(math.log10(number(label)))
            assert round(mantissa, 6) in (1, 2, 5)
    assert len(polyline_points(root)[0]) == 39  # x = 1 … 39


@pytest.mark.parametrize(
    "series",
    [[], [Series("a", [], "#000")], [Series("a", [(math.nan, 1.0), (1.0, math.inf)], "#000")]],
    ids=["no series", "empty series", "nothing finite"],
)
def test_no_data_says_so(series: list[Series]) -> None:
    root = parse(line_chart(series, title="t", x_label="x", y_label="y", hlines=[(1.0, "slo", "#f00")]))
    assert "no data" in ["".join(t.itertext()) for t in root.iter("text")]
    assert not list(root.iter("polyline"))


def test_the_polyline_has_one_point_per_finite_value() -> None:
    points = [(0.0, 1.0), (1.0, math.nan), (2.0, 3.0), (math.inf, 4.0), (4.0, -math.inf), (5.0, 6.0)]
    root = parse(line_chart([Series("s", points, "#000")], title="t", x_label="x", y_label="y"))
    (line,) = polyline_points(root)
    assert len(line) == 3 and len(list(root.iter("circle"))) == 3


def test_a_single_point_and_all_zero_values() -> None:
    lone = parse(line_chart([Series("s", [(3.0, 7.0)], "#000", markers=False)], title="t", x_label="x", y_label="y"))
    assert len(list(lone.iter("circle"))) == 1  # a lone point is still visible
    left, top, right, bottom = plot_area(lone)
    circle = next(lone.iter("circle"))
    assert left <= float(circle.get("cx", "nan")) <= right and top <= float(circle.get("cy", "nan")) <= bottom
    zeros = parse(line_chart([Series("s", [(1.0, 0.0), (2.0, 0.0)], "#000")], title="t", x_label="x", y_label="y"))
    assert texts(zeros, "tick-y")[0] == "0" and len(set(texts(zeros, "tick-y"))) == 5
    for line in polyline_points(zeros):
        assert all(math.isfinite(v) for point in line for v in point)
    single_log = line_chart([Series("s", [(100.0, 5.0)], "#000")], title="t", x_label="x", y_label="y", log_x=True)
    assert texts(parse(single_log), "tick-x") == ["100"]


def test_numbers_are_compact() -> None:
    series = Series("rps", [(0.0, 1234.0), (60.0, 12000.0)], "#000")
    root = parse(line_chart([series], title="t", x_label="s", y_label="requests/s"))
    assert texts(root, "tick-y") == ["0", "5k", "10k", "15k", "20k"]
    small = parse(line_chart([Series("ms", [(0.0, 0.1), (1.0, 0.3)], "#000")], title="t", x_label="s", y_label="ms"))
    assert texts(small, "tick-y") == ["0", "0.1", "0.2", "0.3", "0.4"]


def test_the_legend_wraps_to_another_row_when_too_wide() -> None:
    many = [Series(f"a rather long series label number {i}", [(0.0, i), (1.0, i + 1.0)], "#000") for i in range(6)]
    root = parse(line_chart(many, title="t", x_label="x", y_label="y", width=600))
    rows = {t.get("y") for t in root.iter("text") if t.get("class") == "legend"}
    assert len(rows) >= 2
    height = float(root.get("viewBox", "").split()[3])
    assert all(float(y or "0") <= height for y in rows)
    assert max(float(t.get("x", "0")) for t in root.iter("text") if t.get("class") == "legend") < 600
