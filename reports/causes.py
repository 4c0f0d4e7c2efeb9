"""One cause behind many failures: when every failed case shares a value of one dimension (a credential, a scheme,
a driver, a format, a role, a scenario) that no passing case has, the report says so first — "every failure uses
revoked_token" — before the criteria and the problems it touches.

Known failures (declared, not expired) are left out: they are not what a reviewer must explain."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from core.results import CaseRecord
from core.vocabulary import KnownState, Outcome

BROKEN = (Outcome.FAILED, Outcome.ERROR)


@dataclass(frozen=True, slots=True)
class Dimension:
    name: str  # as a reviewer reads it: "the credential"
    value_of: Callable[[CaseRecord], str | None]
    hint: str  # what a failing value of it suggests, `{value}` filled in


DIMENSIONS = (
    Dimension("credential", lambda r: r.credential,
              "the target treats the {value} credential differently from what GitLab does"),
    Dimension("auth scheme", lambda r: r.scheme, "the target mishandles tokens sent over {value}"),
    Dimension("driver", lambda r: r.driver if r.driver != "http" else None,
              "only the {value} client fails: its recipe, or what the target answers that client"),
    Dimension("member role", lambda r: r.role, "the target gives the {value} role other rights than GitLab does"),
    Dimension("format", lambda r: r.format, "the target's {value} support"),
    Dimension("scenario", lambda r: r.scenario, "what the {value} scenario exercises"),
)


@dataclass(frozen=True, slots=True)
class CommonCause:
    dimension: str
    value: str
    failures: int
    sentence: str


def _counts(record: CaseRecord) -> bool:
    return record.outcome in BROKEN and not (record.known and record.known.get("state") == KnownState.KNOWN)


def common_causes(records: list[CaseRecord]) -> list[CommonCause]:
    """The dimensions whose one value every counted failure has: first those no passing case has (the cause is
    likely there), then those some passing cases share too (a narrower place to look), each in the order of
    DIMENSIONS. Empty when there are fewer than two failures or they share no value."""
    broken = [r for r in records if _counts(r)]
    passed = [r for r in records if r.outcome is Outcome.PASSED]
    if len(broken) < 2:
        return []
    only: list[CommonCause] = []
    shared: list[CommonCause] = []
    for dimension in DIMENSIONS:
        values = {dimension.value_of(r) for r in broken}
        if len(values) != 1:
            continue
        value = values.pop()
        if value is None:
            continue
        passing = sum(1 for r in passed if dimension.value_of(r) == value)
        if passing and passing == len(passed):
            continue  # every case has it: it tells nothing
        if passing:
            sentence = (f"every failure ({len(broken)}) uses the {dimension.name} {value}, though {passing} "
                        f"case(s) with it passed")
            shared.append(CommonCause(dimension.name, value, len(broken), sentence))
            continue
        sentence = (f"every failure ({len(broken)}) uses the {dimension.name} {value}, and no case with it "
                    f"passed: look first at {dimension.hint.format(value=value)}")
        only.append(CommonCause(dimension.name, value, len(broken), sentence))
    return only + shared
