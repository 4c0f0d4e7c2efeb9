"""A run's judgement, made in one place: known failures applied, the stage assessed against its criteria and
sign-offs, the exit code, the selection gate, and the sentence that says why. `harness run` judges here when its
last case is done; `harness report reassess` judges a finished run here again with new sign-offs or known failures.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.exit_codes import ExitCode
from core.results import Applicability, CaseRecord
from engine.known_failures import apply, load_known_failures
from engine.readiness import Readiness, assess, exit_code, judge_selection, load_signoffs, load_stages


@dataclass
class Judgement:
    readiness: Readiness
    code: ExitCode
    why: str
    gate: str | None = None  # `--gate selection`: what the exit code judged, and why
    stale: list[str] = field(default_factory=list)  # known-failure entries whose cases pass now

    def verdict(self, stage: str, records: Sequence[CaseRecord], leftovers: list[str]) -> dict[str, Any]:
        """verdict.json."""
        return {
            "stage": stage,
            "verdict": self.readiness.overall.verdict.value,
            "why": self.why,
            "by_format": {f: v.verdict.value for f, v in self.readiness.by_format.items()},
            "missing": self.readiness.overall.missing,
            "criteria": self.readiness.statuses(),  # criterion → format → status, for `report diff`
            "exit_code": self.code,
            "cases": {o: sum(1 for r in records if r.outcome == o) for o in sorted({r.outcome for r in records})},
            "leftovers": leftovers,
            "known_failures": [{"case": r.case_id, **(r.known or {})} for r in records if r.known],
            "stale_known_failures": self.stale,
        }


def judge(records: Sequence[CaseRecord], *, stage: str, formats: list[str], applicability: Applicability,
          signoff_file: str | None = None, known_failures_file: str | None = None, gate: str = "stage",
          interrupted: bool = False) -> Judgement:
    """Judge `records` (their `known` marks are set here from the known-failures file)."""
    stale: list[str] = []
    if known_failures_file:
        stale = [entry.sentence() for entry in apply(list(records), load_known_failures(known_failures_file))]
    stages = load_stages()
    signoffs = load_signoffs(Path(signoff_file), stages) if signoff_file else None
    readiness = assess(list(records), stages, signoffs, formats, stage, applicability)
    code = exit_code(readiness, list(records))
    gate_sentence = None
    if gate == "selection":
        code, gate_sentence = judge_selection(readiness, list(records))
    if interrupted and code in (ExitCode.READY, ExitCode.NEEDS_SIGN_OFF):  # a part proves no stage
        code = ExitCode.NOT_READY
    why = readiness.overall.why + (" (interrupted: only part of the run took place)" if interrupted else "")
    current = [r for r in records if r.known and r.known["state"] == "known"]
    if current:
        why += f" ({len(current)} known failure{'s' if len(current) != 1 else ''} shown, not counted)"
    if gate_sentence:
        why += f" ({gate_sentence})"
    if stale:
        why += f" ({len(stale)} stale known-failure entr{'ies' if len(stale) != 1 else 'y'}: see the report)"
    return Judgement(readiness, code, why, gate_sentence, stale)
