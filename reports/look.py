"""How outcomes, statuses and verdicts look in the reports: their words, colours and case anchors. Defined once."""

from __future__ import annotations

import hashlib
import re

from core.status import CriterionStatus
from core.vocabulary import Outcome, Verdict

# Worst first: the order of counts, legends and cell stripes.
OUTCOME_ORDER = [Outcome.FAILED, Outcome.ERROR, Outcome.PASSED, Outcome.NOT_RUN, Outcome.NOT_APPLICABLE]

OUTCOME_WORDS: dict[str, str] = {
    Outcome.PASSED: "passed",
    Outcome.FAILED: "failed",
    Outcome.ERROR: "error",
    Outcome.NOT_RUN: "not run",
    Outcome.NOT_APPLICABLE: "not applicable",
}

OUTCOME_COLOURS: dict[str, str] = {
    Outcome.PASSED: "#2f855a",
    Outcome.FAILED: "#c53030",
    Outcome.ERROR: "#6b46c1",
    Outcome.NOT_RUN: "#a0aec0",
    Outcome.NOT_APPLICABLE: "#e2e8f0",
}

STATUS_WORDS = {
    CriterionStatus.PASSED: "passed",
    CriterionStatus.FAILED: "failed",
    CriterionStatus.ERROR: "error",
    CriterionStatus.NOT_CHECKED: "not checked",
    CriterionStatus.SIGNED_OFF: "signed off",
    CriterionStatus.NOT_APPLICABLE: "not applicable",
    CriterionStatus.KNOWN_FAILURE: "known failure",
}

VERDICT_WORDS = {
    Verdict.READY: "ready",
    Verdict.NOT_READY: "not ready",
    Verdict.NEEDS_SIGN_OFF: "needs sign-off",
}


def outcome_words(outcome: str) -> str:
    return OUTCOME_WORDS.get(outcome, outcome)


def outcome_colour(outcome: str) -> str:
    return OUTCOME_COLOURS.get(outcome, "#718096")


def case_anchor(case_id: str) -> str:
    """A stable, URL-safe fragment for a case: readable slug plus a short hash against collisions."""
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", case_id).strip("-")[:80]
    return f"case-{slug}-{hashlib.sha1(case_id.encode()).hexdigest()[:6]}"


def plural(n: int, word: str, words: str | None = None) -> str:
    return f"{n} {word if n == 1 else words or word + 's'}"
