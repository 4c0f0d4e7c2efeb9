"""The engine's step kinds: every op a scenario may name has exactly one kind, registered by its family module."""

from __future__ import annotations

import typing

import pytest

from core.results import StepRecord
from engine.cases.registry import step_kind
from engine.cases.state import CaseState
from engine.cases.steps import STEP_KINDS
from engine.scenario import Step


def test_every_scenario_op_has_a_step_kind() -> None:
    ops = set(typing.get_args(Step.model_fields["op"].annotation))
    assert ops == set(STEP_KINDS), "an op the scenario model allows has no step kind, or a kind has no op"


def test_each_kind_comes_from_its_family_module() -> None:
    families = {op: kind.run.__module__.rsplit(".", 1)[-1] for op, kind in STEP_KINDS.items()}
    assert families["push"] == families["push_many"] == "push"
    assert families["pull"] == families["challenge"] == "pull"
    assert families["list"] == families["search"] == families["metadata"] == "listing"
    assert families["tag"] == families["untag"] == families["tags"] == "tags"
    assert families["events"] == families["validate"] == families["prefixes"] == "beta"
    assert STEP_KINDS["events"].prepare is not None  # reads the counters before the case's first step


def test_an_op_cannot_be_registered_twice() -> None:
    def another_push(state: CaseState, step: Step, record: StepRecord) -> None:
        pass

    with pytest.raises(ValueError, match="registered twice"):
        step_kind("push")(another_push)
