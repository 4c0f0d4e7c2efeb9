"""The load's numbers: percentiles from raw histograms, the measured window, thresholds, growth, baseline."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.load import analysis
from engine.load.analysis import GrowthPoint, Sample
from engine.scenario import LoadSpec, parse_duration

pytestmark = pytest.mark.load


@given(st.lists(st.integers(min_value=0, max_value=5000), min_size=1, max_size=300),
       st.sampled_from([0.5, 0.9, 0.95, 0.99, 1.0]))
def test_percentile_from_histogram_is_the_nearest_rank_of_the_raw_values(values: list[int], fraction: float) -> None:
    histogram: dict[int, int] = {}
    for value in values:
        histogram[value] = histogram.get(value, 0) + 1
    ordered = sorted(values)
    assert analysis.percentile(histogram, fraction) == ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def test_percentile_of_nothing_is_none() -> None:
    assert analysis.percentile({}, 0.95) is None


def _sample(t: float, name: str, times: list[int], failures: int = 0) -> Sample:
    histogram: dict[int, int] = {}
    for value in times:
        histogram[value] = histogram.get(value, 0) + 1
    return Sample(t, 10, {name: (len(times), failures, histogram)})


def test_the_warm_up_is_left_out_of_every_number() -> None:
    samples = [_sample(1, "metadata", [900] * 50), _sample(2, "metadata", [900] * 50),  # warm-up: slow
               _sample(3, "metadata", [10] * 100), _sample(4, "metadata", [20] * 100)]
    stats = analysis.window_stats(samples, start=2, end=4)
    assert stats["metadata"].requests == 200
    assert stats["metadata"].max_ms == 20
    assert stats["metadata"].p95_ms == 20
    assert stats["metadata"].rps == 100.0
    assert stats["all"].requests == 200


def test_error_rate_and_rps_over_the_window() -> None:
    samples = [_sample(1, "download", [5] * 98 + [7, 7], failures=2), _sample(2, "download", [5] * 100)]
    stats = analysis.window_stats(samples, 0, 2)["download"]
    assert stats.error_rate == pytest.approx(0.01)
    assert stats.rps == 100.0


def test_thresholds_name_what_broke() -> None:
    samples = [_sample(1, "metadata", [100] * 90 + [800] * 10)]
    stats = analysis.window_stats(samples, 0, 1)
    breaches = analysis.check_thresholds(stats, {"metadata": {"p95_ms": 500, "p50_ms": 200, "error_rate": 0.01}})
    assert [(b.metric, b.value, b.limit) for b in breaches] == [("p95_ms", 800.0, 500.0)]
    assert "p95 latency 800 ms over the threshold of 500 ms" in breaches[0].sentence()


def test_a_threshold_on_a_task_that_measured_nothing_is_broken() -> None:
    stats = analysis.window_stats([_sample(1, "metadata", [10])], 0, 1)
    breaches = analysis.check_thresholds(stats, {"download": {"p95_ms": 500}})
    assert [(b.task, b.metric) for b in breaches] == [("download", "p95_ms")]


def test_min_rps_is_a_floor() -> None:
    stats = analysis.window_stats([_sample(1, "metadata", [10] * 50)], 0, 1)
    assert analysis.check_thresholds(stats, {"metadata": {"min_rps": 40}}) == []
    assert [b.metric for b in analysis.check_thresholds(stats, {"metadata": {"min_rps": 60}})] == ["min_rps"]


@given(st.floats(min_value=0.1, max_value=100), st.floats(min_value=0.0, max_value=3.0))
def test_the_fitted_exponent_recovers_a_power_law(scale: float, exponent: float) -> None:
    points = [(float(n), scale * n ** exponent) for n in (25, 50, 100, 200, 400)]
    assert analysis.fit_exponent(points) == pytest.approx(exponent, abs=0.01)


def _points(first: list[float], served: list[float]) -> list[GrowthPoint]:
    return [GrowthPoint(n, f, s, s, 1000 * n) for n, f, s in zip((25, 50, 100, 200), first, served, strict=True)]


def test_quadratic_growth_is_a_finding_and_linear_is_not() -> None:
    linear = analysis.growth(_points([2, 3, 5, 9], [1, 1, 1.2, 1.3]), max_exponent=1.3)
    assert not linear.superlinear
    quadratic = analysis.growth(_points([5, 20, 80, 320], [1, 1, 1, 1]), max_exponent=1.3)
    assert quadratic.superlinear and quadratic.exponent_first == pytest.approx(2.0)
    assert "built ∝ versions^2.00" in quadratic.sentence()


def test_a_regression_against_the_baseline_beyond_the_margin_is_found() -> None:
    now = analysis.window_stats([_sample(1, "metadata", [100] * 100)], 0, 1)
    baseline = {"metadata": {"p95_ms": 70.0, "p99_ms": 95.0, "rps": 150.0}}
    found = {(r.metric, r.baseline, r.now) for r in analysis.compare(now, baseline, margin=0.25)}
    assert found == {("p95_ms", 70.0, 100.0), ("rps", 150.0, 100.0)}  # p99 100 is within 25 % of 95
    assert analysis.compare(now, {"metadata": {"p95_ms": 90.0, "rps": 110.0}}, margin=0.25) == []


def test_the_timeline_has_one_point_per_bin() -> None:
    samples = [_sample(t, "metadata", [10 * t] * 10) for t in (1, 2, 3, 4)]
    points = analysis.timeline(samples, "metadata", bin_s=2)
    assert [(p.t, p.rps, p.p95_ms) for p in points] == [(2, 10.0, 20.0), (4, 10.0, 40.0)]


def test_durations_and_the_in_run_numbers() -> None:
    assert parse_duration("90s") == 90 and parse_duration("2m") == 120 and parse_duration("500ms") == 0.5
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration("soon")
    spec = LoadSpec.model_validate({"versions": 400, "duration": "60s",
                                    "in_run": {"versions": 100, "duration": "10s", "growth_sizes": [25, 50, 100]}})
    small = spec.for_run()
    assert (small.versions, small.seconds("duration"), small.growth and small.growth.sizes) == (100, 10, [25, 50, 100])
    assert spec.versions == 400  # the full numbers stay for `harness load`
