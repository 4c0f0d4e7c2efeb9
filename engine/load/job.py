"""One metadata load, start to end: seed the target, grow the big package along the growth curve, drive Locust,
compute the numbers over the measured window, judge them (thresholds, growth, baseline) and keep them in `load.json`.
The load report (load.html, load.md) is the caller's: `harness load` writes it, inside `harness run` a listener does.

Used by `harness load` (full numbers, progress on the terminal) and by the engine's `load` step inside
`harness run` (the scenario's `in_run` numbers). Never raises for what the target does: breaches and findings
come back in `LoadOutcome`; a broken Locust raises LoadRunError.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from core.credentials import Credential
from core.vocabulary import AuthScheme, CredentialCase
from engine.config import ConfigError
from engine.load import analysis
from engine.load.locust_run import LocustOptions, LocustRun, run_locust
from engine.load.plan import build_plan, describe
from engine.load.seed import Seeder
from engine.scenario import LoadSpec

SCHEMA = "engine.load/1"
LIVE_WINDOW_S = 5.0
# The credentials a load's users carry: every token kind that can read (the permission table picks per endpoint).
LOAD_CREDENTIALS = [CredentialCase.PERSONAL_ACCESS_TOKEN, CredentialCase.PROJECT_ACCESS_TOKEN,
                    CredentialCase.PROJECT_DEPLOY_TOKEN, CredentialCase.GROUP_DEPLOY_TOKEN,
                    CredentialCase.READ_ONLY_DEPLOY_TOKEN, CredentialCase.JOB_TOKEN]
# each endpoint takes those it accepts
LOAD_SCHEMES = [AuthScheme.HEADER, AuthScheme.BASIC, AuthScheme.BEARER, AuthScheme.TOKEN]


@dataclass
class LoadRequest:
    """Everything one load needs to know about where it runs."""

    scenario: str
    format_name: str
    target_url: str
    owner: Credential
    project_id: int | str
    group_id: int | str | None
    credentials: list[Credential]  # every token kind the load's users carry (each endpoint takes those it permits)
    schemes: list[AuthScheme]
    spec: LoadSpec
    out_dir: Path
    name_prefix: str = ""
    workers: int = 0
    remote_workers: int = 0
    master_bind: str = "127.0.0.1"
    master_port: int | None = None
    baseline: Path | None = None
    not_carried: dict[str, str] = field(default_factory=dict)  # token kind → why the load could not carry it


@dataclass
class LoadOutcome:
    result: dict[str, Any]
    breaches: list[str]
    findings: list[str]
    interrupted: bool

    @property
    def passed(self) -> bool:
        return not self.breaches and not self.findings and not self.interrupted

    def summary(self) -> str:
        stats = self.result["endpoints"].get("all", {})
        main = self.result["endpoints"].get("metadata", stats)
        return (f"{stats.get('requests', 0)} requests at {stats.get('rps', 0):g}/s, metadata p50 "
                f"{_ms(main.get('p50_ms'))} p95 {_ms(main.get('p95_ms'))} p99 {_ms(main.get('p99_ms'))}, error rate "
                f"{stats.get('error_rate', 0):.2%}")


def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value:g} ms"


class Display:
    """How a load shows its progress; the default shows nothing (inside `harness run`)."""

    def seeding(self, what: str, done: int, total: int) -> None:
        pass

    def loading(self, elapsed: float, total: float, live: analysis.EndpointStats | None) -> None:
        pass

    def finish(self) -> None:
        pass


def load_baseline(path: Path, format_name: str) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ConfigError(f"--baseline {path}: not a readable load.json ({exc})") from None
    if data.get("schema") != SCHEMA or "endpoints" not in data:
        raise ConfigError(f"--baseline {path}: not a load result (schema {SCHEMA}); give the load.json of an "
                          "earlier `harness load`")
    if data.get("format") != format_name:
        raise ConfigError(f"--baseline {path}: a {data.get('format')} load; this load is {format_name}")
    return data  # type: ignore[no-any-return]


def run_load(request: LoadRequest, display: Display | None = None) -> LoadOutcome:
    display = display or Display()
    spec = request.spec
    baseline = load_baseline(request.baseline, request.format_name) if request.baseline else None
    started_at = dt.datetime.now(dt.UTC)
    seeder = Seeder(request.target_url, request.owner, request.format_name, request.project_id, request.group_id,
                    spec, request.name_prefix, on_progress=display.seeding)
    try:
        seeder.packages()
        points = seeder.versions()
    finally:
        seeder.close()
    weights: dict[str, int] = dict(spec.tasks.items())
    plan = build_plan(request.format_name, seeder.seeded, weights, request.credentials, request.schemes,
                      spec.seconds("think_time"))
    warmup, duration = spec.seconds("warmup"), spec.seconds("duration")
    options = LocustOptions(host=request.target_url, users=spec.users, spawn_rate=spec.spawn_rate or spec.users,
                            run_time_s=warmup + duration, workers=request.workers,
                            remote_workers=request.remote_workers, master_bind=request.master_bind,
                            master_port=request.master_port)

    def tick(elapsed: float, timeline: dict[str, Any] | None) -> None:
        live = None
        if timeline and timeline.get("samples"):
            samples = [analysis.Sample.from_json(s) for s in timeline["samples"]]
            live = analysis.window_stats(samples, samples[-1].t - LIVE_WINDOW_S, samples[-1].t)["all"]
        display.loading(elapsed, options.run_time_s, live)

    try:
        run = run_locust(plan, options, request.out_dir, on_tick=tick)
    finally:
        display.finish()
    result = judge(request, plan, run, points, baseline, started_at)
    write_result(result, request.out_dir)
    return LoadOutcome(result, result["breaches"], result["findings"], run.interrupted)


def judge(request: LoadRequest, plan: dict[str, Any], run: LocustRun, points: list[analysis.GrowthPoint],
          baseline: dict[str, Any] | None, started_at: dt.datetime) -> dict[str, Any]:
    """The load's numbers and verdict as the JSON the reports (and a later baseline comparison) read."""
    spec = request.spec
    warmup, duration = spec.seconds("warmup"), spec.seconds("duration")
    timeline = run.timeline or {"samples": [], "errors": [], "workers": 0}
    samples = [analysis.Sample.from_json(s) for s in timeline["samples"]]
    last = samples[-1].t if samples else 0.0
    end = min(warmup + duration, last) if run.interrupted else warmup + duration + analysis_slack(samples)
    stats = analysis.window_stats(samples, warmup, end)
    thresholds: dict[str, dict[str, Any]] = {
        task: limits.model_dump(exclude_none=True) for task, limits in spec.thresholds.items()
        if task in spec.tasks and spec.tasks[task] > 0}
    breaches = [b.sentence() for b in analysis.check_thresholds(stats, thresholds)]
    findings: list[str] = []
    if stats["all"].requests == 0:
        findings.append("no request completed inside the measured window: nothing is measured (is the warm-up "
                        "longer than the run, or did Locust fail to start its users? see the Locust log)")
    growth = analysis.growth(points, spec.growth.max_exponent) if spec.growth and points else None
    if growth and growth.superlinear:
        findings.append(f"the metadata endpoint grows superlinearly with the number of versions: {growth.sentence()} "
                        f"(above {growth.max_exponent:g}); a check inside a loop?")
    regressions = analysis.compare(stats, baseline["endpoints"], spec.regression_margin) if baseline else []
    findings += [f"regression against the baseline: {r.sentence()}" for r in regressions]
    if run.interrupted:
        findings.append(f"interrupted after {last:.0f} s of {warmup + duration:.0f} s: the numbers cover only what "
                        "ran")
    return {
        "schema": SCHEMA, "scenario": request.scenario, "format": request.format_name, "target": request.target_url,
        "started_at": started_at.isoformat(timespec="seconds"),
        "finished_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "settings": {"users": spec.users, "spawn_rate": spec.spawn_rate or spec.users,
                     "think_time_s": spec.seconds("think_time"), "warmup_s": warmup, "duration_s": duration,
                     "versions": spec.versions, "packages": spec.packages, "workers": request.workers,
                     "remote_workers": request.remote_workers, "regression_margin": spec.regression_margin},
        "plan": describe(plan), "not_carried": request.not_carried,
        "window_s": [warmup, round(end, 1)],
        "endpoints": {name: asdict(value) for name, value in stats.items()},
        "thresholds": thresholds, "breaches": breaches,
        "growth": asdict(growth) if growth else None,
        "baseline": {"file": str(request.baseline), "started_at": baseline.get("started_at"),
                     "endpoints": baseline["endpoints"], "regressions": [asdict(r) for r in regressions]}
        if baseline else None,
        "findings": findings, "errors": timeline.get("errors", []),
        "timeline": {name: [asdict(p) for p in analysis.timeline(samples, name)]
                     for name in [*plan_tasks(plan), "all"]},
        "interrupted": run.interrupted,
        "locust": {"workers_seen": timeline.get("workers", 0), "returncode": run.returncode,
                   "master": run.master_address, "logs": [str(p) for p in run.logs],
                   "processes": 1 + request.workers, "wall_s": run.wall_s, "cpu_s": run.cpu_s,
                   "cpu_share": round(run.cpu_s / run.wall_s, 2) if run.wall_s else None},
        "verdict": "passed" if not breaches and not findings else "failed",
    }


def analysis_slack(samples: list[analysis.Sample]) -> float:
    """Workers' last reports arrive up to a couple of seconds after the run time: count them in."""
    return 3.0 if samples else 0.0


def plan_tasks(plan: dict[str, Any]) -> list[str]:
    return [t["name"] for t in plan["tasks"]]


def write_result(result: dict[str, Any], out_dir: Path) -> None:
    """`load.json`: the numbers, for the load report and for a later `--baseline`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "load.json").write_text(json.dumps(result, indent=2) + "\n")

