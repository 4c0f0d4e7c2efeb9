"""Known failures: cases a target is known to fail, declared in a file the target's team keeps (docs/known-failures.md).

    schema: engine.known_failures/1
    known_failures:
      - case: "small-push[npm-job_token-basic-http]"   # a case id, or a pattern with * and ?
        issue: https://gitlab.example.com/group/project/-/issues/123
        expires: 2026-12-31
        reason: job tokens over Basic are not accepted yet

A failing case that matches an unexpired entry is shown as a known failure (with its issue), not hidden, and does
not count against the stage. Past its expiry the entry no longer applies: the failure counts again, and the report
says the entry expired. An entry whose cases all pass is stale and is flagged, so the list cannot rot.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from core.results import CaseRecord
from core.vocabulary import KnownState, Outcome
from engine.config import ConfigError, read_yaml_mapping


class KnownFailure(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    case: str = Field(min_length=1, description="a case id, or a pattern where * is any text and ? one character")
    issue: str = Field(pattern=r"^https?://\S+$", description="the issue that tracks it")
    expires: dt.date = Field(description="after this date the failure counts again")
    reason: str = ""

    @field_validator("expires", mode="before")
    @classmethod
    def _a_date(cls, value: Any) -> Any:
        if isinstance(value, dt.datetime):
            raise ValueError("must be a date YYYY-MM-DD, without a time")
        return value

    def matches(self, case_id: str) -> bool:
        """Case ids hold brackets, so only * and ? are wildcards (no character classes)."""
        pattern = re.escape(self.case).replace(r"\*", ".*").replace(r"\?", ".")
        return re.fullmatch(pattern, case_id) is not None


class KnownFailures(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    schema_: Literal["engine.known_failures/1"] = Field(default="engine.known_failures/1", alias="schema")
    known_failures: list[KnownFailure] = Field(default_factory=list)


def load_known_failures(path: str) -> KnownFailures:
    data = read_yaml_mapping(path, "known-failures file", ConfigError,
                             "known_failures: [{case: 'small-push[npm-*]', issue: https://…, expires: 2026-12-31}]")
    try:
        return KnownFailures.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise ConfigError(f"known-failures file {path}: {problems}") from None


@dataclass(frozen=True)
class Stale:
    entry: KnownFailure
    passed: list[str]  # the matching cases, all passed

    def sentence(self) -> str:
        return (f"{self.entry.case} is declared a known failure ({self.entry.issue}) but "
                f"{'its case passes' if len(self.passed) == 1 else f'its {len(self.passed)} cases pass'}: remove the "
                "entry (and close the issue if it is fixed)")


def apply(records: list[CaseRecord], known: KnownFailures, today: dt.date | None = None) -> list[Stale]:
    """Mark each failed or errored record that an entry covers (`record.known`); return the stale entries."""
    today = today or dt.date.today()
    stale = []
    for entry in known.known_failures:
        matching = [r for r in records if entry.matches(r.case_id)]
        for record in matching:
            if record.outcome not in (Outcome.FAILED, Outcome.ERROR):
                continue
            state = KnownState.KNOWN if entry.expires >= today else KnownState.EXPIRED
            record.known = {"state": state, "issue": entry.issue, "expires": entry.expires.isoformat(),
                            "reason": entry.reason, "pattern": entry.case}
        if matching and all(r.outcome == Outcome.PASSED for r in matching):
            stale.append(Stale(entry, [r.case_id for r in matching]))
    return stale


def is_known(record: CaseRecord) -> bool:
    """A failure declared known and not expired: shown, but not counted against the stage."""
    return bool(record.known and record.known.get("state") == KnownState.KNOWN)


def example_path() -> Path:
    return Path(__file__).resolve().parent.parent / "scenarios" / "known-failures.example.yaml"
