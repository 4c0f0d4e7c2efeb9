"""What the reports show: one view of a run, built from the case records, the readiness and the run metadata.

`report.html` and `summary.md` render this view; the templates compute nothing of their own.
"""

from __future__ import annotations

import json
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any, TypedDict

from core.results import CaseRecord, Exchange, StepRecord
from core.status import is_unproven
from core.vocabulary import Outcome
from engine.readiness import Check, CriterionAssessment, Readiness, SignOff, StageVerdict
from reports.causes import CommonCause, common_causes
from reports.look import (
    OUTCOME_ORDER,
    STATUS_WORDS,
    VERDICT_WORDS,
    case_anchor,
    outcome_colour,
    outcome_words,
)
from reports.pictures import client_matrix_svg, matrix_svgs, metric_svgs

MAX_LINKS = 5  # failing-case links per checklist cell


class RunMeta(TypedDict, total=False):
    run_id: str
    stage: str
    target: str  # URL
    target_kind: str  # "reference server" or "external"
    formats: list[str]
    started_at: str
    finished_at: str
    duration_s: float
    harness_version: str
    python_version: str
    command: str  # already redacted
    leftovers: list[str]  # resources the run could not clean up
    signoff_file: str | None
    interrupted: bool  # Ctrl-C: only part of the run took place


@dataclass(frozen=True)
class Banner:
    label: str  # a format, or "overall"
    verdict: str
    words: str
    why: str  # "not ready: experiment.large_push failed (3 cases)"
    reason: str  # the why without the verdict words in front: "experiment.large_push failed (3 cases)"
    missing: list[str]


@dataclass(frozen=True)
class CaseLink:
    case_id: str
    href: str


@dataclass(frozen=True)
class CheckCell:
    format: str
    status: str
    words: str
    counts: str  # "3 passed, 1 not run"
    links: list[CaseLink]
    more_links: int
    reasons: list[str]
    parts: list[tuple[str, str, str]]  # every_token_kind: (credential case, status, words)
    uncovered: list[str]
    observed_words: str  # what the cases alone showed, when a sign-off covers it
    note: str  # everything above in one line, for summary.md


@dataclass(frozen=True)
class ChecklistRow:
    id: str
    title: str
    how: str
    cells: list[CheckCell]
    signoff: SignOff | None
    signoff_missing: bool  # a sign-off is what this criterion still needs
    stage: str = ""  # the stage the criterion belongs to (a beta run lists experiment's first)


@dataclass(frozen=True)
class ExchangeView:
    exchange: Exchange
    status_class: str  # "ok", "bad" or "none"


@dataclass(frozen=True)
class FailureView:
    record: CaseRecord
    anchor: str
    outcome_words: str
    step: StepRecord | None
    expected: str  # JSON
    observed: str  # JSON
    exchanges: list[ExchangeView]
    curl: str | None  # the reproduction of the request that broke the expectation
    client: dict[str, Any] | None = None  # a real client's step: reproduce line, config files, output, exit code


@dataclass(frozen=True)
class FailureGroup:
    """Cases that broke the same way: one problem to fix, however many cases show it."""

    reason: str
    outcome_words: str
    failures: list[FailureView]

    @property
    def first(self) -> FailureView:
        return self.failures[0]


@dataclass(frozen=True)
class ReasonGroup:
    outcome: str
    words: str
    reason: str
    case_ids: list[str]


@dataclass(frozen=True)
class OutcomeCount:
    outcome: str
    words: str
    count: int
    colour: str


@dataclass(frozen=True)
class MetricSummary:
    name: str
    cases: int
    low: float
    median: float
    high: float


@dataclass
class ReportView:
    title: str
    verdicts: str  # "generic: not ready, npm: ready"
    stage: str
    stage_title: str
    formats: list[str]
    overall: Banner
    also_missing: list[str]  # missing items the overall "why" does not name
    banners: list[Banner]
    checklist: list[ChecklistRow]
    matrices: list[str]  # inline SVG
    client_matrix: str | None  # inline SVG: format · driver × credential
    charts: list[str]  # inline SVG
    failures: list[FailureView]
    failure_groups: list[FailureGroup]
    reason_groups: list[ReasonGroup]
    outcome_counts: list[OutcomeCount]
    metrics: list[MetricSummary]
    cases: list[CaseRecord]
    meta: list[tuple[str, str]]
    run: dict[str, Any]
    custom_endpoints: dict[str, list[dict[str, str]]]  # format → [{endpoint, reason}]
    leftovers: list[str] = field(default_factory=list)
    interrupted: bool = False
    causes: list[CommonCause] = field(default_factory=list)  # what every failure shares, most telling first


def _banner(label: str, verdict: StageVerdict) -> Banner:
    words = VERDICT_WORDS[verdict.verdict]
    reason = verdict.why.removeprefix(f"{words}: ")
    return Banner(label, verdict.verdict.value, words, verdict.why, reason, verdict.missing)


def counts_text(counts: dict[Outcome, int]) -> str:
    text = ", ".join(f"{counts[o]} {outcome_words(o)}" for o in OUTCOME_ORDER if counts.get(o))
    return text or "no cases"


def _note(check: Check) -> str:
    """`1 failed, 33 passed; no cases for duplicate-exception`: counts, reasons and gaps in one line."""
    notes = [counts_text(check.counts)] if check.counts else []
    notes += check.reasons
    if check.uncovered and check.counts:
        notes.append("no cases for " + ", ".join(check.uncovered))
    return "; ".join(notes)


def _cell(fmt: str, check: Check, linkable: set[str]) -> CheckCell:
    links = [CaseLink(cid, f"#{case_anchor(cid)}") for cid in check.evidence if cid in linkable]
    return CheckCell(
        format=fmt,
        status=check.status.value,
        words=STATUS_WORDS[check.status],
        counts=counts_text(check.counts),
        links=links[:MAX_LINKS],
        more_links=max(0, len(check.evidence) - MAX_LINKS),
        reasons=check.reasons,
        parts=[(name, status.value, STATUS_WORDS[status]) for name, status in check.parts.items()],
        uncovered=check.uncovered,
        observed_words=STATUS_WORDS[check.observed] if check.observed != check.status else "",
        note=_note(check),
    )


def _row(assessment: CriterionAssessment, linkable: set[str]) -> ChecklistRow:
    criterion = assessment.criterion
    unproven = any(is_unproven(c.status) for c in assessment.checks.values())
    return ChecklistRow(
        id=criterion.id,
        title=criterion.title,
        how=criterion.how,
        cells=[_cell(fmt, check, linkable) for fmt, check in assessment.checks.items()],
        signoff=assessment.signoff,
        signoff_missing=assessment.signoff is None and (criterion.sign_off or unproven),
        stage=assessment.stage,
    )


def _json(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2, sort_keys=True, default=str, ensure_ascii=False) if data else ""


def _status_class(exchange: Exchange) -> str:
    if exchange.status is None:
        return "none"
    return "ok" if exchange.status < 400 else "bad"


def reproduction(record: CaseRecord) -> str | None:
    """The curl line of the last request of the failing step (else of the case), if any."""
    step = record.failed_step
    for exchanges in ([step.exchanges] if step else []) + [[e for s in reversed(record.steps) for e in s.exchanges]]:
        for exchange in reversed(exchanges):
            if exchange.curl:
                return exchange.curl
    return None


def _failure(record: CaseRecord) -> FailureView:
    step = record.failed_step
    return FailureView(
        record=record,
        anchor=case_anchor(record.case_id),
        outcome_words=outcome_words(record.outcome),
        step=step,
        expected=_json(step.expected) if step else "",
        observed=_json(step.observed) if step else "",
        exchanges=[ExchangeView(e, _status_class(e)) for e in (step.exchanges if step else [])],
        curl=reproduction(record),
        client=step.client if step else None,
    )


def _failure_groups(failures: list[FailureView]) -> list[FailureGroup]:
    groups: dict[tuple[str, str], list[FailureView]] = defaultdict(list)
    for failure in failures:
        reason = (failure.record.reason or "").splitlines()[0] if failure.record.reason else "(no reason given)"
        groups[(failure.outcome_words, reason)].append(failure)
    ordered = sorted(groups.items(), key=lambda item: (-len(item[1]), item[0]))
    return [FailureGroup(reason, words, members) for (words, reason), members in ordered]


def _reason_groups(records: list[CaseRecord]) -> list[ReasonGroup]:
    groups: dict[tuple[str, str], list[str]] = defaultdict(list)
    for record in records:
        if record.outcome in (Outcome.NOT_RUN, Outcome.NOT_APPLICABLE):
            groups[(record.outcome, record.reason or "(no reason given)")].append(record.case_id)
    ordered = sorted(groups.items(), key=lambda item: (item[0][0] != Outcome.NOT_RUN, -len(item[1]), item[0][1]))
    return [ReasonGroup(outcome, outcome_words(outcome), reason, ids) for (outcome, reason), ids in ordered]


def _metrics(records: list[CaseRecord]) -> list[MetricSummary]:
    values: dict[str, list[float]] = defaultdict(list)
    for record in records:
        for name, value in record.metrics.items():
            values[name].append(float(value))
    return [
        MetricSummary(name, len(v), min(v), statistics.median(v), max(v)) for name, v in sorted(values.items()) if v
    ]


def _client_text(info: dict[str, Any]) -> str:
    if info.get("not_run"):
        return f"not run: {info['not_run']}"
    where = f"{info.get('image')} ({str(info.get('image_id', ''))[:19]}, {info.get('image_source')})" \
        if info.get("mode") == "container" else f"host: {info.get('program')}"
    return f"{info.get('version') or '?'} — {where}"


def _meta(run: dict[str, Any]) -> list[tuple[str, str]]:
    duration = run.get("duration_s")
    target = str(run.get("target", ""))
    if run.get("target_kind"):
        target += f" ({run['target_kind']})"
    rows = [
        ("Run", run.get("run_id")),
        ("Stage", run.get("stage")),
        ("Target", target),
        ("Formats", ", ".join(run.get("formats") or [])),
        ("Started", run.get("started_at")),
        ("Finished", run.get("finished_at")),
        ("Duration", f"{float(duration):.1f} s" if duration is not None else None),
        ("Harness", run.get("harness_version")),
        ("Python", run.get("python_version")),
        ("Command", run.get("command")),
        ("Sign-off file", run.get("signoff_file") or "none"),
        *((f"Client {name}", _client_text(info)) for name, info in sorted((run.get("clients") or {}).items())),
        ("Interrupted", "yes: only part of the run took place" if run.get("interrupted") else None),
    ]
    return [(label, str(value)) for label, value in rows if value not in (None, "")]


def _scenario_order(readiness: Readiness) -> list[str]:
    return list(dict.fromkeys(s for a in readiness.criteria for s in a.criterion.checked_by or []))


def build_view(records: list[CaseRecord], readiness: Readiness, run_meta: dict[str, Any]) -> ReportView:
    records = sorted(records, key=lambda r: (r.scenario, r.case_id))
    broken = [r for r in records if r.outcome in (Outcome.FAILED, Outcome.ERROR)]
    broken.sort(key=lambda r: (r.outcome != Outcome.FAILED, r.case_id))
    linkable = {r.case_id for r in broken}
    outcomes = Counter(r.outcome for r in records)
    verdicts = ", ".join(f"{fmt}: {VERDICT_WORDS[v.verdict]}" for fmt, v in readiness.by_format.items())
    failures = [_failure(r) for r in broken]
    return ReportView(
        title=f"{readiness.stage_title} readiness — {verdicts or VERDICT_WORDS[readiness.overall.verdict]}",
        verdicts=verdicts or VERDICT_WORDS[readiness.overall.verdict],
        stage=readiness.stage,
        stage_title=readiness.stage_title,
        formats=readiness.formats,
        overall=_banner("overall", readiness.overall),
        also_missing=[m for m in readiness.overall.missing if m not in readiness.overall.why],
        banners=[_banner(fmt, v) for fmt, v in readiness.by_format.items()],
        checklist=[_row(a, linkable) for a in readiness.criteria],
        matrices=matrix_svgs(
            records, readiness.formats or sorted({r.format for r in records}), _scenario_order(readiness)
        ),
        client_matrix=client_matrix_svg(records, readiness.formats or sorted({r.format for r in records})),
        charts=metric_svgs(records),
        failures=failures,
        failure_groups=_failure_groups(failures),
        reason_groups=_reason_groups(records),
        outcome_counts=[
            OutcomeCount(o.value, outcome_words(o), outcomes[o], outcome_colour(o))
            for o in OUTCOME_ORDER
            if outcomes[o]
        ],
        metrics=_metrics(records),
        cases=records,
        meta=_meta(run_meta),
        run=dict(run_meta),
        leftovers=list(run_meta.get("leftovers") or []),
        custom_endpoints=dict(run_meta.get("custom_endpoints") or {}),
        interrupted=bool(run_meta.get("interrupted")),
        causes=common_causes(records)[:2],
    )
