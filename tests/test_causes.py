"""One cause behind many failures is named before the failures: the dimension every failure shares."""

from core.results import CaseRecord
from core.vocabulary import Outcome
from reports.causes import common_causes


def _case(credential: str, outcome: Outcome, fmt: str = "npm", driver: str = "http", scenario: str = "pull",
          known: dict[str, str] | None = None) -> CaseRecord:
    return CaseRecord(case_id=f"{scenario}[{fmt}-{credential}-header-{driver}]", scenario=scenario,
                      stage="experiment", criteria=[], format=fmt, credential=credential, scheme="header",
                      driver=driver, outcome=outcome, reason="", duration_s=0.1, run_id="r", started_at="",
                      known=known)


def test_every_failure_on_one_credential_is_named_as_the_cause() -> None:
    records = [_case("revoked_token", Outcome.FAILED, fmt) for fmt in ("npm", "pypi")]
    records += [_case("personal_access_token", Outcome.PASSED, fmt) for fmt in ("npm", "pypi")]
    causes = common_causes(records)
    assert [(c.dimension, c.value) for c in causes] == [("credential", "revoked_token")]  # every case is a pull
    assert causes[0].sentence.startswith("every failure (2) uses the credential revoked_token, and no case with it "
                                         "passed: look first at the target treats the revoked_token credential")


def test_a_shared_value_that_also_passes_elsewhere_is_said_with_its_counts() -> None:
    records = [_case("revoked_token", Outcome.FAILED, "npm"), _case("revoked_token", Outcome.ERROR, "pypi"),
               _case("revoked_token", Outcome.PASSED, "maven", scenario="delete"),
               _case("personal_access_token", Outcome.PASSED, "npm", scenario="delete")]
    causes = common_causes(records)
    assert causes[0].value == "pull" and "no case with it passed" in causes[0].sentence
    assert any(c.sentence == "every failure (2) uses the credential revoked_token, though 1 case(s) with it passed"
               for c in causes)


def test_failures_that_share_nothing_or_a_single_failure_name_no_cause() -> None:
    mixed = [_case("revoked_token", Outcome.FAILED, "npm", scenario="pull"),
             _case("expired_token", Outcome.FAILED, "pypi", driver="pip", scenario="delete"),
             _case("personal_access_token", Outcome.PASSED, "npm")]
    assert common_causes(mixed) == []
    assert common_causes([_case("revoked_token", Outcome.FAILED)]) == []


def test_known_failures_are_left_out() -> None:
    records = [_case("revoked_token", Outcome.FAILED, "npm", known={"state": "known"}),
               _case("expired_token", Outcome.FAILED, "npm"), _case("expired_token", Outcome.FAILED, "pypi"),
               _case("personal_access_token", Outcome.PASSED, "npm")]
    assert common_causes(records)[0].value == "expired_token"
