"""Known failures: shown as known (not hidden, not blocking), counted again after expiry, flagged when stale."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from core.vocabulary import Outcome, Verdict
from engine.config import ConfigError
from engine.known_failures import apply, is_known, load_known_failures
from engine.readiness import CriterionStatus, assess, exit_code
from tests.test_readiness import all_passing, replace, stages, status_of, write  # noqa: F401 (the fixture)

FAILING = "small-push[generic-job_token-header-http]"


def _file(tmp_path: Path, expires: str, pattern: str = FAILING) -> str:
    return str(write(tmp_path, "known.yaml", f"""
schema: engine.known_failures/1
known_failures:
  - case: "{pattern}"
    issue: https://gitlab.example.com/group/project/-/issues/7
    expires: {expires}
    reason: job tokens are not wired yet
"""))


def test_a_known_failure_is_shown_but_does_not_block(tmp_path: Path, stages) -> None:  # noqa: F811
    records = all_passing()
    replace(records, FAILING, Outcome.FAILED, "expected 201, got 401")
    known = load_known_failures(_file(tmp_path, "2099-01-01"))
    assert apply(records, known, today=dt.date(2026, 11, 24)) == []
    failing = next(r for r in records if r.case_id == FAILING)
    assert is_known(failing) and failing.known and failing.known["issue"].endswith("/issues/7")
    assert failing.outcome == Outcome.FAILED  # shown as it is, not hidden

    readiness = assess(records, stages, None, ["generic"], "experiment")
    assert status_of(readiness, "experiment.small_push") == CriterionStatus.KNOWN_FAILURE
    assert readiness.overall.verdict == Verdict.READY
    assert exit_code(readiness, records) == 0


def test_an_expired_entry_counts_again(tmp_path: Path, stages) -> None:  # noqa: F811
    records = all_passing()
    replace(records, FAILING, Outcome.FAILED, "expected 201, got 401")
    apply(records, load_known_failures(_file(tmp_path, "2026-11-01")), today=dt.date(2026, 11, 24))
    failing = next(r for r in records if r.case_id == FAILING)
    assert failing.known and failing.known["state"] == "expired" and not is_known(failing)

    readiness = assess(records, stages, None, ["generic"], "experiment")
    assert status_of(readiness, "experiment.small_push") == CriterionStatus.FAILED
    assert exit_code(readiness, records) == 1


def test_an_entry_whose_cases_pass_is_stale(tmp_path: Path) -> None:
    records = all_passing()
    stale = apply(records, load_known_failures(_file(tmp_path, "2099-01-01", "small-push[generic-job_token-*]")))
    assert len(stale) == 1 and stale[0].passed == [FAILING]
    assert "remove the entry" in stale[0].sentence()


def test_a_bad_file_names_the_field(tmp_path: Path) -> None:
    path = write(tmp_path, "known.yaml", "known_failures:\n  - case: x\n    issue: not-a-link\n    expires: soon\n")
    with pytest.raises(ConfigError, match="issue") as err:
        load_known_failures(str(path))
    assert "expires" in str(err.value)
