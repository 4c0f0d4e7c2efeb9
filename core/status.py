"""The status ladder, defined once: every criterion status, case outcome and stage verdict on one ordered scale.

A parent takes the worst of its children (as the OCI distribution-spec conformance suite does): a criterion the
worst of its cases, a credential the worst of its cases, a stage the worst of its criteria. The judge
(`engine.readiness`) and the reports (`reports.diff`, the renderers) order and compare statuses only through
this module.

The ladder, best first:

    passed < not_applicable < signed_off < known_failure < not_checked < error < failed

and its rungs, the steps readiness cares about (statuses on one rung are equally good for a verdict):

    rung      statuses                                            verdict of a stage whose worst is there
    ready     passed, not_applicable, signed_off, known_failure   ready
    unproven  not_checked                                         needs_sign_off
    broken    error (the harness or the environment broke)        not_ready
    failed    failed (the target broke an expectation)            not_ready

A case outcome sits on the ladder at the status it gives: passed, not_applicable, not_run (= not_checked), error,
failed.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import IntEnum, StrEnum

from core.vocabulary import Outcome, Verdict


class CriterionStatus(StrEnum):
    """The status of one criterion for one format."""

    PASSED = "passed"  # evidence: at least one passed case, none failed or errored
    NOT_APPLICABLE = "not_applicable"  # the criterion cannot apply to the format (every case says why)
    SIGNED_OFF = "signed_off"  # a person vouches for it in the sign-off file
    KNOWN_FAILURE = "known_failure"  # its only failures are declared known (an issue, an expiry): shown, not blocking
    NOT_CHECKED = "not_checked"  # no case ran (not_run, or no cases at all)
    ERROR = "error"  # no failures, but a case errored: the harness or the environment broke, nothing is proven
    FAILED = "failed"  # a case failed: the target broke an expectation


class Rung(IntEnum):
    """The ladder's coarse steps: how far a status stands from `ready`."""

    READY = 0
    UNPROVEN = 1
    BROKEN = 2
    FAILED = 3


LADDER: tuple[CriterionStatus, ...] = tuple(CriterionStatus)  # best first: the enum is declared in ladder order
RUNG: dict[CriterionStatus, Rung] = {
    CriterionStatus.PASSED: Rung.READY,
    CriterionStatus.NOT_APPLICABLE: Rung.READY,
    CriterionStatus.SIGNED_OFF: Rung.READY,
    CriterionStatus.KNOWN_FAILURE: Rung.READY,
    CriterionStatus.NOT_CHECKED: Rung.UNPROVEN,
    CriterionStatus.ERROR: Rung.BROKEN,
    CriterionStatus.FAILED: Rung.FAILED,
}
# Where each case outcome sits on the ladder.
OUTCOME_STATUS: dict[Outcome, CriterionStatus] = {
    Outcome.PASSED: CriterionStatus.PASSED,
    Outcome.NOT_APPLICABLE: CriterionStatus.NOT_APPLICABLE,
    Outcome.NOT_RUN: CriterionStatus.NOT_CHECKED,
    Outcome.ERROR: CriterionStatus.ERROR,
    Outcome.FAILED: CriterionStatus.FAILED,
}
# The rung each verdict stands for, and the verdict of a stage whose worst criterion is on a rung.
VERDICT_RUNG: dict[Verdict, Rung] = {Verdict.READY: Rung.READY, Verdict.NEEDS_SIGN_OFF: Rung.UNPROVEN,
                                     Verdict.NOT_READY: Rung.BROKEN}
RUNG_VERDICT: dict[Rung, Verdict] = {Rung.READY: Verdict.READY, Rung.UNPROVEN: Verdict.NEEDS_SIGN_OFF,
                                     Rung.BROKEN: Verdict.NOT_READY, Rung.FAILED: Verdict.NOT_READY}


def rank(status: CriterionStatus) -> int:
    """The status's place on the ladder: higher is worse."""
    return LADDER.index(status)


def outcome_rank(outcome: Outcome) -> int:
    """A case outcome's place on the ladder: higher is worse."""
    return rank(OUTCOME_STATUS[outcome])


def worst(statuses: Iterable[CriterionStatus], default: CriterionStatus = CriterionStatus.PASSED) -> CriterionStatus:
    """The worst of `statuses` (a parent's status from its children's); `default` when there are none."""
    return max(statuses, key=rank, default=default)


def is_fine(status: CriterionStatus) -> bool:
    """Nothing stands between this status and `ready` (passed, not applicable, signed off, a known failure)."""
    return RUNG[status] is Rung.READY


def is_unproven(status: CriterionStatus) -> bool:
    """No case proved the status either way (not checked, or an error left it open): what a sign-off vouches for."""
    return RUNG[status] in (Rung.UNPROVEN, Rung.BROKEN)


def blocks(status: CriterionStatus) -> bool:
    """The status makes its stage not ready (a failure, or an error that left it unproven)."""
    return RUNG[status] >= Rung.BROKEN


def verdict_of(status: CriterionStatus) -> Verdict:
    """The verdict of a stage (or format) whose worst criterion has this status."""
    return RUNG_VERDICT[RUNG[status]]


def verdict_rank(verdict: Verdict) -> int:
    """A verdict's place on the ladder: higher is worse."""
    return int(VERDICT_RUNG[verdict])
