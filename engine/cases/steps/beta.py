"""The beta stage's MVC checks that are steps of their own: push/pull usage counters moved (`events`), names and
versions validated as the format's rule says (`validate`, hypothesis-generated), every endpoint under GitLab's
package rate-limit prefixes (`prefixes`)."""

from __future__ import annotations

from core.format_types import RATE_LIMITED_PREFIXES
from core.results import StepRecord
from core.vocabulary import EVENTS_METRIC, AuthScheme
from engine import usage_events, validation
from engine.cases.errors import CaseNotRun, StepFailed
from engine.cases.registry import step_kind
from engine.cases.state import CaseState
from engine.publishing import PublishProblem, prepare
from engine.scenario import Step
from formats import FORMATS


def _read_events(state: CaseState) -> usage_events.Counts:
    obs = state.driver.send(usage_events.request(), state.ctx.owner, AuthScheme.HEADER)
    counts = usage_events.parse(obs.body_excerpt.decode("utf-8", "replace")) if obs.status == 200 else None
    if counts is None:
        raise CaseNotRun(f"the target exposes no {EVENTS_METRIC} counters at {usage_events.METRICS.path} "
                         f"(answered {obs.status}): push/pull event tracking cannot be checked here; sign it off")
    return counts


def _events_before(state: CaseState) -> None:
    state.events_before = _read_events(state)


@step_kind("events", prepare=_events_before)
def events(state: CaseState, step: Step, record: StepRecord) -> None:
    """The usage counters moved with the case's pushes and pulls, for its format and token kind."""
    assert state.events_before is not None and state.env.subject is not None
    kind = state.env.subject.kind.value if state.env.subject.kind else "anonymous"
    after = _read_events(state)
    moved = {event: usage_events.delta(state.events_before, after, state.format_name, event, kind)
             for event in step.expect.events}
    record.observed["events"] = moved
    record.expected["events_at_least"] = dict(step.expect.events)
    short = [f"{event} moved by {moved[event]:g}, expected at least {want}"
             for event, want in step.expect.events.items() if moved[event] < want]
    if short:
        raise StepFailed(f"{EVENTS_METRIC}{{format={state.format_name}, token_kind={kind}}}: "
                         + "; ".join(short) + " (the registry does not track these events)")
    record.message = "events counted: " + ", ".join(f"{e} +{v:g}" for e, v in moved.items())


@step_kind("validate")
def validate(state: CaseState, step: Step, record: StepRecord) -> None:
    """Generated names (or versions) that the format's rule allows must be accepted; ones it refuses, refused."""
    assert step.rule is not None
    credential, scheme = state.actor(step)
    rules = FORMATS[state.format_name].rules
    pattern = rules.name_pattern if step.rule == "name" else rules.version_pattern
    rule = rules.name_rule if step.rule == "name" else rules.version_rule
    examples = int(step.count) if isinstance(step.count, int) and step.count > 1 else 25
    seen: dict[tuple[str, str], int | None] = {}

    def push(value: str, valid: bool) -> int | None:
        name, version = (state.name(value), "1.0.0") if step.rule == "name" else (state.name("validated"), value)
        if (name, version) in seen:  # hypothesis may draw a value twice: a second push would be a duplicate
            return seen[(name, version)]
        try:
            try:
                specs = state.ops.push(state.env.project_id, name, version,
                                       state.ops.artifact(name, version, "validate.bin", 64, len(seen)))
            except ValueError:
                if valid:
                    raise
                # The file cannot carry an invalid value (a wheel's name holds a PEP 440 version): send a valid file
                # with the invalid value in the request, where the registry must check it.
                placeholder = state.ops.artifact(state.name("validated"), "1.0.0", "validate.bin", 64, len(seen))
                specs = state.ops.push(state.env.project_id, name, version, placeholder)
        except (ValueError, KeyError) as exc:
            raise validation.Unbuildable(str(exc)) from None
        try:  # a value the set-up refuses (a tag git will not take) cannot be published either
            prepare(state.driver, state.ctx.owner, state.ops, state.env.project_id, name, version,
                    state.ops.artifact(name, version, "validate.bin", 64, len(seen)))
        except PublishProblem as problem:
            assert problem.observation is not None
            seen[(name, version)] = problem.observation.status
            return problem.observation.status
        obs = state.driver.send_all(specs, credential, scheme)
        seen[(name, version)] = obs.status
        if obs.status is None or obs.status >= 500:
            record.exchanges[:] = [obs.exchange]
        return obs.status

    def accepted(value: str) -> str | None:
        status = push(value, valid=True)
        ok = status is not None and 200 <= status < 300
        return None if ok else f"the valid {step.rule} {value!r} (it matches the rule: {rule}) was refused " \
                               f"with {status}"

    def refused(value: str) -> str | None:
        status = push(value, valid=False)
        if status is not None and 400 <= status < 500 and status not in (401, 403, 429):
            return None
        return f"the invalid {step.rule} {value!r} (the rule: {rule}) was answered {status}, not refused"

    good = validation.explore(validation.valid_values(pattern), accepted, examples)
    bad = validation.explore(validation.invalid_values(pattern), refused, examples)
    record.observed.update({"valid_tried": len(good.tried), "invalid_tried": len(bad.tried),
                            "valid_examples": good.tried[:5], "invalid_examples": bad.tried[:5]})
    record.expected.update({"rule": rule, "pattern": pattern.pattern})
    problems = [p for p in (good.failure, bad.failure) if p]
    if problems:
        raise StepFailed("; ".join(problems) + " (smallest example hypothesis found)")
    if not good.tried or not bad.tried:
        raise StepFailed(f"could not generate {step.rule}s to push from the rule {pattern.pattern!r}")
    record.message = (f"{len(good.tried)} generated valid {step.rule}s accepted and {len(bad.tried)} invalid ones "
                      f"refused (rule: {rule})")


@step_kind("prefixes")
def prefixes(state: CaseState, step: Step, record: StepRecord) -> None:
    """Every endpoint of the format sits under GitLab's package rate-limit prefixes (the same definitions every
    request of the run was built from, so this holds for the target the run exercised)."""
    endpoints = list(FORMATS[state.format_name].endpoints.values())
    outside = [e for e in endpoints if not e.rate_limited]
    record.observed["endpoints"] = {e.name: f"{e.method} {e.path}" for e in endpoints}
    record.expected["prefixes"] = list(RATE_LIMITED_PREFIXES)
    if outside:
        raise StepFailed("outside GitLab's package rate-limit prefixes (clients would hit the standard API rate "
                         "limit): " + ", ".join(f"{e.method} {e.path}" for e in outside))
    record.message = f"all {len(endpoints)} endpoints of {state.format_name} are under the package prefixes"
