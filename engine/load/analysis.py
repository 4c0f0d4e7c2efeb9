"""The numbers of a load run, computed from Locust's raw response-time histograms (never its precomputed percentiles).

Locust keeps, per request name, a histogram `{rounded response time in ms: count}`. The locustfile samples it
every second and records what each second added (engine/load/locustfile.py); here those per-second histograms
are merged over the measured window (after the warm-up) or over chart bins, and percentiles are read from them.
Pure functions: no Locust, no I/O.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

Histogram = dict[int, int]  # response time (ms, as Locust rounds it) → number of requests


@dataclass
class Sample:
    """What one sampling interval added, per request name."""

    t: float  # seconds since the load started, at the end of the interval
    users: int
    counts: dict[str, tuple[int, int, Histogram]]  # name → (requests, failures, histogram)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Sample:
        counts = {name: (int(e["n"]), int(e["fail"]), {int(k): int(v) for k, v in e["hist"].items()})
                  for name, e in data["entries"].items()}
        return cls(float(data["t"]), int(data.get("users", 0)), counts)


def merge(histograms: Iterable[Histogram]) -> Histogram:
    total: Histogram = {}
    for histogram in histograms:
        for value, count in histogram.items():
            total[value] = total.get(value, 0) + count
    return total


def percentile(histogram: Histogram, fraction: float) -> float | None:
    """The nearest-rank percentile: the smallest response time at or below which `fraction` of requests fall."""
    total = sum(histogram.values())
    if total == 0:
        return None
    rank = max(1, math.ceil(fraction * total))
    seen = 0
    for value in sorted(histogram):
        seen += histogram[value]
        if seen >= rank:
            return float(value)
    return float(max(histogram))


@dataclass
class EndpointStats:
    requests: int
    failures: int
    error_rate: float
    rps: float
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    max_ms: float | None
    mean_ms: float | None


def endpoint_stats(requests: int, failures: int, histogram: Histogram, seconds: float) -> EndpointStats:
    total = sum(histogram.values())
    mean = sum(v * c for v, c in histogram.items()) / total if total else None
    return EndpointStats(
        requests=requests, failures=failures, error_rate=round(failures / requests, 5) if requests else 0.0,
        rps=round(requests / seconds, 1) if seconds > 0 else 0.0,
        p50_ms=percentile(histogram, 0.50), p95_ms=percentile(histogram, 0.95), p99_ms=percentile(histogram, 0.99),
        max_ms=float(max(histogram)) if histogram else None, mean_ms=round(mean, 1) if mean is not None else None)


def window_stats(samples: list[Sample], start: float, end: float) -> dict[str, EndpointStats]:
    """Per request name (and `all`), over the samples whose interval ends in (start, end]."""
    chosen = [s for s in samples if start < s.t <= end]
    seconds = (min(end, chosen[-1].t) - start) if chosen else 0.0
    names = sorted({name for s in chosen for name in s.counts})
    result: dict[str, EndpointStats] = {}
    for name in [*names, "all"]:
        picked = [c for s in chosen for n, c in s.counts.items() if name in ("all", n)]
        result[name] = endpoint_stats(sum(c[0] for c in picked), sum(c[1] for c in picked),
                                      merge(c[2] for c in picked), seconds)
    return result


@dataclass
class TimePoint:
    t: float
    users: int
    rps: float
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    errors: int


def timeline(samples: list[Sample], name: str, bin_s: float = 2.0) -> list[TimePoint]:
    """One point per `bin_s` seconds for a request name (or `all`): throughput and percentiles over time."""
    points: list[TimePoint] = []
    if not samples:
        return points
    bins: dict[int, list[Sample]] = {}
    for sample in samples:
        bins.setdefault(max(0, math.ceil(sample.t / bin_s) - 1), []).append(sample)
    for index in sorted(bins):
        members = bins[index]
        picked = [c for s in members for n, c in s.counts.items() if name in ("all", n)]
        histogram = merge(c[2] for c in picked)
        points.append(TimePoint(t=(index + 1) * bin_s, users=max(s.users for s in members),
                                rps=round(sum(c[0] for c in picked) / bin_s, 1),
                                p50_ms=percentile(histogram, 0.5), p95_ms=percentile(histogram, 0.95),
                                p99_ms=percentile(histogram, 0.99), errors=sum(c[1] for c in picked)))
    return points


# --- thresholds, growth, baseline -------------------------------------------------------------------------------


@dataclass
class Breach:
    task: str
    metric: str
    value: float
    limit: float

    def sentence(self) -> str:
        if self.metric == "error_rate":
            return f"{self.task}: error rate {self.value:.2%} over the threshold of {self.limit:.2%}"
        if self.metric == "min_rps":
            return f"{self.task}: {self.value:g} requests/s, under the required {self.limit:g}"
        return f"{self.task}: {self.metric.removesuffix('_ms')} latency {self.value:g} ms over the threshold of " \
               f"{self.limit:g} ms"


def check_thresholds(stats: Mapping[str, EndpointStats], thresholds: Mapping[str, Mapping[str, float | None]]
                     ) -> list[Breach]:
    """Every threshold a task's measured numbers break. A task with thresholds but no requests breaks them all:
    a threshold with nothing measured proves nothing."""
    breaches = []
    for task, limits in thresholds.items():
        got = stats.get(task)
        for metric, limit in limits.items():
            if limit is None:
                continue
            if got is None or got.requests == 0:
                breaches.append(Breach(task, metric, 0.0, float(limit)))
                continue
            value = getattr(got, "rps" if metric == "min_rps" else metric)
            broken = value < limit if metric == "min_rps" else value is not None and value > limit
            if broken:
                breaches.append(Breach(task, metric, float(value), float(limit)))
    return breaches


@dataclass
class GrowthPoint:
    versions: int
    first_ms: float  # the fastest first request after a change (the document is built), of a few
    served_p50_ms: float  # repeated requests: what most clients see
    served_p95_ms: float
    bytes: int


@dataclass
class Growth:
    points: list[GrowthPoint]
    exponent_first: float | None  # latency ∝ versions^k, fitted on log-log
    exponent_served: float | None
    max_exponent: float
    superlinear: bool = field(init=False)

    def __post_init__(self) -> None:
        self.superlinear = any(e is not None and e > self.max_exponent
                               for e in (self.exponent_first, self.exponent_served))

    def sentence(self) -> str:
        parts = [f"{name} ∝ versions^{e:.2f}" for name, e in
                 (("built", self.exponent_first), ("served", self.exponent_served)) if e is not None]
        return "; ".join(parts) or "not enough points to fit"


def fit_exponent(points: list[tuple[float, float]]) -> float | None:
    """k of y = a·x^k, least squares on log-log; None with fewer than 2 usable points."""
    usable = [(math.log(x), math.log(y)) for x, y in points if x > 0 and y > 0]
    if len({x for x, _ in usable}) < 2:
        return None
    mean_x = sum(x for x, _ in usable) / len(usable)
    mean_y = sum(y for _, y in usable) / len(usable)
    spread = sum((x - mean_x) ** 2 for x, _ in usable)
    return round(sum((x - mean_x) * (y - mean_y) for x, y in usable) / spread, 3)


def growth(points: list[GrowthPoint], max_exponent: float) -> Growth:
    return Growth(points, fit_exponent([(p.versions, p.first_ms) for p in points]),
                  fit_exponent([(p.versions, p.served_p50_ms) for p in points]), max_exponent)


@dataclass
class Regression:
    task: str
    metric: str
    baseline: float
    now: float
    margin: float

    def sentence(self) -> str:
        change = (self.now - self.baseline) / self.baseline if self.baseline else 0.0
        unit = " requests/s" if self.metric == "rps" else " ms"
        return (f"{self.task}: {self.metric} {self.now:g}{unit} against {self.baseline:g}{unit} in the baseline "
                f"({change:+.0%}, margin {self.margin:.0%})")


def compare(now: Mapping[str, EndpointStats], baseline: Mapping[str, Mapping[str, Any]], margin: float
            ) -> list[Regression]:
    """Tasks whose p95/p99 grew, or whose throughput fell, by more than `margin` against a baseline run."""
    found = []
    for task, base in baseline.items():
        if task not in now or task == "all":
            continue
        current = now[task]
        for metric in ("p95_ms", "p99_ms"):
            before, after = base.get(metric), getattr(current, metric)
            if before and after is not None and after > before * (1 + margin):
                found.append(Regression(task, metric, float(before), float(after), margin))
        before_rps = base.get("rps")
        if before_rps and current.rps < before_rps * (1 - margin):
            found.append(Regression(task, "rps", float(before_rps), current.rps, margin))
    return found


def as_dict(value: Any) -> Any:
    return asdict(value)
