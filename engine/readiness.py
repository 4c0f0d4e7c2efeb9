"""Readiness: is the format ready for the next rollout stage? Stage criteria + case records + sign-offs → a verdict.

Inputs: the stage criteria file (`scenarios/stages.yaml`, schema `harness.stages/1`), the case records of a run
(harness/results.py), and an optional sign-off file (docs/signoffs.md). Output: a `Readiness` with a status for
every criterion and format, and a verdict (`ready`, `not_ready`, `needs_sign_off`) per format and overall, each
with a one-line "why" and the list of missing items.

Exit codes of a run (`exit_code`):

    0  ready: every criterion passed or is signed off, and no case failed or errored
    1  the target failed a check (a case `failed`), or the stage is not ready / needs sign-off
    2  bad configuration (stages file, sign-off file, scenario, CLI arguments): raised as
       `engine.config.ConfigError` (the message names the file and the field), mapped to 2 by the CLI,
       never returned by `exit_code`
    3  the only failures are threshold breaches (each failed case's failing step has `threshold_broken` set)
    4  some cases errored (the harness or the environment broke) and none failed
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from enum import IntEnum, StrEnum
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlparse

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator, model_validator

from core.results import CaseRecord
from core.vocabulary import CredentialCase, Outcome, Stage, TokenKind, Verdict
from engine.config import ConfigError  # bad configuration: the CLI exits with 2

DEFAULT_STAGES_FILE = Path(__file__).resolve().parent.parent / "scenarios" / "stages.yaml"


class ExitCode(IntEnum):
    READY = 0
    NOT_READY = 1
    CONFIG = 2
    THRESHOLD = 3
    ERROR = 4


class CriterionStatus(StrEnum):
    PASSED = "passed"  # evidence: at least one passed case, none failed or errored
    FAILED = "failed"  # a case failed: the target broke an expectation
    ERROR = "error"  # no failures, but a case errored: the harness or the environment broke, nothing is proven
    NOT_CHECKED = "not_checked"  # no case ran (not_run, or no cases at all)
    NOT_APPLICABLE = "not_applicable"  # the criterion cannot apply to the format (every case says why)
    KNOWN_FAILURE = "known_failure"  # its only failures are declared known (an issue, an expiry): shown, not blocking
    SIGNED_OFF = "signed_off"  # a person vouches for it in the sign-off file


# ---------------------------------------------------------------------------------------------------------------
# The stage criteria file


class Criterion(BaseModel):
    """One checklist item. Exactly one of `checked_by`, `every_token_kind: true`, `sign_off: true`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1)
    title: str = Field(min_length=1)
    checked_by: list[str] | None = None
    drivers: Literal["any", "clients"] = "any"  # clients: only cases through real clients count (end to end)
    every_token_kind: bool = False
    sign_off: bool = False

    @field_validator("checked_by")
    @classmethod
    def _names_scenarios(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and not value:
            raise ValueError("checked_by must name at least one scenario")
        return value

    @model_validator(mode="after")
    def _one_kind(self) -> Criterion:
        given = [self.checked_by is not None, self.every_token_kind, self.sign_off]
        if sum(given) != 1:
            raise ValueError(
                "give exactly one of `checked_by: [scenarios]`, `every_token_kind: true`, `sign_off: true`"
            )
        return self

    @property
    def how(self) -> str:
        """How the criterion is checked, in words."""
        if self.checked_by is not None:
            return "checked by " + ", ".join(self.checked_by) + (" through real clients"
                                                                 if self.drivers == "clients" else "")
        if self.every_token_kind:
            return "every token kind passes and every negative credential is refused"
        return "needs a sign-off"


class StageDefinition(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    title: str
    source: str | None = None
    requires: Stage | None = None  # this stage's readiness includes every criterion of the stage it requires
    criteria: list[Criterion] = Field(min_length=1)


class StageCriteria(BaseModel):
    """The whole stage criteria file."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    schema_: Literal["harness.stages/1"] = Field(alias="schema")
    stages: dict[Stage, StageDefinition]
    _path: Path | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _unique_ids(self) -> StageCriteria:
        seen = Counter(c.id for stage in self.stages.values() for c in stage.criteria)
        twice = sorted(cid for cid, n in seen.items() if n > 1)
        if twice:
            raise ValueError(f"criterion ids must be unique; repeated: {', '.join(twice)}")
        return self

    @property
    def path(self) -> Path | None:
        return self._path

    def criterion_ids(self) -> set[str]:
        return {c.id for stage in self.stages.values() for c in stage.criteria}

    def chain(self, name: str) -> list[tuple[str, StageDefinition]]:
        """The stage and every stage it requires, earliest first (beta: experiment, beta)."""
        chain: list[tuple[str, StageDefinition]] = []
        current: str | None = name
        while current is not None:
            if any(n == current for n, _ in chain):
                raise ConfigError(f"{self._path or 'stage criteria'}: stage {current!r} requires itself")
            definition = self.stage(current)
            chain.insert(0, (current, definition))
            current = definition.requires.value if definition.requires else None
        return chain

    def stage(self, name: str) -> StageDefinition:
        try:
            return self.stages[Stage(name)]
        except (ValueError, KeyError):
            defined = ", ".join(s.value for s in self.stages)
            where = self._path or "stage criteria"
            raise ConfigError(f"{where}: stage {name!r} is not defined (defined: {defined})") from None


# ---------------------------------------------------------------------------------------------------------------
# The sign-off file

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class SignOff(BaseModel):
    """A person vouches for a criterion no command can check (docs written, dogfooding done, …)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    by: str = Field(min_length=1)
    date: dt.date
    link: str
    note: str | None = None

    @field_validator("date", mode="before")
    @classmethod
    def _iso_date(cls, value: Any) -> Any:
        if isinstance(value, dt.datetime):
            raise ValueError("must be a date YYYY-MM-DD, without a time")
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str) and _DATE.fullmatch(value):
            return value
        raise ValueError("must be a date YYYY-MM-DD")

    @field_validator("link")
    @classmethod
    def _http_url(cls, value: str) -> str:
        parsed = urlparse(value)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise ValueError("must be an http(s) URL (the issue, MR or page that shows it)")
        return value


class SignOffs(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    schema_: Literal["harness.signoffs/1"] = Field(default="harness.signoffs/1", alias="schema")
    signoffs: dict[str, SignOff] = Field(default_factory=dict)
    _path: Path | None = PrivateAttr(default=None)

    @field_validator("signoffs", mode="before")
    @classmethod
    def _none_is_empty(cls, value: Any) -> Any:
        return {} if value is None else value

    @property
    def path(self) -> Path | None:
        return self._path

    def get(self, criterion_id: str) -> SignOff | None:
        return self.signoffs.get(criterion_id)


# ---------------------------------------------------------------------------------------------------------------
# Loading


def _read_yaml(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        raise ConfigError(f"{path}: not valid YAML{where}: {getattr(exc, 'problem', None) or exc}") from exc


def _field_path(raw: Any, loc: Sequence[int | str]) -> str:
    """`stages.experiment.criteria[2] (experiment.metadata).checked_by`: the location, with criterion ids."""
    parts: list[str] = []
    node = raw
    for key in loc:
        if isinstance(key, int):
            label = f"[{key}]"
            node = node[key] if isinstance(node, list) and key < len(node) else None
            if isinstance(node, dict) and isinstance(node.get("id"), str):
                label += f" ({node['id']})"
            parts.append(label)
        else:
            parts.append(("." if parts else "") + str(key))
            node = node.get(key) if isinstance(node, dict) else None
    return "".join(parts) or "(top level)"


def _validation_error(path: Path, raw: Any, exc: ValidationError) -> ConfigError:
    lines = [f"{path}: invalid:"]
    for err in exc.errors():
        lines.append(f"  {_field_path(raw, err['loc'])}: {err['msg']}")
    return ConfigError("\n".join(lines))


def load_stages(path: Path = DEFAULT_STAGES_FILE) -> StageCriteria:
    """Read and validate the stage criteria file; a bad file raises ConfigError naming the file and the field."""
    raw = _read_yaml(path)
    try:
        stages = StageCriteria.model_validate(raw)
    except ValidationError as exc:
        raise _validation_error(path, raw, exc) from None
    stages._path = path
    return stages


def load_signoffs(path: Path, stages: StageCriteria) -> SignOffs:
    """Read and validate a sign-off file; ids that name no criterion in `stages` are an error."""
    raw = _read_yaml(path)
    try:
        signoffs = SignOffs.model_validate(raw)
    except ValidationError as exc:
        raise _validation_error(path, raw, exc) from None
    unknown = sorted(set(signoffs.signoffs) - stages.criterion_ids())
    if unknown:
        where = stages.path or "the stage criteria"
        raise ConfigError(f"{path}: signoffs: unknown criterion id(s) {', '.join(unknown)} (not in {where})")
    signoffs._path = path
    return signoffs


# ---------------------------------------------------------------------------------------------------------------
# Assessment


@dataclass(frozen=True)
class Check:
    """One criterion for one format."""

    status: CriterionStatus  # after sign-offs
    observed: CriterionStatus  # from the cases alone
    counts: dict[str, int]  # cases by outcome
    evidence: list[str]  # ids of the failed (else errored) cases
    reasons: list[str]  # why it is not checked
    parts: dict[str, CriterionStatus] = field(default_factory=dict)  # every_token_kind: per credential case
    uncovered: list[str] = field(default_factory=list)  # checked_by scenarios without a case for this format


@dataclass(frozen=True)
class CriterionAssessment:
    criterion: Criterion
    checks: dict[str, Check]  # by format
    signoff: SignOff | None
    stage: str = ""  # the stage the criterion belongs to (a beta run also judges experiment's)


@dataclass(frozen=True)
class StageVerdict:
    verdict: Verdict
    why: str  # one line, e.g. "not ready: experiment.large_push failed (3 cases)"
    missing: list[str]  # every criterion standing between this and `ready`, with its reason


@dataclass(frozen=True)
class Readiness:
    stage: str
    stage_title: str
    formats: list[str]
    criteria: list[CriterionAssessment]
    by_format: dict[str, StageVerdict]
    overall: StageVerdict


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(i for i in items if i))


def _judge(cases: list[CaseRecord], nothing: str) -> tuple[CriterionStatus, list[str], list[str]]:
    """Status, evidence and reasons for a set of cases; `nothing` is the reason when there are no cases."""
    from engine.known_failures import is_known

    failed = [c.case_id for c in cases if c.outcome == Outcome.FAILED and not is_known(c)]
    if failed:
        return CriterionStatus.FAILED, failed, []
    errored = [c.case_id for c in cases if c.outcome == Outcome.ERROR and not is_known(c)]
    if errored:
        return CriterionStatus.ERROR, errored, []
    known = [c for c in cases if is_known(c)]
    if known:
        return CriterionStatus.KNOWN_FAILURE, [c.case_id for c in known], _unique(
            f"known failure, {c.known['issue']} (until {c.known['expires']})" for c in known if c.known)
    if any(c.outcome == Outcome.PASSED for c in cases):
        return CriterionStatus.PASSED, [], []
    reasons = _unique(c.reason or f"{c.outcome} (no reason given)" for c in cases) or [nothing]
    if cases and all(c.outcome == Outcome.NOT_APPLICABLE and c.reason for c in cases):
        return CriterionStatus.NOT_APPLICABLE, [], reasons
    return CriterionStatus.NOT_CHECKED, [], reasons


def _judge_credential(name: str, cases: list[CaseRecord]) -> tuple[CriterionStatus, list[str], list[str]]:
    """A credential case is fine when all its cases passed or are not applicable for a stated reason."""
    if not cases:
        return CriterionStatus.NOT_CHECKED, [], [f"{name}: no cases"]
    status, evidence, _ = _judge(cases, "")
    if status in (CriterionStatus.FAILED, CriterionStatus.ERROR):
        return status, evidence, []
    open_cases = [
        c for c in cases if c.outcome == Outcome.NOT_RUN or (c.outcome == Outcome.NOT_APPLICABLE and not c.reason)
    ]
    if open_cases:
        reasons = _unique(c.reason or f"{c.outcome} without a reason" for c in open_cases)
        return CriterionStatus.NOT_CHECKED, [], [r if name in r else f"{name}: {r}" for r in reasons]
    return CriterionStatus.PASSED, [], []


_SEVERITY = [CriterionStatus.FAILED, CriterionStatus.ERROR, CriterionStatus.NOT_CHECKED, CriterionStatus.PASSED]


def _worst(statuses: Iterable[CriterionStatus]) -> CriterionStatus:
    present = set(statuses)
    return next((s for s in _SEVERITY if s in present), CriterionStatus.PASSED)


def stages_through(stage: str, path: Path = DEFAULT_STAGES_FILE) -> list[str]:
    """The stage and the stages it requires (`beta` → experiment, beta): a run of a stage runs all their scenarios."""
    return [name for name, _ in load_stages(path).chain(stage)]


def applies_to(scenario_name: str, fmt: str, scenarios_dir: Path = DEFAULT_STAGES_FILE.parent) -> bool:
    """Whether a scenario has cases for a format at all (a Generic-only option, duplicates npm cannot allow):
    a criterion is not "unproven" for want of a scenario that cannot apply to the format."""
    from engine.matrix import format_fits
    from engine.scenario import ScenarioError, load_scenario
    from formats import FORMATS

    if fmt not in FORMATS:
        return True
    for path in scenarios_dir.glob(f"*/{scenario_name}.yaml"):
        try:
            scenario = load_scenario(path)
        except ScenarioError:
            return True  # a broken scenario must not excuse a criterion
        if scenario.formats != "all" and fmt not in scenario.formats:
            return False
        return format_fits(scenario, fmt)
    return True


def _check_scenarios(criterion: Criterion, cases: list[CaseRecord], fmt: str) -> Check:
    scenarios = [s for s in criterion.checked_by or [] if applies_to(s, fmt)]
    mine = [c for c in cases if c.scenario in scenarios or criterion.id in c.criteria]
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
    if status == CriterionStatus.PASSED and uncovered:
        # Part of the criterion's evidence is missing (a narrower selection, a scenario that broke): not proven.
        status, reasons = CriterionStatus.NOT_CHECKED, [f"no case of {s} ran" for s in uncovered]
    return Check(
        status=status,
        observed=status,
        counts=dict(Counter(c.outcome for c in mine)),
        evidence=evidence,
        reasons=reasons,
        uncovered=uncovered,
    )


def _check_token_kinds(cases: list[CaseRecord]) -> Check:
    results: dict[str, tuple[CriterionStatus, list[str], list[str]]] = {}
    for kind in TokenKind:
        results[kind.value] = _judge_credential(kind.value, [c for c in cases if c.credential == kind.value])
    negative = [c for c in CredentialCase if c.is_negative]
    negative_cases = [c for c in cases if c.credential in {n.value for n in negative}]
    if not negative_cases:
        results["negative credentials"] = (CriterionStatus.NOT_CHECKED, [], ["no negative credential cases"])
    for case in negative:
        mine = [c for c in negative_cases if c.credential == case.value]
        if mine:
            results[case.value] = _judge_credential(case.value, mine)
    status = _worst(r[0] for r in results.values())
    evidence = [cid for r in results.values() if r[0] == status for cid in r[1]]
    reasons = [reason for r in results.values() if r[0] == CriterionStatus.NOT_CHECKED for reason in r[2]]
    return Check(
        status=status,
        observed=status,
        counts=dict(Counter(c.outcome for c in cases)),
        evidence=_unique(evidence),
        reasons=reasons if status == CriterionStatus.NOT_CHECKED else [],
        parts={name: r[0] for name, r in results.items()},
    )


def _check(criterion: Criterion, stage: str, fmt: str, records: list[CaseRecord], signoff: SignOff | None) -> Check:
    cases = [r for r in records if r.format == fmt]
    if criterion.checked_by is not None:
        check = _check_scenarios(criterion, cases, fmt)
    elif criterion.every_token_kind:  # over the criterion's own stage's cases (experiment's, beta's)
        check = _check_token_kinds([c for c in cases if c.stage == stage])
    else:
        check = Check(CriterionStatus.NOT_CHECKED, CriterionStatus.NOT_CHECKED, {}, [], ["no sign-off"])
    # A sign-off vouches for what no case proved; it never overrides a failure, and a pass needs no vouching.
    if signoff is not None and check.status in (CriterionStatus.NOT_CHECKED, CriterionStatus.ERROR):
        if criterion.sign_off:  # nothing could check it: the sign-off is the whole evidence
            return replace(check, status=CriterionStatus.SIGNED_OFF, observed=CriterionStatus.SIGNED_OFF, reasons=[])
        return replace(check, status=CriterionStatus.SIGNED_OFF)
    return check


def _plural(n: int, word: str, words: str | None = None) -> str:
    return f"{n} {word if n == 1 else words or word + 's'}"


def _problem(criterion_id: str, check: Check, fmt: str | None = None) -> str:
    """`experiment.large_push failed (3 cases)`, `experiment.metadata not checked (job_token not given)`."""
    where = f" for {fmt}" if fmt else ""
    if check.status == CriterionStatus.FAILED:
        return f"{criterion_id} failed{where} ({_plural(len(check.evidence), 'case')})"
    if check.status == CriterionStatus.ERROR:
        return f"{criterion_id} errored{where} ({_plural(len(check.evidence), 'case')})"
    if check.reasons == ["no sign-off"]:
        return f"{criterion_id} needs a sign-off{where}"
    reason = check.reasons[0] if check.reasons else "no evidence"
    more = f"; +{len(check.reasons) - 1} more" if len(check.reasons) > 1 else ""
    return f"{criterion_id} not checked{where} ({reason}{more})"


def _join(items: list[str], limit: int = 3) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def _verdict(problems: list[tuple[str, Check, str | None]], passed: int, signed: int) -> StageVerdict:
    """The verdict from (criterion id, check, format or None) of every criterion that is not passed/signed off."""
    blocking = [p for p in problems if p[1].status in (CriterionStatus.FAILED, CriterionStatus.ERROR)]
    missing = [_problem(*p) for p in problems]
    if blocking:
        return StageVerdict(Verdict.NOT_READY, "not ready: " + _join([_problem(*p) for p in blocking]), missing)
    if problems:
        return StageVerdict(Verdict.NEEDS_SIGN_OFF, "needs sign-off: " + _join(missing), missing)
    if passed == 0 and signed == 0:
        return StageVerdict(Verdict.NEEDS_SIGN_OFF, "needs sign-off: nothing was checked", ["no formats in the run"])
    signed_text = f", {signed} signed off" if signed else ""
    return StageVerdict(Verdict.READY, f"ready: {_plural(passed, 'criterion', 'criteria')} passed{signed_text}", [])


def _count(checks: Iterable[Check], status: CriterionStatus) -> int:
    return sum(1 for c in checks if c.status == status)


def _all_in(assessment: CriterionAssessment, statuses: tuple[CriterionStatus, ...]) -> bool:
    return all(check.status in statuses for check in assessment.checks.values())


def assess(
    records: list[CaseRecord],
    stages: StageCriteria,
    signoffs: SignOffs | None,
    formats: list[str],
    stage: str,
) -> Readiness:
    """Judge every criterion of `stage` for every format, and the stage verdict per format and overall.

    A case counts for a `checked_by` criterion when its scenario is listed there or the case names the criterion.
    `formats` defaults to the formats found in `records`.
    """
    definition = stages.stage(stage)
    formats = list(formats) or sorted({r.format for r in records})
    assessments = []
    for stage_name, stage_definition in stages.chain(stage):  # a stage is ready only with the ones it requires
        for criterion in stage_definition.criteria:
            signoff = signoffs.get(criterion.id) if signoffs else None
            checks = {fmt: _check(criterion, stage_name, fmt, records, signoff) for fmt in formats}
            assessments.append(CriterionAssessment(criterion, checks, signoff, stage_name))

    proven = (CriterionStatus.PASSED, CriterionStatus.NOT_APPLICABLE, CriterionStatus.KNOWN_FAILURE)
    ok = (*proven, CriterionStatus.SIGNED_OFF)
    by_format = {}
    for fmt in formats:
        checks = [a.checks[fmt] for a in assessments]
        problems = [(a.criterion.id, a.checks[fmt], None) for a in assessments if a.checks[fmt].status not in ok]
        by_format[fmt] = _verdict(
            problems, sum(_count(checks, status) for status in proven),
            _count(checks, CriterionStatus.SIGNED_OFF)
        )

    many = len(formats) > 1
    problems: list[tuple[str, Check, str | None]] = []
    for a in assessments:
        bad = {fmt: check for fmt, check in a.checks.items() if check.status not in ok}
        if many and len(bad) == len(a.checks) and len({(c.status, tuple(c.reasons)) for c in bad.values()}) == 1:
            problems.append((a.criterion.id, next(iter(bad.values())), None))  # the same for every format: once
        else:
            problems += [(a.criterion.id, check, fmt if many else None) for fmt, check in bad.items()]
    passed = sum(1 for a in assessments if a.checks and _all_in(a, proven))
    signed = sum(1 for a in assessments if a.checks and _all_in(a, ok)) - passed
    overall = _verdict(problems, passed, signed)
    return Readiness(stage, definition.title, formats, assessments, by_format, overall)


# ---------------------------------------------------------------------------------------------------------------
# Exit code


def is_threshold_breach(record: CaseRecord) -> bool:
    """A failed case whose failing step broke a threshold (latency, throughput) rather than a functional rule."""
    step = record.failed_step
    return record.outcome == Outcome.FAILED and step is not None and bool(step.observed.get("threshold_broken"))


def exit_code(readiness: Readiness, records: list[CaseRecord]) -> int:
    """The process exit code for a run (see the module docstring). Declared known failures do not count."""
    from engine.known_failures import is_known

    records = [r for r in records if not is_known(r)]
    failed = [r for r in records if r.outcome == Outcome.FAILED]
    if failed:
        return int(ExitCode.THRESHOLD if all(is_threshold_breach(r) for r in failed) else ExitCode.NOT_READY)
    if any(r.outcome == Outcome.ERROR for r in records):
        return int(ExitCode.ERROR)
    if readiness.overall.verdict != Verdict.READY:
        return int(ExitCode.NOT_READY)
    return int(ExitCode.READY)
