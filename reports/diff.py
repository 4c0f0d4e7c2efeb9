"""`harness report diff OLD NEW`: what changed between two runs, and whether anything got worse.

Four parts, each from the run folders alone:
- cases whose outcome changed (matched by case id), new cases and vanished ones;
- criteria whose status changed, per format, as each run judged them (`verdict.json`'s `criteria`). A run folder
  written before runs recorded their statuses is judged once here, from its results.jsonl with the current stages
  file, the current scenarios and its sign-off file (when it is still there); the output says so;
- latencies that grew and throughputs that fell by more than the margin: case metrics (`*_ms`, `*_mib_s`,
  `*_rps`) and the load results (`load/<scenario>-<format>/load.json`: p50/p95/p99 and rps per task);
- the verdict.

Something "regressed" (exit code 1) when a case went from passed to failed or error, a criterion's status got
worse, a latency or throughput moved beyond the margin, or the verdict got worse. "Worse" is read off the one
status ladder (`core.status`): a criterion's rung, a case outcome's place, a verdict's rung.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from core.exit_codes import ExitCode
from core.results import SCHEMA, Applicability, CaseRecord, read_results
from core.status import RUNG, CriterionStatus, outcome_rank, verdict_rank
from core.vocabulary import Outcome, Verdict
from engine.config import ConfigError
from engine.matrix import scenario_applicability
from engine.readiness import DEFAULT_STAGES_FILE, StageCriteria, assess, load_signoffs, load_stages
from engine.scenario import read_scenarios

Style = Literal["md", "text", "json"]
LOAD_LATENCIES = ("p50_ms", "p95_ms", "p99_ms")
LOAD_THROUGHPUTS = ("rps",)
THROUGHPUT_SUFFIXES = ("_mib_s", "_rps")
DEFAULT_MARGIN = 0.2
DEFAULT_MIN_MS = 5.0


@dataclass(frozen=True)
class CaseChange:
    case_id: str
    old: Outcome | None  # None: the case is new
    new: Outcome | None  # None: the case vanished
    reason: str  # the new run's reason (or the old one's, for a vanished case)

    @property
    def group(self) -> str:
        if self.old is None:
            return "new"
        if self.new is None:
            return "vanished"
        return f"{self.old} → {self.new}"

    @property
    def regressed(self) -> bool:
        return self.old == Outcome.PASSED and self.new in (Outcome.FAILED, Outcome.ERROR)

    @property
    def worse(self) -> bool:
        return self.old is not None and self.new is not None and outcome_rank(self.new) > outcome_rank(self.old)


@dataclass(frozen=True)
class CriterionChange:
    criterion: str
    format: str
    old: CriterionStatus | None
    new: CriterionStatus | None

    @property
    def regressed(self) -> bool:
        """The status moved up a rung (a sign-off is as good as a pass: a change between the two is shown, not
        counted)."""
        return self.old is not None and self.new is not None and RUNG[self.new] > RUNG[self.old]


@dataclass(frozen=True)
class MetricChange:
    where: str  # a case id, or `load <scenario>-<format> <task>`
    metric: str
    old: float
    new: float
    kind: Literal["latency", "throughput"]

    @property
    def change(self) -> float:
        """The relative change, new over old minus one (+0.35: 35 % more)."""
        return self.new / self.old - 1 if self.old else float("inf")


@dataclass
class RunDiff:
    old_run: str
    new_run: str
    stage: tuple[str, str]
    verdict: tuple[Verdict | None, Verdict | None]  # None: the run recorded no (known) verdict
    cases: list[CaseChange]
    criteria: list[CriterionChange]
    metrics: list[MetricChange]  # only those beyond the margin
    margin: float
    min_ms: float
    compared_metrics: int
    criteria_source: str
    notes: list[str] = field(default_factory=list)

    @property
    def verdict_worse(self) -> bool:
        return _verdict_rank(self.verdict[1]) > _verdict_rank(self.verdict[0])

    @property
    def regressions(self) -> dict[str, int]:
        return {"cases": sum(c.regressed for c in self.cases), "criteria": sum(c.regressed for c in self.criteria),
                "metrics": len(self.metrics), "verdict": int(self.verdict_worse)}

    @property
    def regressed(self) -> bool:
        return any(self.regressions.values())

    @property
    def exit_code(self) -> ExitCode:
        return ExitCode.NOT_READY if self.regressed else ExitCode.READY


def _verdict_rank(verdict: Verdict | None) -> int:
    """A missing or unknown verdict counts as not ready."""
    return verdict_rank(verdict or Verdict.NOT_READY)


# ---------------------------------------------------------------------------------------------------------------
# Reading a run


@dataclass
class RunData:
    run_dir: Path
    records: list[CaseRecord]
    verdict: dict[str, Any]
    meta: dict[str, Any]
    loads: dict[str, dict[str, Any]]  # "<scenario>-<format>" → load.json

    @property
    def run_id(self) -> str:
        return str(self.meta.get("run_id") or self.run_dir.name)


def _json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except ValueError as exc:
        raise ConfigError(f"{path}: not valid JSON: {exc}") from None
    return data if isinstance(data, dict) else {}


def read_run(run_dir: Path) -> RunData:
    results = run_dir / "results.jsonl"
    if not results.exists():
        raise ConfigError(f"{run_dir}: no results.jsonl: not a run folder, or the run never started")
    for line in results.read_text(encoding="utf-8").splitlines():
        try:
            schema = json.loads(line).get("schema") if line.strip() else SCHEMA
        except ValueError:
            continue  # a torn line: read_results skips it too
        if schema != SCHEMA:
            raise ConfigError(f"{results}: records of schema {schema!r}; this harness reads {SCHEMA} only")
    loads = {}
    for path in sorted((run_dir / "load").glob("*/load.json")):
        loads[path.parent.name] = _json(path)
    return RunData(run_dir, read_results(results), _json(run_dir / "verdict.json"), _json(run_dir / "run.json"),
                   loads)


# ---------------------------------------------------------------------------------------------------------------
# Comparing


def by_case(records: list[CaseRecord]) -> dict[str, CaseRecord]:
    """Records by case id. A case id written twice (a run folder reused with the same run id) counts with its worst
    outcome, as it does in the verdict."""
    cases: dict[str, CaseRecord] = {}
    for record in records:
        seen = cases.get(record.case_id)
        if seen is None or outcome_rank(record.outcome) >= outcome_rank(seen.outcome):
            cases[record.case_id] = record
    return cases


def _repeated(run: RunData) -> str | None:
    count = len(run.records) - len({r.case_id for r in run.records})
    if not count:
        return None
    return (f"{run.run_id}: {count} case record(s) repeat a case id (was the run folder reused?); "
            "each case counts with its worst outcome")


def case_changes(old: list[CaseRecord], new: list[CaseRecord]) -> list[CaseChange]:
    """Changed, new and vanished cases: regressions (passed → failed/error) first, then other changes for the worse,
    then the rest; new and vanished cases last. Within a group, by case id."""
    before, after = by_case(old), by_case(new)
    changes = []
    for case_id in sorted(before.keys() | after.keys()):
        a, b = before.get(case_id), after.get(case_id)
        if a is not None and b is not None and a.outcome == b.outcome:
            continue
        reason = (b.reason if b is not None else a.reason if a is not None else "") or ""
        changes.append(CaseChange(case_id, a.outcome if a else None, b.outcome if b else None, reason))

    def order(change: CaseChange) -> tuple[int, int, str, str]:
        if change.old is None or change.new is None:
            return (4 if change.old is None else 5, 0, change.group, change.case_id)
        tier = 0 if change.regressed else 1 if change.worse else 2
        # Worst first within a tier: passed → failed before passed → error.
        return (tier, -outcome_rank(change.new), change.group, change.case_id)

    return sorted(changes, key=order)


RECORDED_SOURCE = "as each run judged them (verdict.json)"
REASSESSED_SOURCE = ("re-assessed from each run's results.jsonl with the current scenarios/stages.yaml "
                     "(run folders hold no per-criterion statuses)")


def recorded_statuses(run: RunData) -> dict[tuple[str, str], CriterionStatus] | None:
    """(criterion id, format) → status as the run judged them; None when its verdict.json does not say."""
    recorded = run.verdict.get("criteria")
    if not isinstance(recorded, dict):
        return None
    return {(cid, fmt): CriterionStatus(status) for cid, by_format in recorded.items()
            for fmt, status in by_format.items()}


def reassessed_statuses(run: RunData, stages: StageCriteria,
                        applicability: Applicability) -> tuple[dict[tuple[str, str], CriterionStatus], list[str]]:
    """Judge a run that recorded no statuses, once: (criterion id, format) → status, and notes when a sign-off file
    is gone or the judgement differs from the recorded verdict."""
    stage = str(run.verdict.get("stage") or run.meta.get("stage") or "experiment")
    formats = list(run.meta.get("formats") or run.verdict.get("by_format") or [])
    notes = []
    signoffs = None
    signoff_file = run.meta.get("signoff_file")
    if signoff_file:
        path = Path(signoff_file)
        if path.exists():
            signoffs = load_signoffs(path, stages)
        else:
            notes.append(f"{run.run_id}: its sign-off file {signoff_file} is gone; re-assessed without sign-offs")
    readiness = assess(run.records, stages, signoffs, formats, stage, applicability)
    statuses = {(a.criterion.id, fmt): check.status for a in readiness.criteria for fmt, check in a.checks.items()}
    recorded = run.verdict.get("verdict")
    if recorded and recorded != readiness.overall.verdict:
        notes.append(f"{run.run_id}: re-assessed as {readiness.overall.verdict.value}, but recorded as {recorded} "
                     "(the stage criteria or sign-offs changed since the run)")
    return statuses, notes


def criterion_statuses(*runs: RunData) -> tuple[list[dict[tuple[str, str], CriterionStatus]], list[str], str]:
    """Each run's criterion statuses as it judged them; runs that recorded none are judged once here, with the
    stage criteria and the scenarios' applicability read once for all of them. Also notes, and where the statuses
    came from."""
    found = [recorded_statuses(run) for run in runs]
    if all(statuses is not None for statuses in found):
        return [s for s in found if s is not None], [], RECORDED_SOURCE
    stages = load_stages()
    applicability = scenario_applicability(read_scenarios([DEFAULT_STAGES_FILE.parent]))
    result, notes = [], []
    for run, statuses in zip(runs, found, strict=True):
        if statuses is None:
            statuses, more = reassessed_statuses(run, stages, applicability)
            notes += more
        result.append(statuses)
    return result, notes, REASSESSED_SOURCE


def criterion_changes(old: dict[tuple[str, str], CriterionStatus],
                      new: dict[tuple[str, str], CriterionStatus]) -> list[CriterionChange]:
    changes = [CriterionChange(cid, fmt, old.get((cid, fmt)), new.get((cid, fmt)))
               for cid, fmt in list(dict.fromkeys([*old, *new])) if old.get((cid, fmt)) != new.get((cid, fmt))]
    return sorted(changes, key=lambda c: (not c.regressed, c.criterion, c.format))


def _metric_kind(name: str) -> Literal["latency", "throughput"] | None:
    if name.endswith("_ms"):
        return "latency"
    if name.endswith(THROUGHPUT_SUFFIXES) or name == "rps":
        return "throughput"
    return None


def _beyond(kind: str, old: float, new: float, margin: float, min_ms: float) -> bool:
    if kind == "latency":
        return new > old * (1 + margin) and new - old >= min_ms
    return new < old * (1 - margin)


def metric_changes(old: RunData, new: RunData, margin: float, min_ms: float) -> tuple[list[MetricChange], int]:
    """Latencies that grew and throughputs that fell beyond the margin, and how many pairs were compared."""
    pairs: list[tuple[str, str, float, float, Literal["latency", "throughput"]]] = []
    before = by_case(old.records)
    for record in by_case(new.records).values():
        previous = before.get(record.case_id)
        if previous is None:
            continue
        for name, value in sorted(record.metrics.items()):
            kind = _metric_kind(name)
            if kind is not None and isinstance(previous.metrics.get(name), int | float):
                pairs.append((record.case_id, name, float(previous.metrics[name]), float(value), kind))
    for load, result in sorted(new.loads.items()):
        earlier = old.loads.get(load, {}).get("endpoints") or {}
        for task, numbers in sorted((result.get("endpoints") or {}).items()):
            for name in (*LOAD_LATENCIES, *LOAD_THROUGHPUTS):
                a, b = (earlier.get(task) or {}).get(name), (numbers or {}).get(name)
                if isinstance(a, int | float) and isinstance(b, int | float):
                    kind = "latency" if name in LOAD_LATENCIES else "throughput"
                    pairs.append((f"load {load} {task}", name, float(a), float(b), kind))
    worse = [MetricChange(where, name, a, b, kind) for where, name, a, b, kind in pairs
             if _beyond(kind, a, b, margin, min_ms)]
    return sorted(worse, key=lambda m: (m.kind, -abs(m.change), m.where, m.metric)), len(pairs)


def _recorded_verdict(run: RunData) -> Verdict | None:
    value = run.verdict.get("verdict")
    return Verdict(value) if value in set(Verdict) else None


def diff_runs(old_dir: Path, new_dir: Path, margin: float = DEFAULT_MARGIN, min_ms: float = DEFAULT_MIN_MS) -> RunDiff:
    old, new = read_run(old_dir), read_run(new_dir)
    (old_status, new_status), judged_notes, source = criterion_statuses(old, new)
    notes = [n for n in (_repeated(old), _repeated(new)) if n] + judged_notes
    stage = (str(old.verdict.get("stage", "?")), str(new.verdict.get("stage", "?")))
    if stage[0] != stage[1]:
        notes.append(f"the runs are of different stages ({stage[0]}, {stage[1]}): their criteria differ")
    metrics, compared = metric_changes(old, new, margin, min_ms)
    return RunDiff(old.run_id, new.run_id, stage, (_recorded_verdict(old), _recorded_verdict(new)),
                   case_changes(old.records, new.records), criterion_changes(old_status, new_status), metrics,
                   margin, min_ms, compared, source, notes)


# ---------------------------------------------------------------------------------------------------------------
# Rendering


def _words(value: str | None) -> str:
    return "—" if value is None else value.replace("_", " ")


def _verdict_words(verdict: Verdict | None) -> str:
    return "unknown" if verdict is None else _words(verdict)


def _number(value: float) -> str:
    return f"{value:.1f}" if abs(value) < 100 else f"{value:.0f}"


def _percent(change: float) -> str:
    return "∞" if change == float("inf") else f"{change:+.0%}"


def _summary(diff: RunDiff) -> str:
    r = diff.regressions
    if not diff.regressed:
        return "nothing got worse"
    parts = []
    if r["cases"]:
        parts.append(f"{r['cases']} case{'s' * (r['cases'] != 1)} passed before and fail now")
    if r["criteria"]:
        parts.append(f"{r['criteria']} criterion status{'es' * (r['criteria'] != 1)} worse")
    if r["metrics"]:
        parts.append(f"{r['metrics']} latenc{'ies' if r['metrics'] != 1 else 'y'}/throughput{'s' * (r['metrics'] != 1)}"
                     f" beyond the {diff.margin:.0%} margin")
    if r["verdict"]:
        parts.append("the verdict got worse")
    return "regressed: " + "; ".join(parts)


def _verdict_line(diff: RunDiff) -> str:
    old, new = diff.verdict
    if old == new and diff.stage[0] == diff.stage[1]:
        return f"{diff.stage[1]}: {_verdict_words(new)} (unchanged)"
    how = "worse" if diff.verdict_worse else "better" if _verdict_rank(new) < _verdict_rank(old) else ""
    after = f"{diff.stage[1]}: {_verdict_words(new)}" if diff.stage[0] != diff.stage[1] else _verdict_words(new)
    return f"{diff.stage[0]}: {_verdict_words(old)} → {after}" + (f" ({how})" if how else "")


def _case_groups(diff: RunDiff) -> dict[str, list[CaseChange]]:
    groups: dict[str, list[CaseChange]] = {}
    for change in diff.cases:
        groups.setdefault(change.group, []).append(change)
    return groups


def _one_line(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _state(change: CaseChange) -> str:
    """For a new or vanished case, its outcome."""
    if change.old is None:
        return f" ({_words(change.new)})"
    return f" (was {_words(change.old)})" if change.new is None else ""


def render_markdown(diff: RunDiff) -> str:
    lines = [f"## Run diff: `{diff.old_run}` → `{diff.new_run}`", "",
             f"**Verdict:** {_verdict_line(diff)}  ", f"**Result:** {_summary(diff)}", ""]
    lines += [f"### Cases ({len(diff.cases)} changed)", ""]
    if not diff.cases:
        lines += ["No case changed its outcome.", ""]
    for group, changes in _case_groups(diff).items():
        mark = " — **regression**" if changes[0].regressed else ""
        lines.append(f"**{_words(group)}** ({len(changes)}){mark}")
        lines += [f"- `{c.case_id}`{_state(c)}" + (f": {_one_line(c.reason)}" if c.reason else "") for c in changes]
        lines.append("")
    lines += [f"### Criteria ({len(diff.criteria)} changed)", "", f"_Statuses {diff.criteria_source}._", ""]
    if diff.criteria:
        lines += ["| criterion | format | before | now | |", "| --- | --- | --- | --- | --- |"]
        lines += [f"| {c.criterion} | {c.format} | {_words(c.old)} | {_words(c.new)} | "
                  f"{'**worse**' if c.regressed else ''} |" for c in diff.criteria]
    else:
        lines.append("No criterion changed its status.")
    lines += ["", f"### Latency and throughput ({len(diff.metrics)} beyond the margin)", "",
              f"_Margin {diff.margin:.0%}; latency differences under {_number(diff.min_ms)} ms are noise; "
              f"{diff.compared_metrics} measurements compared._", ""]
    if diff.metrics:
        lines += ["| where | metric | before | now | change |", "| --- | --- | --- | --- | --- |"]
        lines += [f"| `{m.where}` | {m.metric} | {_number(m.old)} | {_number(m.new)} | {_percent(m.change)} |"
                  for m in diff.metrics]
    else:
        lines.append("No latency grew and no throughput fell beyond the margin.")
    if diff.notes:
        lines += ["", "### Notes", ""] + [f"- {n}" for n in diff.notes]
    return "\n".join(lines) + "\n"


def render_text(diff: RunDiff) -> str:
    lines = [f"run diff: {diff.old_run} -> {diff.new_run}", f"verdict: {_verdict_line(diff)}",
             f"result: {_summary(diff)}", "", f"cases: {len(diff.cases)} changed"]
    for group, changes in _case_groups(diff).items():
        lines.append(f"  {group} ({len(changes)}){'  REGRESSION' if changes[0].regressed else ''}")
        lines += [f"    {c.case_id}{_state(c)}" + (f": {_one_line(c.reason, 120)}" if c.reason else "")
                  for c in changes]
    lines += ["", f"criteria: {len(diff.criteria)} changed ({diff.criteria_source})"]
    lines += [f"  {c.criterion} [{c.format}]: {_words(c.old)} -> {_words(c.new)}{'  WORSE' if c.regressed else ''}"
              for c in diff.criteria]
    lines += ["", f"latency/throughput: {len(diff.metrics)} beyond the {diff.margin:.0%} margin "
                  f"({diff.compared_metrics} compared; latency differences under {_number(diff.min_ms)} ms ignored)"]
    lines += [f"  {m.where} {m.metric}: {_number(m.old)} -> {_number(m.new)} ({_percent(m.change)})"
              for m in diff.metrics]
    lines += [f"note: {n}" for n in diff.notes]
    return "\n".join(lines) + "\n"


def render_json(diff: RunDiff) -> str:
    data: dict[str, Any] = {
        "old_run": diff.old_run, "new_run": diff.new_run,
        "verdict": {"old": _verdict_words(diff.verdict[0]).replace(" ", "_"),
                    "new": _verdict_words(diff.verdict[1]).replace(" ", "_"), "worse": diff.verdict_worse},
        "stage": {"old": diff.stage[0], "new": diff.stage[1]},
        "cases": [{**asdict(c), "group": c.group, "regressed": c.regressed} for c in diff.cases],
        "criteria": [{**asdict(c), "regressed": c.regressed} for c in diff.criteria],
        "criteria_source": diff.criteria_source,
        "metrics": [{**asdict(m), "change": None if m.change == float("inf") else round(m.change, 4)}
                    for m in diff.metrics],
        "margin": diff.margin, "min_ms": diff.min_ms, "compared_metrics": diff.compared_metrics,
        "regressions": diff.regressions, "regressed": diff.regressed, "exit_code": diff.exit_code,
        "notes": diff.notes,
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def render(diff: RunDiff, style: Style) -> str:
    return {"md": render_markdown, "text": render_text, "json": render_json}[style](diff)
