"""Readiness: is the format ready for the next rollout stage? Stage criteria + case records + sign-offs → a verdict.

Inputs: the stage criteria and sign-offs (read once by `engine.stages`), the case records of a run
(core/results.py) and which scenarios apply to which formats (`Applicability`, decided when the matrix was
expanded: nothing here reads a scenario file). Output: a `Readiness` with a status for every criterion and
format, and a verdict (`ready`, `not_ready`, `needs_sign_off`) per format and overall, each with a one-line "why"
and the list of missing items. Statuses are ordered and combined by the one ladder of `core.status`: a criterion
takes the worst of its cases, a stage the worst of its criteria.

Exit codes of a run (`exit_code`, values of `core.exit_codes.ExitCode`):

    READY (0)      every criterion passed or is signed off, and no case failed or errored
    NOT_READY (1)  the target failed a check (a case `failed`), or the stage is not ready
    CONFIG (2)     bad configuration (stages file, sign-off file, scenario, CLI arguments): raised as
                   `engine.config.ConfigError` (the message names the file and the field), mapped to 2 by the CLI,
                   never returned by `exit_code`
    THRESHOLD (3)  the only failures are threshold breaches (each failed case's failing step has `threshold_broken`)
    HARNESS (4)    some cases errored (the harness or the environment broke) and none failed
    NEEDS_SIGN_OFF (5)  nothing failed or errored, but criteria no case checked need a sign-off
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from core.exit_codes import ExitCode
from core.results import Applicability, CaseRecord
from core.status import OUTCOME_STATUS, CriterionStatus, blocks, is_fine, is_unproven, verdict_of, worst
from core.vocabulary import CredentialCase, Outcome, TokenKind, Verdict
from engine.known_failures import is_known
from engine.stages import (
    DEFAULT_STAGES_FILE,
    Criterion,
    SignOff,
    SignOffs,
    StageCriteria,
    StageDefinition,
    load_signoffs,
    load_stages,
    stages_through,
)

__all__ = [
    "DEFAULT_STAGES_FILE", "Check", "Criterion", "CriterionAssessment", "CriterionStatus", "ExitCode", "Readiness",
    "SignOff", "SignOffs", "StageCriteria", "StageDefinition", "StageVerdict", "assess", "case_status", "exit_code",
    "is_threshold_breach", "load_signoffs", "load_stages", "stages_through",
]

# Outcomes that are evidence for or against a criterion; not_run and not_applicable cases prove nothing.
EVIDENCE = (Outcome.PASSED, Outcome.FAILED, Outcome.ERROR)


@dataclass(frozen=True, slots=True)
class Check:
    """One criterion for one format."""

    status: CriterionStatus  # after sign-offs
    observed: CriterionStatus  # from the cases alone
    counts: dict[Outcome, int]  # cases by outcome
    evidence: list[str]  # ids of the failed (else errored) cases
    reasons: list[str]  # why it is not checked
    parts: dict[str, CriterionStatus] = field(default_factory=dict)  # every_token_kind: per credential case
    uncovered: list[str] = field(default_factory=list)  # checked_by scenarios without a case for this format


@dataclass(frozen=True, slots=True)
class CriterionAssessment:
    criterion: Criterion
    checks: dict[str, Check]  # by format
    signoff: SignOff | None
    stage: str = ""  # the stage the criterion belongs to (a beta run also judges experiment's)


@dataclass(frozen=True, slots=True)
class StageVerdict:
    verdict: Verdict
    why: str  # one line, e.g. "not ready: experiment.large_push failed (3 cases)"
    missing: list[str]  # every criterion standing between this and `ready`, with its reason


@dataclass(frozen=True, slots=True)
class Readiness:
    stage: str
    stage_title: str
    formats: list[str]
    criteria: list[CriterionAssessment]
    by_format: dict[str, StageVerdict]
    overall: StageVerdict

    def statuses(self) -> dict[str, dict[str, CriterionStatus]]:
        """Criterion id → format → status: the judged result, as `verdict.json` records it for later readers."""
        return {a.criterion.id: dict((fmt, check.status) for fmt, check in a.checks.items()) for a in self.criteria}


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(i for i in items if i))


def case_status(record: CaseRecord) -> CriterionStatus:
    """Where one case stands on the ladder: its outcome's status, a declared known failure as one, and a
    not-applicable case that gives no reason as not checked (it proves nothing)."""
    if is_known(record):
        return CriterionStatus.KNOWN_FAILURE
    if record.outcome == Outcome.NOT_APPLICABLE and not record.reason:
        return CriterionStatus.NOT_CHECKED
    return OUTCOME_STATUS[Outcome(record.outcome)]


def _judge(cases: list[CaseRecord], nothing: str) -> tuple[CriterionStatus, list[str], list[str]]:
    """Status, evidence and reasons for a criterion's cases: the worst of the cases that are evidence (passed,
    failed, errored); only without any, the worst of the rest. `nothing` is the reason when there are no cases."""
    judged = [(c, case_status(c)) for c in cases]
    proving = [(c, s) for c, s in judged if c.outcome in EVIDENCE]
    if proving:
        status = worst(s for _, s in proving)
        if status is CriterionStatus.PASSED:
            return status, [], []
        mine = [c for c, s in proving if s is status]
        reasons = _unique(f"known failure, {c.known['issue']} (until {c.known['expires']})" for c in mine
                          if c.known) if status is CriterionStatus.KNOWN_FAILURE else []
        return status, [c.case_id for c in mine], reasons
    reasons = _unique(c.reason or f"{c.outcome} (no reason given)" for c in cases) or [nothing]
    return worst((s for _, s in judged), default=CriterionStatus.NOT_CHECKED), [], reasons


def _judge_credential(name: str, cases: list[CaseRecord]) -> tuple[CriterionStatus, list[str], list[str]]:
    """A credential case takes the worst of all its cases; it passed when that is fine (passed, not applicable for
    a stated reason, a known failure)."""
    if not cases:
        return CriterionStatus.NOT_CHECKED, [], [f"{name}: no cases"]
    judged = [(c, case_status(c)) for c in cases]
    status = worst(s for _, s in judged)
    if is_fine(status):
        return CriterionStatus.PASSED, [], []
    mine = [c for c, s in judged if s is status]
    if status is CriterionStatus.NOT_CHECKED:
        reasons = _unique(c.reason or f"{c.outcome} without a reason" for c in mine)
        return status, [], [r if name in r else f"{name}: {r}" for r in reasons]
    return status, [c.case_id for c in mine], []


def _counts(cases: Iterable[CaseRecord]) -> dict[Outcome, int]:
    return dict(Counter(c.outcome for c in cases))


def _check_scenarios(criterion: Criterion, cases: list[CaseRecord], fmt: str, applicability: Applicability) -> Check:
    scenarios = [s for s in criterion.checked_by or [] if applicability.applies(s, fmt)]
    mine = [c for c in cases if c.scenario in scenarios or criterion.id in c.criteria]
    if criterion.checked_by and not scenarios and not mine:
        # None of its scenarios applies to the format (each for other formats, or needing what it lacks).
        status = CriterionStatus.NOT_APPLICABLE
        reasons = [f"{s}: {applicability.why_not(s, fmt)}" for s in criterion.checked_by]
        return Check(status, status, {}, [], reasons)
    if criterion.drivers == "clients":
        mine = [c for c in mine if c.driver != "http"]
        if not mine:
            status = CriterionStatus.NOT_CHECKED
            return Check(status, status, {}, [], [f"no case of {', '.join(scenarios)} ran through a real client "
                                                  "(run with --clients container or host)"], uncovered=scenarios)
    status, evidence, reasons = _judge(mine, "no cases for " + ", ".join(scenarios))
    ran = {c.scenario for c in mine}
    uncovered = [s for s in scenarios if s not in ran]
    if criterion.drivers == "clients":
        uncovered = []  # a real client runs only the scenarios it can: any of them proves the format end to end
    if status is CriterionStatus.PASSED and uncovered:
        # Part of the criterion's evidence is missing (a narrower selection, a scenario that broke): not proven.
        status, reasons = CriterionStatus.NOT_CHECKED, [f"no case of {s} ran" for s in uncovered]
    return Check(status=status, observed=status, counts=_counts(mine), evidence=evidence, reasons=reasons,
                 uncovered=uncovered)


def _check_token_kinds(cases: list[CaseRecord]) -> Check:
    results: dict[str, tuple[CriterionStatus, list[str], list[str]]] = {}
    for kind in TokenKind:
        results[kind.value] = _judge_credential(kind.value, [c for c in cases if c.credential == kind.value])
    negative = [c for c in CredentialCase if c.is_negative]
    negative_cases = [c for c in cases if c.credential in negative]
    if not negative_cases:
        results["negative credentials"] = (CriterionStatus.NOT_CHECKED, [], ["no negative credential cases"])
    for credential in negative:
        mine = [c for c in negative_cases if c.credential == credential]
        if mine:
            results[credential.value] = _judge_credential(credential.value, mine)
    status = worst(r[0] for r in results.values())  # the criterion takes the worst of its credential cases
    evidence = [cid for r in results.values() if r[0] is status for cid in r[1]]
    reasons = [reason for r in results.values() if r[0] is CriterionStatus.NOT_CHECKED for reason in r[2]]
    return Check(
        status=status,
        observed=status,
        counts=_counts(cases),
        evidence=_unique(evidence),
        reasons=reasons if status is CriterionStatus.NOT_CHECKED else [],
        parts={name: r[0] for name, r in results.items()},
    )


def _check(criterion: Criterion, stage: str, fmt: str, records: list[CaseRecord], signoff: SignOff | None,
           applicability: Applicability) -> Check:
    cases = [r for r in records if r.format == fmt]
    if criterion.checked_by is not None:
        check = _check_scenarios(criterion, cases, fmt, applicability)
    elif criterion.every_token_kind:  # over the criterion's own stage's cases (experiment's, beta's)
        check = _check_token_kinds([c for c in cases if c.stage == stage])
    else:
        check = Check(CriterionStatus.NOT_CHECKED, CriterionStatus.NOT_CHECKED, {}, [], ["no sign-off"])
    # A sign-off vouches for what no case proved; it never overrides a failure, and a pass needs no vouching.
    if signoff is not None and is_unproven(check.status):
        if criterion.sign_off:  # nothing could check it: the sign-off is the whole evidence
            return replace(check, status=CriterionStatus.SIGNED_OFF, observed=CriterionStatus.SIGNED_OFF, reasons=[])
        return replace(check, status=CriterionStatus.SIGNED_OFF)
    return check


Problem = tuple[str, Check, str | None]  # a criterion that is not fine: its id, its check, the format or None


def _plural(n: int, word: str, words: str | None = None) -> str:
    return f"{n} {word if n == 1 else words or word + 's'}"


def _problem(criterion_id: str, check: Check, fmt: str | None = None) -> str:
    """`experiment.large_push failed (3 cases)`, `experiment.metadata not checked (job_token not given)`."""
    where = f" for {fmt}" if fmt else ""
    if check.status is CriterionStatus.FAILED:
        return f"{criterion_id} failed{where} ({_plural(len(check.evidence), 'case')})"
    if check.status is CriterionStatus.ERROR:
        return f"{criterion_id} errored{where} ({_plural(len(check.evidence), 'case')})"
    if check.reasons == ["no sign-off"]:
        return f"{criterion_id} needs a sign-off{where}"
    reason = check.reasons[0] if check.reasons else "no evidence"
    more = f"; +{len(check.reasons) - 1} more" if len(check.reasons) > 1 else ""
    return f"{criterion_id} not checked{where} ({reason}{more})"


def _join(items: list[str], limit: int = 3) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def _verdict(problems: list[Problem], passed: int, signed: int) -> StageVerdict:
    """The verdict from (criterion id, check, format or None) of every criterion that is not fine: the verdict of
    the worst of them on the ladder."""
    missing = [_problem(*p) for p in problems]
    verdict = verdict_of(worst(p[1].status for p in problems))
    if verdict is Verdict.NOT_READY:
        return StageVerdict(verdict, "not ready: " + _join([_problem(*p) for p in problems if blocks(p[1].status)]),
                            missing)
    if verdict is Verdict.NEEDS_SIGN_OFF:
        return StageVerdict(verdict, "needs sign-off: " + _join(missing), missing)
    if passed == 0 and signed == 0:
        return StageVerdict(Verdict.NEEDS_SIGN_OFF, "needs sign-off: nothing was checked", ["no formats in the run"])
    signed_text = f", {signed} signed off" if signed else ""
    return StageVerdict(Verdict.READY, f"ready: {_plural(passed, 'criterion', 'criteria')} passed{signed_text}", [])


PROVEN = (CriterionStatus.PASSED, CriterionStatus.NOT_APPLICABLE, CriterionStatus.KNOWN_FAILURE)  # counted "passed"


def _proven(assessment: CriterionAssessment) -> bool:
    return all(check.status in PROVEN for check in assessment.checks.values())


def _fine(assessment: CriterionAssessment) -> bool:
    return all(is_fine(check.status) for check in assessment.checks.values())


def assess(
    records: list[CaseRecord],
    stages: StageCriteria,
    signoffs: SignOffs | None,
    formats: list[str],
    stage: str,
    applicability: Applicability | None = None,
) -> Readiness:
    """Judge every criterion of `stage` for every format, and the stage verdict per format and overall.

    A case counts for a `checked_by` criterion when its scenario is listed there or the case names the criterion;
    a listed scenario that does not apply to a format (`applicability`, decided when the matrix was expanded;
    default: what the records say) is no evidence the format lacks. `formats` defaults to the formats in `records`.
    """
    definition = stages.stage(stage)
    applicability = applicability or Applicability.of_records(records)
    formats = list(formats) or sorted({r.format for r in records})
    assessments = []
    for stage_name, stage_definition in stages.chain(stage):  # a stage is ready only with the ones it requires
        for criterion in stage_definition.criteria:
            signoff = signoffs.get(criterion.id) if signoffs else None
            checks = {fmt: _check(criterion, stage_name, fmt, records, signoff, applicability) for fmt in formats}
            assessments.append(CriterionAssessment(criterion, checks, signoff, stage_name))

    by_format = {}
    for fmt in formats:
        own = [(a.criterion.id, a.checks[fmt]) for a in assessments]
        by_format[fmt] = _verdict([(cid, check, None) for cid, check in own if not is_fine(check.status)],
                                  sum(1 for _, check in own if check.status in PROVEN),
                                  sum(1 for _, check in own if check.status is CriterionStatus.SIGNED_OFF))

    many = len(formats) > 1
    problems: list[Problem] = []
    for a in assessments:
        bad = {fmt: check for fmt, check in a.checks.items() if not is_fine(check.status)}
        if many and len(bad) == len(a.checks) and len({(c.status, tuple(c.reasons)) for c in bad.values()}) == 1:
            problems.append((a.criterion.id, next(iter(bad.values())), None))  # the same for every format: once
        else:
            problems += [(a.criterion.id, check, fmt if many else None) for fmt, check in bad.items()]
    passed = sum(1 for a in assessments if a.checks and _proven(a))
    signed = sum(1 for a in assessments if a.checks and _fine(a)) - passed
    overall = _verdict(problems, passed, signed)
    return Readiness(stage, definition.title, formats, assessments, by_format, overall)


# ---------------------------------------------------------------------------------------------------------------
# Exit code


def is_threshold_breach(record: CaseRecord) -> bool:
    """A failed case whose failing step broke a threshold (latency, throughput) rather than a functional rule."""
    step = record.failed_step
    return record.outcome == Outcome.FAILED and step is not None and bool(step.observed.get("threshold_broken"))


def exit_code(readiness: Readiness, records: list[CaseRecord]) -> ExitCode:
    """The process exit code for a run (see the module docstring). Declared known failures do not count."""
    records = [r for r in records if not is_known(r)]
    failed = [r for r in records if r.outcome == Outcome.FAILED]
    if failed:
        return ExitCode.THRESHOLD if all(is_threshold_breach(r) for r in failed) else ExitCode.NOT_READY
    if any(r.outcome == Outcome.ERROR for r in records):
        return ExitCode.HARNESS
    if readiness.overall.verdict is Verdict.NEEDS_SIGN_OFF:
        return ExitCode.NEEDS_SIGN_OFF
    if readiness.overall.verdict is not Verdict.READY:
        return ExitCode.NOT_READY
    return ExitCode.READY


def judge_selection(readiness: Readiness, records: list[CaseRecord]) -> tuple[ExitCode, str]:
    """`--gate selection`: the exit code of a run that gates on the cases it selected, not on the whole stage, and
    a sentence saying why, with the criteria the selection did not cover. Failures and errors count as in
    `exit_code`; a selected case that did not run is not proven, so it does not pass the gate."""
    counted = [r for r in records if not is_known(r)]
    if any(r.outcome in (Outcome.FAILED, Outcome.ERROR) for r in counted):
        return exit_code(readiness, counted), "the gate fails: selected cases failed"
    not_run = [r for r in counted if r.outcome == Outcome.NOT_RUN]
    if not_run:
        return ExitCode.NOT_READY, (f"the gate fails: {len(not_run)} selected case(s) did not run (first: "
                                    f"{not_run[0].case_id}: {not_run[0].reason}); leave them out of the selection "
                                    "(--token-kinds, --drivers) or run where they can")
    passed = sum(1 for r in counted if r.outcome == Outcome.PASSED)
    if not passed:
        return ExitCode.NOT_READY, "the gate fails: no selected case passed"
    uncovered = [a.criterion.id for a in readiness.criteria
                 if all(not sum(c.counts.values()) for c in a.checks.values())]
    left = f"; criteria the selection did not cover: {', '.join(uncovered)}" if uncovered else ""
    return ExitCode.READY, f"the gate passes: all {passed} selected cases that apply passed{left}"
