"""How a case ends early: the target broke an expectation, the case cannot run or cannot apply here, or the
subject was refused exactly as the permission table says (which is what the case proves)."""

from __future__ import annotations


class StepFailed(Exception):
    """The target broke an expectation (`threshold`: only a latency or load threshold)."""

    def __init__(self, message: str, threshold: bool = False) -> None:
        super().__init__(message)
        self.threshold = threshold


class CaseNotRun(Exception):
    """The case cannot run on this target or in this run; the message says why."""


class CaseNotApplicable(Exception):
    """The case cannot apply to the format at all; the message says why."""


class CaseRefused(Exception):
    """The subject was refused exactly as the permission table says: the case has proven its point."""
