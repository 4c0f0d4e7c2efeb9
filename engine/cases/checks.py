"""The expectation checks a step makes: what the permission table expects of a request, that an answer came,
that a refusal is the one the table says (which ends the case), the success status, JSON fields and latency."""

from __future__ import annotations

import math
from typing import NoReturn

from core.credentials import REDACTOR, Credential
from core.format_types import Endpoint, RequestSpec
from core.permissions import Challenge, Expected, expected_for
from core.results import StepRecord
from core.vocabulary import AuthScheme
from engine.cases.errors import CaseRefused, StepFailed
from engine.cases.state import CaseState
from engine.drivers.base import Observation
from engine.scenario import Step

MEASURED_SIZE = 16 << 20  # a push or pull at least this large records its throughput (MiB/s)


def expected(state: CaseState, step: Step, endpoint: Endpoint, credential: Credential, scheme: AuthScheme,
             package_name: str | None = None) -> Expected:
    """What the endpoint must answer to this step: success for the owner's set-up steps, GitLab's answer (the
    expected-answer model, for the case's project set-up, role and the target's rules) for the subject."""
    if step.actor == "owner":
        return Expected(True, None, "set-up step with the owner's token")
    return expected_for(credential.case, endpoint.operation, endpoint.auth, scheme, project=state.setup,
                        role=state.case.role, package_name=package_name, rules=state.ctx.rules,
                        job_allowed=state.case.scenario.job_token_from != "other_project")


def observe(record: StepRecord, obs: Observation) -> None:
    """Keep the exchange as evidence; an answer must have come."""
    record.exchanges.append(obs.exchange)
    record.observed.update({"status": obs.status, "duration_ms": round(obs.duration_ms, 1)})
    if obs.status is None:
        raise StepFailed(f"no answer from the target: {obs.error}")


def check_refusal(record: StepRecord, obs: Observation, want: Expected, uploads: bool) -> NoReturn:
    """The table says refuse: check the status (and challenge, and that no body was taken) and end the case."""
    record.expected.update({"status": want.status, "refused": True, "why": want.reason})
    if obs.status != want.status:
        raise StepFailed(f"expected {want.status} ({want.reason}), got {obs.status}")
    if want.challenge:
        challenge = obs.headers.get("www-authenticate", "")
        record.observed["www_authenticate"] = challenge
        check_challenge(obs.status, challenge, want.challenge)
    if uploads and want.before_body:
        record.observed["body_sent"] = obs.body_sent
        if obs.body_sent:
            raise StepFailed(f"refused with {obs.status} only after the whole body was sent: an unauthorized "
                             "upload must be answered before its body is read")
    record.message = f"refused with {obs.status} as expected ({want.reason})"
    raise CaseRefused()


def check_challenge(status: int | None, header: str, want: Challenge) -> None:
    """A 401 must carry the challenge GitLab sends: Basic (clients wait for it before sending credentials) or
    Bearer `invalid_token` (a revoked or expired token)."""
    if want is Challenge.BASIC and not header.lower().startswith("basic"):
        raise StepFailed(f"{status} without a 'WWW-Authenticate: Basic realm=…' header: clients that wait for the "
                         "challenge never send their credentials")
    if want is Challenge.BEARER and not (header.lower().startswith("bearer") and "invalid_token" in header):
        raise StepFailed(f"{status} without the 'WWW-Authenticate: Bearer … error=\"invalid_token\"' header GitLab "
                         f"sends for a revoked or expired token (got {header or 'none'})")


def send_checked(state: CaseState, step: Step, record: StepRecord, spec: RequestSpec, credential: Credential,
                 scheme: AuthScheme) -> Observation:
    """Send a request that carries no body: refused as the permission table says (ending the case), or
    answered with the endpoint's success status."""
    want = expected(state, step, spec.endpoint, credential, scheme)
    obs = state.driver.send(spec, credential, scheme)
    observe(record, obs)
    if not want.permitted:
        check_refusal(record, obs, want, uploads=False)
    record.expected["status"] = spec.endpoint.success_status
    if obs.status != spec.endpoint.success_status:
        raise StepFailed(f"expected {spec.endpoint.success_status} ({want.reason}), got {obs.status}: "
                         f"{body_hint(obs)}")
    return obs


def check_json_fields(obs: Observation, fields: list[str], record: StepRecord) -> None:
    try:
        body = obs.json()
    except ValueError as exc:
        raise StepFailed(f"the answer is not JSON: {exc}") from None
    missing = [f for f in fields if not isinstance(body, dict) or f not in body]
    record.expected["json_fields"] = fields
    if missing:
        raise StepFailed(f"the JSON answer lacks {', '.join(missing)}")


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def check_latency(state: CaseState, step: Step, record: StepRecord, latencies: list[float], what: str) -> float:
    """Record p95 and the slowest request as metrics; a threshold the step sets must hold. Returns the p95."""
    p95, slowest = percentile(latencies, 0.95), max(latencies)
    record.observed.update({"p95_ms": round(p95, 1), "max_ms": round(slowest, 1)})
    state.metrics.update({f"{what}_p95_ms": round(p95, 1), f"{what}_max_ms": round(slowest, 1)})
    expect = step.expect
    if expect.p95_ms is not None and p95 > expect.p95_ms:
        raise StepFailed(f"p95 latency {p95:.0f} ms over the threshold of {expect.p95_ms:.0f} ms", threshold=True)
    if expect.max_ms is not None and slowest > expect.max_ms:
        raise StepFailed(f"slowest request {slowest:.0f} ms over the threshold of {expect.max_ms:.0f} ms",
                         threshold=True)
    return p95


def body_hint(obs: Observation) -> str:
    text = obs.body_excerpt[:300].decode("utf-8", "replace").strip()
    return REDACTOR(text) or "(empty body)"
