"""The engine: run one case (a scenario for one format, credential, scheme and driver) and record it.

Each step sends the format's own requests through a driver, then checks the answer against the
permission table (for the case's credential) or against success (for the owner's set-up steps).
A credential the table says must be refused ends the case once the refusal is seen: that refusal is
what the case proves.
"""

from __future__ import annotations

import datetime as dt
import math
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from formats import FORMATS, generic, packages_api
from formats.base import Endpoint, RequestSpec
from harness.credentials import ANONYMOUS, REDACTOR, Credential
from harness.drivers.base import Observation
from harness.drivers.http import HttpDriver
from harness.gitlab_api import ProvisioningError
from harness.matrix import Case
from harness.permissions import Expected, NotApplicable, expected_answer
from harness.provisioning import CaseEnv, RunContext, provision_case
from harness.results import CaseRecord, StepRecord
from harness.scenario import Step
from harness.vocabulary import AuthScheme, CredentialCase, Outcome

MAX_LIST_PAGES = 50


class StepFailed(Exception):
    """The target broke an expectation."""

    def __init__(self, message: str, threshold: bool = False) -> None:
        super().__init__(message)
        self.threshold = threshold


class CaseNotApplicable(Exception):
    pass


class CaseRefused(Exception):
    """The subject was refused exactly as the permission table says: the case has proven its point."""


@dataclass
class CaseState:
    case: Case
    ctx: RunContext
    env: CaseEnv
    driver: HttpDriver
    pushed: dict[str, tuple[str, int]] = field(default_factory=dict)  # step name → (sha256, size)
    steps: list[StepRecord] = field(default_factory=list)
    metrics: dict[str, float] = field(default_factory=dict)

    @property
    def format_name(self) -> str:
        return self.case.format

    def name(self, logical: str) -> str:
        return self.env.name_prefix + logical

    def size_limit(self) -> int:
        return self.ctx.size_limits.get(self.format_name, FORMATS[self.format_name].rules.size_limit)


def run_case(case: Case, ctx: RunContext, index: int) -> CaseRecord:
    """Run one case start to end; never raises: every outcome becomes a record."""
    started = time.monotonic()
    started_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    record = CaseRecord(case_id=case.id, scenario=case.scenario.name, stage=case.scenario.stage.value,
                        criteria=[], format=case.format, credential=case.credential.value,
                        scheme=case.scheme.value, driver=case.driver, outcome=Outcome.ERROR.value, reason="",
                        duration_s=0.0, run_id=ctx.run_id, started_at=started_at)
    state: CaseState | None = None
    try:
        if ctx.given_project and case.scenario.group_settings is not None:
            raise CaseNotRun("this scenario changes group package settings, which needs a group of its own: "
                             "run it without --project so the harness can create one")
        env = provision_case(ctx, case.id, case.credential, index)
        if env.not_run:
            raise CaseNotRun(env.not_run)
        state = CaseState(case, ctx, env, HttpDriver(ctx.target_url))
        if case.scenario.group_settings is not None and env.group_path:
            settings = case.scenario.group_settings
            ctx.client().set_duplicate_settings(env.group_path, case.format, settings.duplicates == "allowed",
                                                settings.exception_regex)
        try:
            for index_in_case, step in enumerate(case.scenario.steps):
                _run_step(state, step, index_in_case)
        except CaseRefused:
            pass
        record.outcome, record.reason = Outcome.PASSED.value, _passed_reason(state)
    except CaseNotRun as exc:
        record.outcome, record.reason = Outcome.NOT_RUN.value, str(exc)
    except CaseNotApplicable as exc:
        record.outcome, record.reason = Outcome.NOT_APPLICABLE.value, str(exc)
    except StepFailed as exc:
        record.outcome, record.reason = Outcome.FAILED.value, str(exc)
    except ProvisioningError as exc:
        record.outcome, record.reason = Outcome.ERROR.value, f"set-up failed: {exc}"
    except Exception as exc:  # the harness itself broke: say where, never blame the target
        record.outcome = Outcome.ERROR.value
        record.reason = REDACTOR(f"harness error: {type(exc).__name__}: {exc}\n{traceback.format_exc(limit=4)}")
    finally:
        if state is not None:
            record.steps, record.metrics = state.steps, state.metrics
            _finish(state)
        record.duration_s = round(time.monotonic() - started, 3)
    return record


class CaseNotRun(Exception):
    pass


def _passed_reason(state: CaseState) -> str:
    refused = [s for s in state.steps if s.expected.get("refused")]
    if refused:
        return f"refused as expected: {refused[-1].message}"
    return f"{len(state.steps)} steps as expected"


def _finish(state: CaseState) -> None:
    """Finish the case's job and remove its group at once, so a long run's storage stays bounded.

    A failure here is not the case's: whatever is left stays in the ledger for the run's final clean-up.
    """
    client = state.ctx.client()
    for action, value in state.env.finish:
        try:
            if action == "finish_job":
                client.finish_job(value)
        except Exception:
            pass
    if state.env.group_id is not None:
        try:
            client.delete_group(state.env.group_id)
        except Exception:
            pass


# --- steps -----------------------------------------------------------------------------------------------


def _actor(state: CaseState, step: Step) -> tuple[Credential, AuthScheme]:
    if step.actor == "owner":
        return state.ctx.owner, AuthScheme.HEADER
    assert state.env.subject is not None
    return state.env.subject, state.case.scheme


def _expected(state: CaseState, step: Step, endpoint: Endpoint, credential: Credential,
              scheme: AuthScheme) -> Expected:
    if step.actor == "owner":
        return Expected(True, None, "set-up step with the owner's token")
    answer = expected_answer(credential.case, endpoint.operation, accepted_kinds=endpoint.accepted_kinds,
                             accepted_schemes=endpoint.accepted_schemes, scheme=scheme,
                             anonymous_status=endpoint.anonymous_status)
    if isinstance(answer, NotApplicable):
        raise CaseNotApplicable(f"{endpoint.method} {endpoint.name}: {answer.reason}")
    return answer


def _run_step(state: CaseState, step: Step, index: int) -> None:
    handler = {"push": _push, "pull": _pull, "list": _list, "search": _list, "delete": _delete,
               "push_many": _push_many, "challenge": _challenge}[step.op]
    record = StepRecord(name=step.name or f"{index + 1}-{step.op}", op=step.op, actor=step.actor,
                        outcome=Outcome.PASSED.value, message="")
    state.steps.append(record)
    try:
        handler(state, step, record)
    except StepFailed as exc:
        record.outcome, record.message = Outcome.FAILED.value, str(exc)
        if exc.threshold:
            record.observed["threshold_broken"] = True
        raise StepFailed(f"step {record.name} ({step.op} as {step.actor}): {exc}", exc.threshold) from None


def _observe(record: StepRecord, obs: Observation) -> None:
    record.exchanges.append(obs.exchange)
    record.observed.update({"status": obs.status, "duration_ms": round(obs.duration_ms, 1)})
    if obs.status is None:
        raise StepFailed(f"no answer from the target: {obs.error}")


def _check_refusal(record: StepRecord, obs: Observation, expected: Expected, uploads: bool) -> None:
    """The table says refuse: check the status (and challenge, and that no body was taken) and end the case."""
    record.expected.update({"status": expected.status, "refused": True, "why": expected.reason})
    if obs.status != expected.status:
        raise StepFailed(f"expected {expected.status} ({expected.reason}), got {obs.status}")
    if expected.challenge:
        challenge = obs.headers.get("www-authenticate", "")
        record.observed["www_authenticate"] = challenge
        if not challenge.lower().startswith("basic"):
            raise StepFailed(f"{obs.status} without a 'WWW-Authenticate: Basic realm=…' header: clients that "
                             "wait for the challenge never send their credentials")
    if uploads:
        record.observed["body_sent"] = obs.body_sent
        if obs.body_sent:
            raise StepFailed(f"refused with {obs.status} only after the whole body was sent: an unauthorized "
                             "upload must be answered before its body is read")
    record.message = f"refused with {obs.status} as expected ({expected.reason})"
    raise CaseRefused()


def _resolve_size(state: CaseState, step: Step) -> int:
    from harness.config import parse_size

    if step.size == "large":
        return int(state.ctx.settings.get("large_size") or 256 << 20)
    if step.size == "limit":
        return state.size_limit()
    if step.size == "limit+1":
        return state.size_limit() + 1
    return parse_size(step.size)


def _push(state: CaseState, step: Step, record: StepRecord) -> None:
    assert step.package is not None
    credential, scheme = _actor(state, step)
    size = _resolve_size(state, step)
    artifact = generic.GeneratedFile(size=size, seed=step.seed)
    spec = generic.push(state.env.project_id, state.name(step.package.name), step.package.version,
                        step.package.file, artifact, status=step.status, select=step.select)
    expected = _expected(state, step, spec.endpoint, credential, scheme)
    obs = state.driver.send(spec, credential, scheme)
    _observe(record, obs)
    record.observed.update({"sent_bytes": obs.sent_size, "body_sent": obs.body_sent})
    if not expected.permitted:
        _check_refusal(record, obs, expected, uploads=True)
    rules = FORMATS[state.format_name].rules
    refusal_status = {"duplicate": rules.duplicates.refused_status, "too_large": rules.too_large_status}
    want = step.expect.status or refusal_status.get(step.expect.refusal or "") or spec.endpoint.success_status
    record.expected.update({"status": want, "size": size})
    if step.expect.refusal:
        record.expected["refusal"] = step.expect.refusal
    if obs.status != want:
        if step.expect.refusal == "duplicate":
            raise StepFailed(f"expected the duplicate to be refused with {want} (the group rejects duplicates), "
                             f"got {obs.status}: {_body_hint(obs)}")
        if step.expect.refusal == "too_large":
            raise StepFailed(f"expected {size} bytes, one over the size limit of {state.size_limit()}, to be "
                             f"refused with {want}, got {obs.status}: {_body_hint(obs)}")
        raise StepFailed(f"expected {want} ({expected.reason}), got {obs.status}: {_body_hint(obs)}")
    if step.expect.body_sent is False:
        if obs.body_sent:
            raise StepFailed(f"answered {obs.status} only after the whole body was sent; the refusal must "
                             "come before the body is read")
        record.message = f"refused with {obs.status} before the body was sent"
        return
    if want == spec.endpoint.success_status and obs.sent_size != size:
        raise StepFailed(f"only {obs.sent_size} of {size} bytes were sent before the answer")
    if step.expect.json_fields:
        _check_json_fields(obs, step.expect.json_fields, record)
    if obs.sent_sha256 and 200 <= (obs.status or 0) < 300:
        state.pushed[record.name] = (obs.sent_sha256, size)
    seconds = max(obs.duration_ms / 1000, 1e-6)
    if size >= 16 << 20:
        state.metrics["push_mib_s"] = round(size / (1 << 20) / seconds, 1)
    record.message = f"pushed {size} bytes, answered {obs.status}"


def _check_json_fields(obs: Observation, fields: list[str], record: StepRecord) -> None:
    try:
        body = obs.json()
    except ValueError as exc:
        raise StepFailed(f"the answer is not JSON: {exc}") from None
    missing = [f for f in fields if not isinstance(body, dict) or f not in body]
    record.expected["json_fields"] = fields
    if missing:
        raise StepFailed(f"the JSON answer lacks {', '.join(missing)}")


def _pull(state: CaseState, step: Step, record: StepRecord) -> None:
    assert step.package is not None
    credential, scheme = _actor(state, step)
    spec = generic.pull(state.env.project_id, state.name(step.package.name), step.package.version,
                        step.package.file)
    _pull_spec(state, step, record, spec, credential, scheme)


def _send_checked(state: CaseState, step: Step, record: StepRecord, spec: RequestSpec, credential: Credential,
                  scheme: AuthScheme) -> Observation:
    """Send a request that carries no body: refused as the permission table says (ending the case), or
    answered with the endpoint's success status."""
    expected = _expected(state, step, spec.endpoint, credential, scheme)
    obs = state.driver.send(spec, credential, scheme)
    _observe(record, obs)
    if not expected.permitted:
        _check_refusal(record, obs, expected, uploads=False)
    record.expected["status"] = spec.endpoint.success_status
    if obs.status != spec.endpoint.success_status:
        raise StepFailed(f"expected {spec.endpoint.success_status} ({expected.reason}), got {obs.status}: "
                         f"{_body_hint(obs)}")
    return obs


def _pull_spec(state: CaseState, step: Step, record: StepRecord, spec: RequestSpec, credential: Credential,
               scheme: AuthScheme) -> None:
    obs = _send_checked(state, step, record, spec, credential, scheme)
    record.observed.update({"size": obs.body_size, "sha256": obs.body_sha256})
    ref = step.expect.same_content_as
    if ref:
        sha, size = state.pushed[ref]
        record.expected.update({"sha256": sha, "size": size, "same_content_as": ref})
        if obs.body_sha256 != sha or obs.body_size != size:
            raise StepFailed(f"the file served is not the one step {ref!r} pushed: got {obs.body_size} bytes "
                             f"with sha256 {obs.body_sha256[:16]}…, expected {size} bytes with {sha[:16]}…")
    if obs.body_size >= 16 << 20:
        state.metrics["pull_mib_s"] = round(obs.body_size / (1 << 20) / max(obs.duration_ms / 1000, 1e-6), 1)
    record.message = f"pulled {obs.body_size} bytes, checksum as expected" if ref else f"pulled {obs.body_size} bytes"


def _list_pages(state: CaseState, step: Step, record: StepRecord, credential: Credential,
                scheme: AuthScheme, term: str | None) -> tuple[list[dict[str, Any]], list[float]] | None:
    """Every page of the package list (or search); None when the subject was refused."""
    items: list[dict[str, Any]] = []
    latencies: list[float] = []
    for page in range(1, MAX_LIST_PAGES + 1):
        spec = (generic.search(state.env.project_id, term) if term is not None
                else packages_api.list_packages(state.env.project_id, per_page=100, page=page))
        if term is not None:
            spec.params["page"] = str(page)
        obs = _send_checked(state, step, record, spec, credential, scheme)
        latencies.append(obs.duration_ms)
        try:
            body = obs.json()
        except ValueError as exc:
            raise StepFailed(f"the package list is not JSON: {exc}") from None
        if not isinstance(body, list):
            raise StepFailed("the package list is not a JSON array")
        items.extend(body)
        if not obs.headers.get("x-next-page"):
            break
    if len(record.exchanges) > 6:  # keep the evidence readable: first and last pages
        record.exchanges = record.exchanges[:3] + record.exchanges[-3:]
    return items, latencies


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def _list(state: CaseState, step: Step, record: StepRecord) -> None:
    credential, scheme = _actor(state, step)
    term = None
    if step.op == "search":
        assert step.package is not None
        term = state.name(step.package.name) if not state.env.name_prefix else step.package.name
    result = _list_pages(state, step, record, credential, scheme, term)
    assert result is not None
    items, latencies = result
    prefix = state.env.name_prefix
    names = {str(i.get("name", ""))[len(prefix):] for i in items if str(i.get("name", "")).startswith(prefix)}
    expect = step.expect
    record.observed.update({"packages": len(items), "requests": len(latencies)})
    record.expected.update({k: v for k, v in expect.model_dump().items() if v not in (None, [])})
    missing = [n for n in expect.listed if n not in names]
    if missing:
        raise StepFailed(f"not in the list: {', '.join(missing)} ({len(items)} packages listed)")
    present = [n for n in expect.not_listed if n in names]
    if present:
        raise StepFailed(f"listed but must not be: {', '.join(present)}")
    for name, want in expect.count_of.items():
        found = sum(1 for i in items if str(i.get("name", "")) == prefix + name)
        if found != want:
            raise StepFailed(f"{found} packages named {name} in the list, expected {want}: concurrent uploads "
                             "must add files to one package, never create duplicates")
    if expect.min_count is not None:
        want = int(state.ctx.settings.get("metadata_packages", 200)) if expect.min_count == "metadata_packages" \
            else expect.min_count
        record.expected["min_count"] = want
        if len(items) < want:
            raise StepFailed(f"{len(items)} packages listed, expected at least {want}")
    p95, slowest = _percentile(latencies, 0.95), max(latencies)
    record.observed.update({"p95_ms": round(p95, 1), "max_ms": round(slowest, 1)})
    state.metrics.update({"list_p95_ms": round(p95, 1), "list_max_ms": round(slowest, 1)})
    if expect.p95_ms is not None and p95 > expect.p95_ms:
        raise StepFailed(f"p95 latency {p95:.0f} ms over the threshold of {expect.p95_ms:.0f} ms", threshold=True)
    if expect.max_ms is not None and slowest > expect.max_ms:
        raise StepFailed(f"slowest page {slowest:.0f} ms over the threshold of {expect.max_ms:.0f} ms",
                         threshold=True)
    record.message = f"{len(items)} packages in {len(latencies)} requests, p95 {p95:.0f} ms"


def _find_package_id(state: CaseState, name: str, version: str) -> int:
    spec = packages_api.list_packages(state.env.project_id, package_name=name, package_version=version)
    obs = state.driver.send(spec, state.ctx.owner, AuthScheme.HEADER)
    if obs.status != 200:
        raise StepFailed(f"could not look up package {name} {version}: {obs.status} {_body_hint(obs)}")
    for item in obs.json():
        if item.get("name") == name and item.get("version") == version:
            return int(item["id"])
    raise StepFailed(f"package {name} {version} is not in the list, so it cannot be deleted")


def _delete(state: CaseState, step: Step, record: StepRecord) -> None:
    assert step.package is not None
    credential, scheme = _actor(state, step)
    package_id = _find_package_id(state, state.name(step.package.name), step.package.version)
    _send_checked(state, step, record, packages_api.delete_package(state.env.project_id, package_id),
                  credential, scheme)
    record.message = f"deleted package {package_id}"


def _push_many(state: CaseState, step: Step, record: StepRecord) -> None:
    assert step.package is not None
    count = int(state.ctx.settings.get("metadata_packages", 200)) if step.count == "metadata_packages" \
        else int(step.count)
    credential, scheme = _actor(state, step)
    package = step.package

    def one(i: int) -> Observation:
        artifact = generic.GeneratedFile(size=256, seed=i)
        if step.one_package:
            spec = generic.push(state.env.project_id, state.name(package.name), package.version,
                                f"{i}-{package.file}", artifact)
        else:
            spec = generic.push(state.env.project_id, state.name(f"{package.name}-{i}"), package.version,
                                package.file, artifact)
        return HttpDriver(state.ctx.target_url).send(spec, credential, scheme)

    if step.actor == "subject":  # the subject's answer comes from the permission table, like a single push
        probe = generic.push(state.env.project_id, "probe", "0", "probe", generic.GeneratedFile(0))
        expected = _expected(state, step, probe.endpoint, credential, scheme)
        if not expected.permitted:
            obs = one(0)
            _observe(record, obs)
            _check_refusal(record, obs, expected, uploads=True)

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=step.parallel) as pool:
        observations = list(pool.map(one, range(count)))
    bad = [o for o in observations if o.status != 201]
    record.observed.update({"pushed": count - len(bad), "seconds": round(time.monotonic() - started, 2)})
    record.expected.update({"pushed": count})
    if bad:
        record.exchanges.append(bad[0].exchange)
        raise StepFailed(f"{len(bad)} of {count} uploads failed; first: {bad[0].status} {_body_hint(bad[0])}")
    record.exchanges.append(observations[-1].exchange)
    record.message = f"pushed {count} packages in {record.observed['seconds']} s"


def _challenge(state: CaseState, step: Step, record: StepRecord) -> None:
    """Anonymous first: 401 with a Basic challenge; then the same request over Basic with the credential."""
    assert step.package is not None
    spec = generic.pull(state.env.project_id, state.name(step.package.name), step.package.version,
                        step.package.file)
    obs = state.driver.send(spec, ANONYMOUS, AuthScheme.NONE)
    _observe(record, obs)
    challenge = obs.headers.get("www-authenticate", "")
    record.observed["www_authenticate"] = challenge
    record.expected.update({"first_status": 401, "www_authenticate": "Basic realm=…"})
    if obs.status != 401 or not challenge.lower().startswith("basic"):
        raise StepFailed(f"the anonymous first request got {obs.status} with WWW-Authenticate {challenge!r}; "
                         "a client waits for 401 with 'WWW-Authenticate: Basic' before it sends credentials")
    credential, _ = _actor(state, step)
    scheme = AuthScheme.BASIC if credential.case is not CredentialCase.ANONYMOUS else AuthScheme.NONE
    _pull_spec(state, step, record, spec, credential, scheme)
    record.message = "401 challenge, then " + record.message


def _body_hint(obs: Observation) -> str:
    text = obs.body_excerpt[:300].decode("utf-8", "replace").strip()
    return REDACTOR(text) or "(empty body)"
