"""Settings precedence, case expansion, and the permission table's answers."""

from pathlib import Path

import pytest

from core.packages_api import LIST
from core.permissions import Challenge, expected_for
from core.project_setup import Role
from core.vocabulary import AuthScheme, CredentialCase, Operation
from engine.config import ConfigError, load_settings, parse_size
from engine.matrix import check_drivers, expand, scenario_applicability, why_not
from engine.scenario import load_scenario
from formats import OPERATIONS
from formats.generic import UPLOAD

ROOT = Path(__file__).resolve().parent.parent


def test_flags_win_over_environment_which_wins_over_the_config_file(tmp_path: Path) -> None:
    config = tmp_path / "harness.yaml"
    config.write_text("large-size: 1MiB\nmetadata_packages: 7\nstage: experiment\n")
    env = {"HARNESS_LARGE_SIZE": "2MiB"}
    settings = load_settings({"large_size": None}, env, str(config))
    assert settings.large_size == 2 << 20 and settings.metadata_packages == 7
    settings = load_settings({"large_size": "3MiB"}, env, str(config))
    assert settings.large_size == 3 << 20


def test_bad_options_name_the_option_and_what_is_accepted(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="--formats: 'nuget' is not one of composer, .*generic"):
        load_settings({"formats": "nuget"}, {})
    with pytest.raises(ConfigError, match="HARNESS_LARGE_SIZE"):
        load_settings({}, {"HARNESS_LARGE_SIZE": "huge"})
    bad = tmp_path / "c.yaml"
    bad.write_text("larg_size: 1\n")
    with pytest.raises(ConfigError, match="unknown option 'larg_size'"):
        load_settings({}, {}, str(bad))
    with pytest.raises(ConfigError, match="token-file"):
        load_settings({"target": "https://gitlab.example"}, {})


def test_sizes() -> None:
    assert parse_size("5GiB") == 5 << 30
    assert parse_size("256MiB") == 256 << 20
    assert parse_size("1000") == 1000
    with pytest.raises(ValueError):
        parse_size("5 gigs")


def test_every_scenario_runs_for_every_credential_and_scheme() -> None:
    scenario = load_scenario(ROOT / "scenarios/experiment/small-push.yaml")
    cases = expand(ROOT / "scenarios/experiment/small-push.yaml", scenario, load_settings({}, {}))
    ids = {c.id for c in cases}
    assert "small-push[generic-anonymous-none-http]" in ids
    assert "small-push[generic-job_token-basic-http]" in ids
    assert "small-push[generic-read_only_deploy_token-header-http]" in ids
    http_generic = [c for c in cases if c.format == "generic" and c.driver == "http"]
    assert len(http_generic) == 1 + 9 * 3  # anonymous once; every other credential over header, Basic and Bearer
    curl = [c for c in cases if c.driver == "curl"]
    assert len(curl) == 1 + 9 * 2 and all(c.format == "generic" for c in curl)  # the same matrix through curl
    narrowed = expand(ROOT / "scenarios/experiment/small-push.yaml", scenario,
                      load_settings({"token_kinds": "job_token", "schemes": "basic", "formats": "generic",
                                     "drivers": "http"}, {}))
    assert [c.id for c in narrowed] == ["small-push[generic-job_token-basic-http]"]


def test_clients_run_only_what_they_can_do() -> None:
    settings = load_settings({"formats": "generic"}, {})
    for name, has_curl in (("custom-endpoints", False), ("metadata-many", False), ("over-limit", False),
                           ("small-push", True), ("pull-duplicates", True)):
        scenario = load_scenario(ROOT / f"scenarios/experiment/{name}.yaml")
        drivers = {c.driver for c in expand(ROOT / f"scenarios/experiment/{name}.yaml", scenario, settings)}
        assert ("curl" in drivers) is has_curl, name
    assert not [c for c in expand(ROOT / "scenarios/experiment/small-push.yaml",
                                  load_scenario(ROOT / "scenarios/experiment/small-push.yaml"),
                                  load_settings({"clients": "none"}, {})) if c.driver != "http"]


def test_applicability_is_decided_at_expansion_from_the_format() -> None:
    """list-versions needs a metadata document: the formats that have one (their operations say so) get cases,
    the others none, with the reason on every case and in the run's applicability."""
    path = ROOT / "scenarios/experiment/list-versions.yaml"
    scenario = load_scenario(path)
    cases = expand(path, scenario, load_settings({"drivers": "http"}, {}))
    with_document = {name for name, ops in OPERATIONS.items() if ops.has_metadata_document}
    assert {"npm", "pypi", "maven"} <= with_document and "generic" not in with_document
    assert {c.format for c in cases} == with_document
    assert all(c.not_applicable == {"generic": "generic has no metadata document"} for c in cases)
    assert why_not(scenario, "npm") is None
    applicability = scenario_applicability(ROOT / "scenarios")
    assert applicability.why_not("list-versions", "generic") == "generic has no metadata document"
    assert "cannot be switched" in (applicability.why_not("duplicate-allowed", "npm") or "")
    assert applicability.why_not("custom-endpoints", "npm") == "the scenario is for generic only"
    assert applicability.applies("small-push", "npm") and applicability.applies("duplicate-allowed", "maven")


def test_unknown_driver_is_a_config_error() -> None:
    check_drivers(["all", "http", "curl", "npm"])
    with pytest.raises(ConfigError, match="unknown driver bogus; known: all, http"):
        check_drivers(["http", "bogus"])


def _answer(credential: CredentialCase, endpoint=UPLOAD, scheme=AuthScheme.HEADER):  # type: ignore[no-untyped-def]
    return expected_for(credential, endpoint.operation, endpoint.auth, scheme)


def test_expected_answers_are_gitlabs() -> None:
    """A few of GitLab's answers, each read from its source (the transcription check holds the rest)."""
    assert _answer(CredentialCase.PROJECT_DEPLOY_TOKEN).permitted
    assert _answer(CredentialCase.READ_ONLY_DEPLOY_TOKEN).status == 403
    anonymous = _answer(CredentialCase.ANONYMOUS)
    assert anonymous.status == 401 and anonymous.challenge is Challenge.BASIC
    revoked = _answer(CredentialCase.REVOKED_TOKEN)
    assert revoked.status == 401 and revoked.challenge is Challenge.BEARER  # api_guard's invalid_token
    assert _answer(CredentialCase.OTHER_PROJECT_TOKEN).status == 404
    # The Packages API does not read deploy tokens, nor job tokens over Basic: the request is anonymous (404).
    assert _answer(CredentialCase.GROUP_DEPLOY_TOKEN, LIST).status == 404
    assert _answer(CredentialCase.JOB_TOKEN, LIST, AuthScheme.BASIC).status == 404
    assert _answer(CredentialCase.ANONYMOUS, LIST).status == 404
    # A job token acts with its user's role: the owner's job may delete, a developer's may not.
    assert expected_for(CredentialCase.JOB_TOKEN, Operation.DELETE, LIST.auth, AuthScheme.HEADER).permitted
    assert expected_for(CredentialCase.JOB_TOKEN, Operation.DELETE, LIST.auth, AuthScheme.HEADER,
                        role=Role.DEVELOPER).status == 403
    # Generic upload never reads a job token over Basic (`job_token_allowed: true`): anonymous, 401 + challenge.
    basic_job = _answer(CredentialCase.JOB_TOKEN, UPLOAD, AuthScheme.BASIC)
    assert basic_job.status == 401 and basic_job.challenge is Challenge.BASIC
    # Bearer carries every kind on Generic.
    assert _answer(CredentialCase.PROJECT_DEPLOY_TOKEN, UPLOAD, AuthScheme.BEARER).permitted
