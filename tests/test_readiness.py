"""Readiness: stage criteria + case records + sign-offs → statuses, verdicts and exit codes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.exit_codes import ExitCode
from core.results import Applicability, CaseRecord, StepRecord
from core.status import LADDER, RUNG, Rung, verdict_of, worst
from core.vocabulary import CredentialCase, Outcome, TokenKind, Verdict
from engine.config import ConfigError
from engine.readiness import (
    CriterionStatus,
    SignOffs,
    StageCriteria,
    assess,
    exit_code,
    judge_selection,
    load_signoffs,
    load_stages,
)

REPO = Path(__file__).resolve().parent.parent

STAGES_YAML = """
schema: harness.stages/1
stages:
  experiment:
    title: Experiment
    criteria:
      - id: experiment.small_push
        title: Push a small package
        checked_by: [small-push]
      - id: experiment.large_push
        title: Push a large package
        checked_by: [large-push]
      - id: experiment.metadata
        title: Metadata endpoint under a few hundred packages
        checked_by: [metadata-many]
      - id: experiment.all_token_kinds
        title: Every token kind, every negative credential refused
        every_token_kind: true
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def stages(tmp_path: Path) -> StageCriteria:
    return load_stages(write(tmp_path, "stages.yaml", STAGES_YAML))


def case(
    scenario: str,
    credential: str = "personal_access_token",
    outcome: str = Outcome.PASSED,
    *,
    fmt: str = "generic",
    reason: str = "",
    threshold_broken: bool = False,
    scheme: str = "header",
) -> CaseRecord:
    """A case record with one step whose outcome is the case's."""
    observed: dict[str, Any] = {"status": 201}
    if threshold_broken:
        observed["threshold_broken"] = True
    step = StepRecord(name="push", op="push", actor="subject", outcome=outcome, message=reason, observed=observed)
    return CaseRecord(
        case_id=f"{scenario}[{fmt}-{credential}-{scheme}-http]",
        scenario=scenario,
        stage="experiment",
        criteria=[],
        format=fmt,
        credential=credential,
        scheme=scheme,
        driver="http",
        outcome=outcome,
        reason=reason,
        duration_s=0.1,
        run_id="run-1",
        started_at="2024-05-01T12:00:00Z",
        steps=[step],
    )


def all_passing(fmt: str = "generic") -> list[CaseRecord]:
    """Every scenario passes for every token kind; every negative credential is refused."""
    records = []
    for scenario in ("small-push", "large-push", "metadata-many"):
        records += [case(scenario, kind.value, fmt=fmt) for kind in TokenKind]
    records += [case("small-push", c.value, fmt=fmt) for c in CredentialCase if c.is_negative]
    return records


def replace(records: list[CaseRecord], case_id: str, outcome: str, reason: str = "", **extra: Any) -> None:
    for i, record in enumerate(records):
        if record.case_id == case_id:
            records[i] = case(record.scenario, record.credential, outcome, fmt=record.format, reason=reason, **extra)
            return
    raise AssertionError(f"no case {case_id}")


def status_of(readiness: Any, criterion_id: str, fmt: str = "generic") -> CriterionStatus:
    return next(a.checks[fmt].status for a in readiness.criteria if a.criterion.id == criterion_id)


def signoffs_for(tmp_path: Path, stages: StageCriteria, *ids: str) -> SignOffs:
    body = "".join(
        f"  {cid}:\n    by: Ada Lovelace\n    date: 2024-05-02\n    link: https://gitlab.example/issues/1\n"
        for cid in ids
    )
    return load_signoffs(write(tmp_path, "signoffs.yaml", "signoffs:\n" + body), stages)


def test_all_passed_is_ready(stages: StageCriteria) -> None:
    records = all_passing()
    readiness = assess(records, stages, None, ["generic"], "experiment")
    assert readiness.overall.verdict == Verdict.READY
    assert readiness.by_format["generic"].verdict == Verdict.READY
    assert readiness.overall.why == "ready: 4 criteria passed"
    assert readiness.overall.missing == []
    assert exit_code(readiness, records) == 0


def test_one_failure_is_not_ready_naming_criterion_and_case(stages: StageCriteria) -> None:
    records = all_passing()
    failing = "large-push[generic-personal_access_token-header-http]"
    replace(records, failing, Outcome.FAILED, "expected 201, got 500")
    readiness = assess(records, stages, None, ["generic"], "experiment")

    assert readiness.overall.verdict == Verdict.NOT_READY
    assert "experiment.large_push failed (1 case)" in readiness.overall.why
    check = next(a.checks["generic"] for a in readiness.criteria if a.criterion.id == "experiment.large_push")
    assert check.status == CriterionStatus.FAILED
    assert check.evidence == [failing]
    assert exit_code(readiness, records) == 1


def test_only_not_run_cases_need_sign_off(stages: StageCriteria) -> None:
    records = [r for r in all_passing() if r.scenario != "metadata-many"]
    records += [case("metadata-many", k.value, Outcome.NOT_RUN, reason="job_token not given") for k in TokenKind]
    readiness = assess(records, stages, None, ["generic"], "experiment")

    assert status_of(readiness, "experiment.metadata") == CriterionStatus.NOT_CHECKED
    assert readiness.overall.verdict == Verdict.NEEDS_SIGN_OFF
    assert readiness.overall.why.startswith("needs sign-off: experiment.metadata not checked (job_token not given)")
    assert any(m.startswith("experiment.metadata") for m in readiness.overall.missing)
    assert exit_code(readiness, records) == ExitCode.NEEDS_SIGN_OFF


def test_a_criterion_that_cannot_apply_to_the_format_is_not_applicable(stages: StageCriteria) -> None:
    records = [r for r in all_passing() if r.scenario != "metadata-many"]
    records.append(case("metadata-many", outcome=Outcome.NOT_APPLICABLE, reason="generic has no metadata endpoint"))
    readiness = assess(records, stages, None, ["generic"], "experiment")

    assert status_of(readiness, "experiment.metadata") == CriterionStatus.NOT_APPLICABLE
    assert readiness.overall.verdict == Verdict.READY
    records.append(case("metadata-many", "project_access_token", Outcome.NOT_APPLICABLE))  # no reason: proves nothing
    readiness = assess(records, stages, None, ["generic"], "experiment")
    assert status_of(readiness, "experiment.metadata") == CriterionStatus.NOT_CHECKED


def test_sign_off_makes_not_checked_ready(tmp_path: Path, stages: StageCriteria) -> None:
    records = [r for r in all_passing() if r.scenario != "metadata-many"]  # no case of metadata-many at all
    signoffs = signoffs_for(tmp_path, stages, "experiment.metadata")
    readiness = assess(records, stages, signoffs, ["generic"], "experiment")

    assert status_of(readiness, "experiment.metadata") == CriterionStatus.SIGNED_OFF
    assert readiness.overall.verdict == Verdict.READY
    assert "1 signed off" in readiness.overall.why
    assert exit_code(readiness, records) == 0


def test_sign_off_never_overrides_a_failure(tmp_path: Path, stages: StageCriteria) -> None:
    records = all_passing()
    replace(records, "large-push[generic-personal_access_token-header-http]", Outcome.FAILED, "413 expected")
    signoffs = signoffs_for(tmp_path, stages, "experiment.large_push")
    readiness = assess(records, stages, signoffs, ["generic"], "experiment")

    assert status_of(readiness, "experiment.large_push") == CriterionStatus.FAILED
    assert readiness.overall.verdict == Verdict.NOT_READY


def test_every_token_kind_catches_a_failed_negative_case(stages: StageCriteria) -> None:
    records = all_passing()
    failing = "small-push[generic-revoked_token-header-http]"
    replace(records, failing, Outcome.FAILED, "revoked token was accepted (201)")
    readiness = assess(records, stages, None, ["generic"], "experiment")

    check = next(a.checks["generic"] for a in readiness.criteria if a.criterion.id == "experiment.all_token_kinds")
    assert check.status == CriterionStatus.FAILED
    assert check.parts["revoked_token"] == CriterionStatus.FAILED
    assert check.parts["personal_access_token"] == CriterionStatus.PASSED
    assert failing in check.evidence
    assert readiness.overall.verdict == Verdict.NOT_READY


def test_every_token_kind_with_job_token_not_run(stages: StageCriteria) -> None:
    records = [r for r in all_passing() if r.credential != TokenKind.JOB_TOKEN]
    records.append(case("small-push", "job_token", Outcome.NOT_RUN, reason="CI_JOB_TOKEN is not set"))
    records.append(case("large-push", "job_token", Outcome.NOT_APPLICABLE, reason="format has no job tokens"))
    readiness = assess(records, stages, None, ["generic"], "experiment")

    check = next(a.checks["generic"] for a in readiness.criteria if a.criterion.id == "experiment.all_token_kinds")
    assert check.status == CriterionStatus.NOT_CHECKED
    assert check.reasons == ["job_token: CI_JOB_TOKEN is not set"]
    assert readiness.overall.verdict == Verdict.NEEDS_SIGN_OFF


def test_not_applicable_with_reason_is_fine_for_a_token_kind(stages: StageCriteria) -> None:
    records = [r for r in all_passing() if r.credential != TokenKind.JOB_TOKEN]
    records.append(case("small-push", "job_token", Outcome.NOT_APPLICABLE, reason="format has no job tokens"))
    readiness = assess(records, stages, None, ["generic"], "experiment")
    assert status_of(readiness, "experiment.all_token_kinds") == CriterionStatus.PASSED


def test_error_only_is_not_ready_and_exit_code_4(stages: StageCriteria) -> None:
    records = all_passing()
    replace(records, "small-push[generic-personal_access_token-header-http]", Outcome.ERROR, "connection refused")
    readiness = assess(records, stages, None, ["generic"], "experiment")

    assert status_of(readiness, "experiment.small_push") == CriterionStatus.ERROR
    assert readiness.overall.verdict == Verdict.NOT_READY
    assert "experiment.small_push errored (1 case)" in readiness.overall.why
    assert exit_code(readiness, records) == 4


def test_only_threshold_breaches_exit_code_3(stages: StageCriteria) -> None:
    records = all_passing()
    replace(
        records,
        "metadata-many[generic-personal_access_token-header-http]",
        Outcome.FAILED,
        "p95 1200 ms > 500 ms",
        threshold_broken=True,
    )
    readiness = assess(records, stages, None, ["generic"], "experiment")
    assert exit_code(readiness, records) == 3
    replace(records, "small-push[generic-personal_access_token-header-http]", Outcome.FAILED, "500")
    assert exit_code(readiness, records) == 1


def test_verdict_per_format_and_overall(stages: StageCriteria) -> None:
    records = all_passing("generic") + all_passing("npm")
    replace(records, "large-push[npm-job_token-header-http]", Outcome.FAILED, "500")
    readiness = assess(records, stages, None, ["generic", "npm"], "experiment")

    assert readiness.by_format["generic"].verdict == Verdict.READY
    assert readiness.by_format["npm"].verdict == Verdict.NOT_READY
    assert readiness.overall.verdict == Verdict.NOT_READY
    assert "experiment.large_push failed for npm (1 case)" in readiness.overall.why


def test_sign_off_criterion_without_sign_off_is_missing(tmp_path: Path) -> None:
    text = STAGES_YAML + "      - id: experiment.docs\n        title: Docs page written\n        sign_off: true\n"
    stages = load_stages(write(tmp_path, "stages.yaml", text))
    readiness = assess(all_passing(), stages, None, ["generic"], "experiment")
    assert status_of(readiness, "experiment.docs") == CriterionStatus.NOT_CHECKED
    assert readiness.overall.verdict == Verdict.NEEDS_SIGN_OFF
    assert "experiment.docs needs a sign-off" in readiness.overall.why

    signed = assess(all_passing(), stages, signoffs_for(tmp_path, stages, "experiment.docs"), ["generic"], "experiment")
    assert signed.overall.verdict == Verdict.READY


def test_bad_stages_file_names_file_and_field(tmp_path: Path) -> None:
    bad = STAGES_YAML.replace("        checked_by: [metadata-many]\n", "")
    path = write(tmp_path, "stages.yaml", bad)
    with pytest.raises(ConfigError) as err:
        load_stages(path)
    message = str(err.value)
    assert str(path) in message
    assert "stages.experiment.criteria[2] (experiment.metadata)" in message
    assert "exactly one of" in message


def test_bad_stages_file_unknown_field_and_bad_yaml(tmp_path: Path) -> None:
    path = write(tmp_path, "stages.yaml", STAGES_YAML.replace("checked_by: [small-push]", "checked_bye: [small-push]"))
    with pytest.raises(ConfigError, match=r"criteria\[0\] \(experiment.small_push\)\.checked_bye"):
        load_stages(path)
    with pytest.raises(ConfigError, match=r"not valid YAML \(line 2"):
        load_stages(write(tmp_path, "broken.yaml", "schema: [unclosed\n"))
    with pytest.raises(ConfigError, match="cannot read"):
        load_stages(tmp_path / "missing.yaml")


def test_unknown_stage_is_a_config_error(stages: StageCriteria) -> None:
    with pytest.raises(ConfigError, match="stage 'ga' is not defined"):
        assess([], stages, None, ["generic"], "ga")


def test_unknown_sign_off_id_is_named(tmp_path: Path, stages: StageCriteria) -> None:
    with pytest.raises(ConfigError, match="unknown criterion id.*experiment.dogfooding"):
        signoffs_for(tmp_path, stages, "experiment.metadata", "experiment.dogfooding")


def test_sign_off_fields_are_validated(tmp_path: Path, stages: StageCriteria) -> None:
    text = "signoffs:\n  experiment.metadata:\n    by: Ada\n    date: May 2nd\n    link: not-a-url\n"
    with pytest.raises(ConfigError) as err:
        load_signoffs(write(tmp_path, "signoffs.yaml", text), stages)
    assert "signoffs.experiment.metadata.date: " in str(err.value)
    assert "signoffs.experiment.metadata.link: " in str(err.value)


def test_project_files_load() -> None:
    stages = load_stages(REPO / "scenarios" / "stages.yaml")
    signoffs = load_signoffs(REPO / "scenarios" / "signoffs.example.yaml", stages)
    assert signoffs.signoffs
    assert set(signoffs.signoffs) <= stages.criterion_ids()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(outcomes=st.lists(st.sampled_from(list(Outcome)), min_size=20, max_size=20))
def test_verdict_and_exit_code_agree_with_the_cases(stages: StageCriteria, outcomes: list[Outcome]) -> None:
    records = all_passing()
    assert len(records) == len(outcomes)
    records = [case(r.scenario, r.credential, o, reason="because") for r, o in zip(records, outcomes, strict=True)]
    readiness = assess(records, stages, None, ["generic"], "experiment")
    broken = {Outcome.FAILED, Outcome.ERROR} & set(outcomes)

    assert (readiness.overall.verdict == Verdict.NOT_READY) == bool(broken)
    code = exit_code(readiness, records)
    assert (code == 0) == (readiness.overall.verdict == Verdict.READY)
    assert (code == 4) == (Outcome.FAILED not in outcomes and Outcome.ERROR in outcomes)


CHAINED_YAML = STAGES_YAML + """
  beta:
    title: Beta
    requires: experiment
    criteria:
      - id: beta.end_to_end
        title: Publish and install through real clients
        checked_by: [small-push]
        drivers: clients
      - id: beta.docs
        title: Documentation
        sign_off: true
"""


def test_beta_is_ready_only_with_experiment_and_real_clients(tmp_path: Path) -> None:
    stages = load_stages(write(tmp_path, "stages.yaml", CHAINED_YAML))
    records = all_passing()
    signoffs = signoffs_for(tmp_path, stages, "beta.docs")
    readiness = assess(records, stages, signoffs, ["generic"], "beta")

    assert [a.criterion.id for a in readiness.criteria][:4] == ["experiment.small_push", "experiment.large_push",
                                                               "experiment.metadata", "experiment.all_token_kinds"]
    assert [a.stage for a in readiness.criteria] == ["experiment"] * 4 + ["beta"] * 2
    assert status_of(readiness, "beta.end_to_end") == CriterionStatus.NOT_CHECKED  # only HTTP cases ran
    assert "through a real client" in readiness.overall.why

    client_case = case("small-push")
    client_case.driver = "npm"
    readiness = assess([*records, client_case], stages, signoffs, ["generic"], "beta")
    assert status_of(readiness, "beta.end_to_end") == CriterionStatus.PASSED
    assert readiness.overall.verdict == Verdict.READY

    replace(records, "large-push[generic-personal_access_token-header-http]", Outcome.FAILED, "413 expected")
    readiness = assess([*records, client_case], stages, signoffs, ["generic"], "beta")
    assert readiness.overall.verdict == Verdict.NOT_READY  # an experiment failure holds beta back
    assert "experiment.large_push failed" in readiness.overall.why


def test_a_stage_that_requires_itself_is_refused(tmp_path: Path) -> None:
    looping = STAGES_YAML.replace("    title: Experiment\n", "    title: Experiment\n    requires: experiment\n")
    stages = load_stages(write(tmp_path, "stages.yaml", looping))
    with pytest.raises(ConfigError, match="requires itself"):
        stages.chain("experiment")


def test_the_shipped_stages_chain_experiment_beta_ga() -> None:
    stages = load_stages()
    assert [name for name, _ in stages.chain("ga")] == ["experiment", "beta", "ga"]
    beta_ids = {c.id for c in stages.stage("beta").criteria}
    for must in ("beta.events_tracked", "beta.size_limit", "beta.format_guards", "beta.name_version_validation",
                 "beta.accelerated_uploads", "beta.metadata_extraction", "beta.rate_limited_prefixes",
                 "beta.end_to_end_clients", "beta.documentation", "beta.no_blocking_issues"):
        assert must in beta_ids
    scenarios_dir = REPO / "scenarios"
    for stage in stages.stages.values():
        for criterion in stage.criteria:
            for name in criterion.checked_by or []:
                assert list(scenarios_dir.glob(f"*/{name}.yaml")), f"{criterion.id}: no scenario {name}"


def test_the_ladder_orders_every_status_and_a_parent_takes_the_worst() -> None:
    assert set(LADDER) == set(CriterionStatus) and set(RUNG) == set(CriterionStatus)
    assert worst([CriterionStatus.PASSED, CriterionStatus.KNOWN_FAILURE]) is CriterionStatus.KNOWN_FAILURE
    assert worst([CriterionStatus.NOT_CHECKED, CriterionStatus.ERROR, CriterionStatus.FAILED]) is CriterionStatus.FAILED
    assert worst([]) is CriterionStatus.PASSED
    assert [verdict_of(s) for s in (CriterionStatus.SIGNED_OFF, CriterionStatus.NOT_CHECKED, CriterionStatus.ERROR)] \
        == [Verdict.READY, Verdict.NEEDS_SIGN_OFF, Verdict.NOT_READY]
    assert RUNG[CriterionStatus.NOT_APPLICABLE] is Rung.READY


def test_a_scenario_that_does_not_apply_to_a_format_is_no_missing_evidence(tmp_path: Path) -> None:
    """The judge takes applicability as decided at expansion; it reads no scenario file."""
    text = STAGES_YAML.replace("checked_by: [small-push]", "checked_by: [small-push, generic-only]")
    stages = load_stages(write(tmp_path, "stages.yaml", text))
    records = all_passing("npm")
    unproven = assess(records, stages, None, ["npm"], "experiment")
    assert status_of(unproven, "experiment.small_push", "npm") == CriterionStatus.NOT_CHECKED
    excused = assess(records, stages, None, ["npm"], "experiment",
                     Applicability({"generic-only": {"npm": "the scenario is for generic only"}}))
    assert status_of(excused, "experiment.small_push", "npm") == CriterionStatus.PASSED
    assert excused.overall.verdict == Verdict.READY
    # The records carry the decision too (a later reader of results.jsonl judges the same).
    records[0].not_applicable = {"npm": "the scenario is for generic only"}
    records[0].scenario = "generic-only"
    assert Applicability.of_records(records).why_not("generic-only", "npm") == "the scenario is for generic only"


def test_a_subset_gates_on_its_own_cases(stages: StageCriteria) -> None:
    records = [case("small-push", kind.value) for kind in TokenKind]
    readiness = assess(records, stages, None, ["generic"], "experiment")
    assert exit_code(readiness, records) == ExitCode.NEEDS_SIGN_OFF  # the stage: criteria nobody checked
    code, why = judge_selection(readiness, records)
    assert code == 0
    assert why.startswith(f"the gate passes: all {len(records)} selected cases that apply passed")
    assert "did not cover: " in why and "experiment.large_push" in why and "experiment.small_push" not in why


def test_the_selection_gate_fails_on_a_failure_and_on_a_case_that_did_not_run(stages: StageCriteria) -> None:
    records = [case("small-push", kind.value) for kind in TokenKind]
    records[0] = case("small-push", records[0].credential, Outcome.FAILED, reason="expected 201, got 500")
    readiness = assess(records, stages, None, ["generic"], "experiment")
    assert judge_selection(readiness, records) == (1, "the gate fails: selected cases failed")
    records[0] = case("small-push", records[0].credential, Outcome.NOT_RUN, reason="outside a CI job")
    readiness = assess(records, stages, None, ["generic"], "experiment")
    code, why = judge_selection(readiness, records)
    assert code == 1 and "1 selected case(s) did not run" in why and "outside a CI job" in why
