"""The load report: `load.html` (one self-contained page with its charts) and `load.md` (the numbers), from the
`load.json` a load writes (engine/load/job.py). The run report (report.html) embeds the same charts.

`harness load` writes it after each load; inside `harness run`, `LoadReportWriter` listens for `LoadMeasured`.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from engine.events import Event, LoadMeasured
from reports.svg import Band, Bar, Series, bar_chart, line_chart
from reports.templating import environment

TASK_COLOURS = {"metadata": "#2563eb", "package_metadata": "#7c3aed", "download": "#0d9488", "all": "#334155"}
PERCENTILE_COLOURS = {"p50_ms": "#93c5fd", "p95_ms": "#2563eb", "p99_ms": "#1e3a8a"}
FIRST, SERVED = "#dc2626", "#2563eb"


def _points(timeline: list[dict[str, Any]], key: str) -> list[tuple[float, float]]:
    return [(p["t"], float(p[key])) for p in timeline if p.get(key) is not None]


def _warmup(result: dict[str, Any]) -> list[Band]:
    warmup = result["settings"]["warmup_s"]
    return [Band(0, warmup, "warm-up (left out)")] if warmup > 0 else []


def latency_chart(result: dict[str, Any]) -> str:
    """p50/p95/p99 of the metadata task over time (p95 of the others), thresholds as lines, warm-up shaded."""
    timeline = result["timeline"]
    main = "metadata" if "metadata" in timeline else next(iter(timeline), "all")
    series = [Series(f"{main} {name.removesuffix('_ms')}", _points(timeline.get(main, []), name), colour)
              for name, colour in PERCENTILE_COLOURS.items()]
    series += [Series(f"{task} p95", _points(points, "p95_ms"), TASK_COLOURS.get(task, "#64748b"), markers=False)
               for task, points in timeline.items() if task not in (main, "all")]
    limits = result["thresholds"].get(main, {})
    highest = max((y for line in series for _, y in line.points), default=0.0)
    hlines, off_chart = [], []
    for key in ("p95_ms", "p99_ms"):
        if key in limits:  # a threshold far above the data would squash it flat: named in the title instead
            label = f"{main} {key.removesuffix('_ms')} threshold"
            if limits[key] <= 3 * highest:
                hlines.append((float(limits[key]), label, "#dc2626"))
            else:
                off_chart.append(f"{key.removesuffix('_ms')} ≤ {limits[key]:g} ms")
    title = f"{result['format']}: latency over time" + (f" (thresholds {', '.join(off_chart)}: far above)"
                                                         if off_chart else "")
    return line_chart(series, title=title, x_label="seconds", y_label="ms", hlines=hlines, bands=_warmup(result))


def throughput_chart(result: dict[str, Any]) -> str:
    timeline = result["timeline"]
    series = [Series(task, _points(points, "rps"), TASK_COLOURS.get(task, "#64748b"), markers=False)
              for task, points in timeline.items()]
    errors = _points(timeline.get("all", []), "errors")
    if any(y for _, y in errors):
        series.append(Series("errors (per 2 s)", errors, "#dc2626"))
    users = result["settings"]["users"]
    return line_chart(series, title=f"{result['format']}: requests per second over time ({users} users)",
                      x_label="seconds", y_label="requests/s", bands=_warmup(result))


def percentile_chart(result: dict[str, Any]) -> str:
    bars = []
    for task, stats in result["endpoints"].items():
        if task == "all":
            continue
        for name, colour in PERCENTILE_COLOURS.items():
            if stats.get(name) is not None:
                label = f"{task} {name.removesuffix('_ms')}"
                bars.append(Bar(label, float(stats[name]), colour, f"{label}: {stats[name]:g} ms "
                                f"({stats['requests']} requests, {stats['rps']:g}/s)"))
    return bar_chart(bars, title=f"{result['format']}: latency percentiles per task (measured window)", unit="ms")


def growth_chart(result: dict[str, Any]) -> str | None:
    growth = result.get("growth")
    if not growth or not growth["points"]:
        return None
    points = growth["points"]
    series = [Series("first request after a change (built)", [(p["versions"], p["first_ms"]) for p in points], FIRST),
              Series("repeated requests, median (served)", [(p["versions"], p["served_p50_ms"]) for p in points],
                     SERVED)]
    for key, label, colour in (("exponent_first", "built", FIRST), ("exponent_served", "served", SERVED)):
        exponent = growth.get(key)
        value_key = "first_ms" if key == "exponent_first" else "served_p50_ms"
        usable = [(math.log(p["versions"]), math.log(p[value_key])) for p in points if p[value_key] > 0]
        if exponent is not None and usable:
            # the least-squares line passes through the mean of the logs
            intercept = sum(y for _, y in usable) / len(usable) - exponent * sum(x for x, _ in usable) / len(usable)
            fitted = [(p["versions"], math.exp(intercept) * p["versions"] ** exponent) for p in points]
            series.append(Series(f"{label} fit: versions^{exponent:.2f}", fitted, colour, dashed=True, markers=False))
    return line_chart(series, title=f"{result['format']}: metadata latency as the package grows",
                      x_label="versions of the package", y_label="ms", log_x=True, log_y=True)


def charts(result: dict[str, Any]) -> list[str]:
    pictures = [latency_chart(result), throughput_chart(result), percentile_chart(result)]
    growth = growth_chart(result)
    return pictures + ([growth] if growth else [])


def write_load_report(result: dict[str, Any], out_dir: Path) -> dict[str, Path]:
    """Write load.html and load.md into `out_dir`; return their paths by name."""
    out_dir.mkdir(parents=True, exist_ok=True)
    env = environment()
    written = {}
    for name in ("load.html", "load.md"):
        path = out_dir / name
        path.write_text(env.get_template(name).render(result=result, charts=charts(result)), encoding="utf-8")
        written[name] = path
    return written


def load_sections(run_dir: Path) -> list[dict[str, Any]]:
    """Every load of a run (`load/<scenario>-<format>/load.json`), for the run report: numbers, the latency and
    growth pictures, and the link to the load's own report."""
    sections = []
    for path in sorted((run_dir / "load").glob("*/load.json")):
        try:
            result = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        pictures = [latency_chart(result)]
        growth = growth_chart(result)
        if growth:
            pictures.append(growth)
        sections.append({"result": result, "charts": pictures,
                         "href": str((path.parent / "load.html").relative_to(run_dir))})
    return sections


class LoadReportWriter:
    """Listener: each load's report, in the load's own folder, as soon as the load is measured."""

    def on_event(self, event: Event) -> None:
        if isinstance(event, LoadMeasured):
            write_load_report(event.result, event.out_dir)
