"""Tags (npm's dist-tags): point a tag at a version, remove it, read them all."""

from __future__ import annotations

from core.results import StepRecord
from engine.cases.checks import send_checked
from engine.cases.errors import CaseNotApplicable, StepFailed
from engine.cases.registry import step_kind
from engine.cases.state import CaseState
from engine.scenario import Step


@step_kind("tag", "untag")
def tag(state: CaseState, step: Step, record: StepRecord) -> None:
    """Point a tag at the package's version (`tag`), or remove it (`untag`)."""
    assert step.package is not None and step.tag is not None
    credential, scheme = state.actor(step)
    version = step.package.version if step.op == "tag" else None
    spec = state.ops.tag(state.env.project_id, state.package(step.package), step.tag, version)
    if spec is None:
        raise CaseNotApplicable(f"{state.format_name} has no tags")
    send_checked(state, step, record, spec, credential, scheme)
    record.message = (f"tagged {step.package.version} as {step.tag}" if version else f"removed the tag {step.tag}")


@step_kind("tags")
def tags(state: CaseState, step: Step, record: StepRecord) -> None:
    assert step.package is not None
    credential, scheme = state.actor(step)
    spec = state.ops.tags(state.env.project_id, state.package(step.package))
    if spec is None:
        raise CaseNotApplicable(f"{state.format_name} has no tags")
    obs = send_checked(state, step, record, spec, credential, scheme)
    try:
        found = obs.json()
    except ValueError as exc:
        raise StepFailed(f"the tags are not JSON: {exc}") from None
    if not isinstance(found, dict):
        raise StepFailed("the tags are not a JSON object of tag → version")
    record.observed["tags"] = found
    record.expected.update({"tags": step.expect.tags, "no_tags": step.expect.no_tags})
    wrong = {t: found.get(t) for t, v in step.expect.tags.items() if found.get(t) != v}
    if wrong:
        raise StepFailed(f"tags point elsewhere: {wrong}, expected {step.expect.tags}")
    present = [t for t in step.expect.no_tags if t in found]
    if present:
        raise StepFailed(f"tags still present: {', '.join(present)}")
    record.message = f"tags {found}"
