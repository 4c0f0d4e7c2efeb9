"""Pushing: one package (small, large, at the size limit, a duplicate, an invalid file) and many at once
(`push_many`: a few hundred packages, or racing uploads of one version where exactly one may win)."""

from __future__ import annotations

import functools
import time
from concurrent.futures import ThreadPoolExecutor

from core.format_types import Artifact, RequestSpec
from core.results import StepRecord
from engine.cases.checks import (
    MEASURED_SIZE,
    body_hint,
    body_timing,
    check_json_fields,
    check_refusal,
    check_timing,
    expected,
    observe,
    send_checked,
)
from engine.cases.errors import CaseNotApplicable, CaseNotRun, StepFailed
from engine.cases.registry import step_kind
from engine.cases.state import CaseState
from engine.cases.steps.clients import client_push
from engine.config import parse_size
from engine.drivers.base import Observation
from engine.drivers.http import HttpDriver
from engine.publishing import PublishProblem, package_ids, prepare, wait_processed, wait_rejected
from engine.scenario import Step
from formats import FORMATS, OPERATIONS


def large_size(state: CaseState, step: Step) -> int:
    """The run's large size for this driver (--large-size, or --client-large-size for a real client)."""
    if state.uses_client(step):
        return int(state.ctx.settings.get("client_large_size") or 64 << 20)
    return int(state.ctx.settings.get("large_size") or 256 << 20)


def resolve_size(state: CaseState, step: Step) -> int:
    if step.size == "large":
        # A format whose size limit is under the run's large size (Helm's 5 MiB) pushes the largest file it takes:
        # a file over the limit is the over-limit scenario's, and the push says it was sized to the limit.
        return min(large_size(state, step), state.size_limit())
    if step.size in ("limit", "limit+1") and state.ops.no_size_limit:
        raise CaseNotApplicable(state.ops.no_size_limit)
    if step.size == "limit":
        size = state.size_limit()
        budget = int(state.ctx.settings.get("size_budget") or 8 << 30)
        if size > budget:
            raise CaseNotRun(f"a file at the {state.format_name} size limit ({size} bytes) is over the run's size "
                             f"budget ({budget} bytes): raise --size-budget, or lower the limit (the reference "
                             "server's --size-limits, your instance's setting)")
        return size
    if step.size == "limit+1":
        return state.size_limit() + 1  # refused from its declared length: only a few bytes are ever sent
    return parse_size(step.size)


@functools.lru_cache(maxsize=2)
def _build_artifact(format_name: str, name: str, version: str, file_hint: str, size: int, seed: int) -> Artifact:
    """Artifacts are deterministic: the cases of one scenario (every credential) share the large ones."""
    return OPERATIONS[format_name].artifact(name, version, file_hint, size, seed)


def _body_length(spec: RequestSpec) -> int | None:
    if spec.body_size is not None:
        return spec.body_size
    if isinstance(spec.body, bytes | bytearray):
        return len(spec.body)
    return None


def prepared(state: CaseState, record: StepRecord, name: str, version: str, artifact: Artifact) -> None:
    """The format's set-up for a publish (Composer's and Go's commit and tag), sent with the owner's token."""
    try:
        for obs in prepare(state.driver, state.ctx.owner, state.ops, state.env.project_id, name, version, artifact):
            record.exchanges.append(obs.exchange)
    except PublishProblem as problem:
        if problem.observation is not None:
            record.exchanges.append(problem.observation.exchange)
            if state.ops.prepare_refusal_judged and problem.observation.status in (401, 403, 404):
                record.observed["set_up_refused"] = problem.observation.status  # the publish answers for itself
                return
        raise StepFailed(str(problem)) from None


def processed(state: CaseState, record: StepRecord, name: str, version: str) -> None:
    """Wait for GitLab's background processing of a pushed version (formats that have it), or fail saying so."""
    timeout = float(state.ctx.settings.get("processing_timeout") or 60)
    try:
        waited = wait_processed(state.driver, state.ctx.owner, state.ops, state.env.project_id, name, version,
                                timeout)
    except PublishProblem as problem:
        if problem.observation is not None:
            record.exchanges.append(problem.observation.exchange)
        raise StepFailed(str(problem)) from None
    if state.ops.format.rules.processed_in_background:
        record.observed["processed_after_s"] = waited


def rejected(state: CaseState, record: StepRecord, name: str, version: str, status: int | None,
             before: set[object]) -> None:
    """An invalid file GitLab accepts and its background processing refuses: it must never become installable."""
    timeout = float(state.ctx.settings.get("processing_timeout") or 60)
    try:
        ended = wait_rejected(state.driver, state.ctx.owner, state.ops, state.env.project_id, name, version, before,
                              timeout)
    except PublishProblem as problem:
        if problem.observation is not None:
            record.exchanges.append(problem.observation.exchange)
        raise StepFailed(str(problem)) from None
    record.message = (f"accepted with {status} as GitLab accepts it, then refused by the background processing "
                      f"({ended}): it never became installable")


@step_kind("push")
def push(state: CaseState, step: Step, record: StepRecord) -> None:
    assert step.package is not None
    size = resolve_size(state, step)
    artifact = _build_artifact(state.format_name, state.package(step.package), step.package.version,
                               step.package.file, size, step.seed)
    if step.invalid:
        invalid = state.ops.invalid_artifact(state.package(step.package), step.package.version)
        if invalid is None:
            raise CaseNotApplicable(state.ops.no_format_guard)
        artifact, size = invalid, invalid.size
    name, version = state.package(step.package), step.package.version
    prepared(state, record, name, version, artifact)
    specs = state.ops.push(state.env.project_id, name, version, artifact, status=step.status, select=step.select)
    if not specs:  # no upload (Go): the set-up was the whole publish
        key = state.ops.content_key(state.env.project_id, name, version, artifact)
        state.pushed[record.name] = (key, artifact.size)
        record.message = f"published {name} {version} through the project's repository: {state.ops.no_upload}"
        return
    credential, scheme = state.actor(step, specs[0].endpoint)
    gitlab_name = state.ops.package_name(state.package(step.package))  # what protection rules match
    want = expected(state, step, specs[0].endpoint, credential, scheme, gitlab_name)
    rules = FORMATS[state.format_name].rules
    guard_later = bool(step.invalid) and rules.invalid_in_background  # the background processing refuses it
    refusal_status = {"duplicate": rules.duplicates.refused_status, "too_large": rules.too_large_status,
                      "invalid": specs[0].endpoint.success_status if guard_later else rules.invalid_status}
    status = step.expect.status or refusal_status.get(step.expect.refusal or "") or specs[0].endpoint.success_status
    if state.uses_client(step):
        client_push(state, step, record, artifact, want, status)
        _sized_to_limit(state, step, record, size)
        if want.permitted and status == specs[0].endpoint.success_status:
            processed(state, record, name, version)
        return
    before = package_ids(state.driver, state.ctx.owner, state.ops, state.env.project_id) if guard_later else set()
    obs = state.driver.send(specs[0], credential, scheme)
    observe(record, obs)
    record.observed.update({"sent_bytes": obs.sent_size, "body_sent": obs.body_sent})
    if not want.permitted:
        check_refusal(record, obs, want, body_timing(state, step))
    record.expected.update({"status": status, "size": size})
    if step.expect.refusal:
        record.expected["refusal"] = step.expect.refusal
    if obs.status != status:
        if step.expect.refusal == "duplicate":
            raise StepFailed(f"expected the duplicate to be refused with {status} (the format's rules or the "
                             f"group's setting refuse duplicates), got {obs.status}: {body_hint(obs)}")
        if step.expect.refusal == "invalid":
            raise StepFailed(f"expected {artifact.file_name}, which is not a valid {state.format_name} package, to be "
                             f"refused with {status} (the format guard), got {obs.status}: {body_hint(obs)}")
        if step.expect.refusal == "too_large":
            raise StepFailed(f"expected {size} bytes, one over the size limit of {state.size_limit()}, to be "
                             f"refused with {status}, got {obs.status}: {body_hint(obs)}")
        raise StepFailed(f"expected {status} ({want.reason}), got {obs.status}: {body_hint(obs)}")
    if step.expect.body_sent is False:
        if step.expect.refusal == "duplicate" and not state.ops.duplicate_checked_before_body():
            record.message = (f"refused with {obs.status}; {state.format_name} names the package inside the body, "
                              "so a duplicate is only known once the body is read")
            return
        if not state.ops.size_checked_before_body():
            rule = FORMATS[state.format_name].rules.too_large_rule
            record.message = f"refused with {obs.status} as GitLab refuses it, once the body is read: {rule}"
            return
        check_timing(obs, body_timing(state, step), f"answered {obs.status}")
        record.message = f"refused with {obs.status} before the body was sent"
        return
    length = _body_length(specs[0])
    if status == specs[0].endpoint.success_status and length is not None and obs.sent_size != length:
        raise StepFailed(f"only {obs.sent_size} of {length} bytes were sent before the answer")
    if step.expect.json_fields:
        check_json_fields(obs, step.expect.json_fields, record)
    if 200 <= (obs.status or 0) < 300:
        for extra in specs[1:]:  # the rest of the publish (a Maven pom, checksums, metadata)
            send_checked(state, step, record, extra, credential, scheme)
        if guard_later:
            rejected(state, record, name, version, obs.status, before)
            return
        if status == specs[0].endpoint.success_status:
            processed(state, record, name, version)
        state.published.setdefault(name, {})[version] = artifact
        if state.ops.served_built:  # the registry builds what a pull serves: compared by the format's key
            sha = state.ops.content_key(state.env.project_id, name, version, artifact)
        else:
            sha = obs.sent_sha256 if obs.sent_sha256 and obs.sent_size == artifact.size else artifact.sha256()
        state.pushed[record.name] = (sha, artifact.size)
    seconds = max(obs.duration_ms / 1000, 1e-6)
    if size >= MEASURED_SIZE:
        state.metrics["push_mib_s"] = round(size / (1 << 20) / seconds, 1)
    record.message = f"pushed {artifact.size} bytes in {len(specs)} request(s), answered {obs.status}"
    _sized_to_limit(state, step, record, size)


def _sized_to_limit(state: CaseState, step: Step, record: StepRecord, size: int) -> None:
    """Say so when a large push was sized down to the format's limit."""
    wanted = large_size(state, step)
    if step.size == "large" and size < wanted:
        record.expected["large_size"] = wanted
        record.message = (record.message or "") + (f" (sized to the {state.format_name} size limit of {size} bytes:"
                                                   f" the run's large size, {wanted} bytes, is over it)")


def _one_wins(record: StepRecord, observations: list[Observation], refused_status: int, seconds: float) -> None:
    """Uploads racing to publish one name and version in a format that refuses duplicates: exactly one wins,
    every other one is refused as a duplicate, none fails with a server error."""
    statuses = [o.status for o in observations]
    won = [o for o in observations if o.status is not None and 200 <= o.status < 300]
    other = [o for o in observations if o not in won and o.status != refused_status]
    record.observed.update({"statuses": statuses, "seconds": seconds})
    record.expected.update({"accepted": 1, "refused_as_duplicate": len(observations) - 1,
                            "refused_status": refused_status})
    if other:
        record.exchanges.append(other[0].exchange)
        raise StepFailed(f"racing uploads of one version: {len(other)} answered neither success nor the duplicate "
                         f"refusal {refused_status}; first: {other[0].status} {body_hint(other[0])}")
    if len(won) != 1:
        record.exchanges.extend(o.exchange for o in won[:2])
        raise StepFailed(f"racing uploads of one version: {len(won)} were accepted, exactly one must be (the "
                         "format refuses duplicates)")
    record.exchanges.append(won[0].exchange)
    record.message = (f"{len(observations)} racing uploads: one accepted, {len(observations) - 1} refused as "
                      f"duplicates ({refused_status}) in {seconds} s")


@step_kind("push_many")
def push_many(state: CaseState, step: Step, record: StepRecord) -> None:
    assert step.package is not None
    count = int(state.ctx.settings.get("metadata_packages", 200)) if step.count == "metadata_packages" \
        else int(step.count)
    package = step.package
    ops = state.ops

    parallel = step.parallel if ops.publishes_concurrently() or step.one_package else 1

    def one(i: int) -> Observation:
        if step.one_package:
            name, hint = state.name(package.name), f"{i}-{package.file}"
        else:
            name, hint = state.name(f"{package.name}-{i}"), package.file
        seed = 0 if step.one_package else i  # racing uploads of one version carry the same bytes, as a retry does
        artifact = ops.artifact(name, package.version, hint, 256, seed)
        driver = HttpDriver(state.ctx.target_url)
        try:
            set_up = prepare(driver, state.ctx.owner, ops, state.env.project_id, name, package.version, artifact)
        except PublishProblem as problem:
            assert problem.observation is not None  # prepare's problems always carry the answer
            return problem.observation
        specs = ops.push(state.env.project_id, name, package.version, artifact)
        if not specs:  # no upload (Go): the set-up's last answer (the tag) is the publish's
            return set_up[-1]
        credential, scheme = state.actor(step, specs[0].endpoint)
        obs = driver.send_all(specs, credential, scheme)
        if obs.status is not None and 200 <= obs.status < 300 and ops.format.rules.processed_in_background:
            try:
                wait_processed(driver, state.ctx.owner, ops, state.env.project_id, name, package.version,
                               float(state.ctx.settings.get("processing_timeout") or 60))
            except PublishProblem as problem:
                return problem.observation or obs
        return obs

    if step.actor == "subject":  # the subject's answer comes from the permission table, like a single push
        probe = ops.push(state.env.project_id, "probe", "0", ops.artifact("probe", "0", "probe", 0, 0))[0]
        credential, scheme = state.actor(step, probe.endpoint)
        want = expected(state, step, probe.endpoint, credential, scheme)
        if not want.permitted:
            obs = one(0)
            observe(record, obs)
            check_refusal(record, obs, want, body_timing(state, step))

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=parallel) as pool:
        observations = list(pool.map(one, range(count)))
    seconds = round(time.monotonic() - started, 2)
    policy = FORMATS[state.format_name].rules.duplicates
    if step.one_package and not policy.allowed_by_default and not policy.switchable:
        _one_wins(record, observations, policy.refused_status, seconds)
        return
    bad = [o for o in observations if o.status is None or not 200 <= o.status < 300]
    record.observed.update({"pushed": count - len(bad), "seconds": seconds})
    record.expected.update({"pushed": count})
    if bad:
        record.exchanges.append(bad[0].exchange)
        raise StepFailed(f"{len(bad)} of {count} uploads failed; first: {bad[0].status} {body_hint(bad[0])}")
    record.exchanges.append(observations[-1].exchange)
    record.message = f"pushed {count} packages in {record.observed['seconds']} s"
