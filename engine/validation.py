"""Name and version validation, property-based: hypothesis generates values from a format's rule (`FormatRules`
patterns) and values that break it; each is pushed, and the target must accept the first and refuse the second.

Hypothesis runs derandomized (the same values every run, so a failure reproduces) and shrinks a failure to the
smallest value it can find: the report names e.g. the one-character name a registry wrongly refuses.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis import strategies as st

MAX_LENGTH = 60  # URL-friendly; registries' own length limits are far above
# Characters a name or version rule usually forbids: what a typo or a hostile client sends.
FORBIDDEN = " /\\%?#<>\"'@:*|{}[]^`~,;=&$!()é名"
PRINTABLE = st.characters(min_codepoint=32, max_codepoint=126) | st.sampled_from("éü名字Ωß")


class Unbuildable(Exception):
    """The harness cannot even form a request for this value (the format's own request builder refuses it)."""


@dataclass
class Outcome:
    tried: list[str] = field(default_factory=list)
    failure: str | None = None  # the smallest value that broke the rule, and how


def valid_values(pattern: re.Pattern[str]) -> st.SearchStrategy[str]:
    return st.from_regex(pattern, fullmatch=True).filter(lambda v: 0 < len(v) <= MAX_LENGTH)


def invalid_values(pattern: re.Pattern[str]) -> st.SearchStrategy[str]:
    """Values the rule refuses: random printable text, and valid values with one forbidden character put in."""
    mutated = st.tuples(valid_values(pattern), st.sampled_from(FORBIDDEN), st.integers(0, MAX_LENGTH)).map(
        lambda t: t[0][: t[2]] + t[1] + t[0][t[2]:])
    text = st.text(PRINTABLE, min_size=1, max_size=MAX_LENGTH)
    return (mutated | text).filter(lambda v: pattern.fullmatch(v) is None and v.strip() == v and v not in (".", ".."))


def explore(strategy: st.SearchStrategy[str], check: Callable[[str], str | None], examples: int) -> Outcome:
    """Run `check` (None when the target answered as the rule says, else what went wrong) on up to `examples`
    generated values; on a failure, hypothesis shrinks it and the outcome names the smallest."""
    outcome = Outcome()
    last_problem: list[str] = []

    @settings(max_examples=examples, database=None, deadline=None, derandomize=True, print_blob=False,
              suppress_health_check=list(HealthCheck), phases=[Phase.generate, Phase.shrink])
    @given(strategy)
    def prop(value: str) -> None:
        try:
            problem = check(value)
        except Unbuildable:
            assume(False)  # typed NoReturn: hypothesis discards the value and draws another
        outcome.tried.append(value)
        if problem is not None:
            last_problem[:] = [problem]
            raise AssertionError(problem)

    try:
        prop()
    except AssertionError:
        outcome.failure = last_problem[0] if last_problem else "a generated value broke the rule"
    except Exception as exc:  # hypothesis could not generate enough values (every one unbuildable)
        if type(exc).__name__ not in ("Unsatisfiable", "FailedHealthCheck"):
            raise
    return outcome
