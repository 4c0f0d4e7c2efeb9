"""The rules a target's GitLab version and feature flags select, and what the report says about the choice."""

from core.gitlab_versions import ALL_FLAGS_ON, GUEST_PULL, NEWEST, RULES, parse_version, rules_for
from core.permissions import expected_for
from core.project_setup import Role
from core.route_auth import GENERIC_DOWNLOAD_ROUTE
from core.vocabulary import AuthScheme, CredentialCase, Operation


def test_versions_parse_as_gitlab_writes_them() -> None:
    assert parse_version("17.6.2-ee") == (17, 6) and parse_version("v18.0.0") == (18, 0)
    assert parse_version("reference") is None and parse_version(None) is None


def test_an_unknown_version_gets_the_newest_rules_and_the_report_says_so() -> None:
    chosen = rules_for("not-a-version")
    assert chosen.in_force == NEWEST.in_force
    assert "is not GitLab's: the newest rules apply" in chosen.chosen
    assert "did not report a version" in rules_for(None).chosen


def test_an_older_version_gets_the_older_rule_and_names_it() -> None:
    older = rules_for("17.6.0-ee", {GUEST_PULL.feature_flag or "": True})
    assert not older.holds(GUEST_PULL)  # the flag only exists from 17.9
    assert "older rules for guest_pull (from 17.9" in older.chosen


def test_a_flag_decides_from_its_version_on_and_defaults_when_unread() -> None:
    flag = GUEST_PULL.feature_flag or ""
    assert not rules_for("18.2.0").holds(GUEST_PULL)  # default_enabled: false
    assert "flags not read" in rules_for("18.2.0").chosen
    assert rules_for("18.2.0", {flag: True}).holds(GUEST_PULL)
    assert "as the target reports them: allow_guest_plus_roles_to_pull_packages on" in rules_for(
        "18.2.0", {flag: True}).chosen


def test_the_rules_change_the_expected_answer() -> None:
    """A guest's pull: refused at GitLab's defaults, allowed where the target has the flag on."""
    def guest_pull(rules: object) -> int | None:
        answer = expected_for(CredentialCase.PERSONAL_ACCESS_TOKEN, Operation.PULL, GENERIC_DOWNLOAD_ROUTE,
                              AuthScheme.HEADER, role=Role.GUEST, rules=rules)  # type: ignore[arg-type]
        return None if answer.permitted else answer.status
    assert guest_pull(NEWEST) == 403
    assert guest_pull(ALL_FLAGS_ON) is None


def test_every_rule_names_its_source() -> None:
    assert all(rule.source and rule.holds and rule.before for rule in RULES)
