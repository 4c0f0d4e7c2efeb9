"""The expectation checks a step makes: what the permission table expects of a request, that an answer came,
that a refusal is the one the table says (which ends the case), the success status, JSON fields and latency."""

from __future__ import annotations

import math
from dataclasses import replace
from typing import NoReturn

from core.credentials import REDACTOR, Credential
from core.format_types import Endpoint, RequestSpec
from core.permissions import Challenge, Expected, expected_for, identify, presented_by
from core.results import StepRecord
from core.route_auth import carrier_for
from core.vocabulary import AuthScheme
from engine.cases.errors import CaseNotApplicable, CaseNotRun, CaseRefused, StepFailed
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
    # The HTTP driver sends a header token to a route that reads no header in the route's own carrier
    # (`carrier_for`): a format whose routes read different carriers (Terraform: uploads read the token headers
    # only, downloads Basic only) has header cases for both, and the answer is the moved carrier's.
    if not state.uses_client(step):
        scheme = carrier_for(endpoint.auth, scheme)
    return expected_for(credential.case, endpoint.operation, endpoint.auth, scheme, project=state.setup,
                        role=state.case.role, package_name=package_name, rules=state.ctx.rules,
                        job_allowed=state.case.scenario.job_token_from != "other_project",
                        namespace_public=state.ctx.root_visibility == "public")


def observe(record: StepRecord, obs: Observation) -> None:
    """Keep the exchange as evidence; an answer must have come."""
    record.exchanges.append(obs.exchange)
    record.observed.update({"status": obs.status, "duration_ms": round(obs.duration_ms, 1)})
    if obs.status is None:
        raise StepFailed(f"no answer from the target: {obs.error}")


def body_timing(state: CaseState, step: Step) -> str | None:
    """Whether a step judges when its answer came: only where it asks (`expect.body_sent: false`, the accelerated
    uploads criterion); every other step judges the answer alone. "judged" on the bundled reference server, where
    nothing stands between the harness and the registry; "transport" on another target, where a front proxy may
    answer `Expect: 100-continue` itself and read the whole body before the registry sees the request."""
    if step.expect.body_sent is not False:
        return None
    return "judged" if state.ctx.reference else "transport"


def check_timing(obs: Observation, timing: str | None, what: str) -> None:
    """The answer must have come before the body went out; `what` says what was answered."""
    if timing is None or not obs.body_sent:
        return
    if timing == "judged":
        raise StepFailed(f"{what} only after the whole body was sent: an upload must be answered from its headers, "
                         "before its body is read")
    raise CaseNotRun(f"not checkable through this transport: {what} after the whole body was sent, which went out "
                     f"on {obs.go_ahead or 'the go-ahead of the target'}. A front proxy or load balancer that answers "
                     "Expect: 100-continue itself and reads the body before passing the request on hides whether "
                     "the registry refused early: check it closer to the registry (its own address), or sign the "
                     "criterion off")


def check_refusal(record: StepRecord, obs: Observation, want: Expected, timing: str | None) -> NoReturn:
    """The table says refuse: check the status (and challenge, and, where the step judges it, that no body was
    taken) and end the case."""
    record.expected.update({"status": want.status, "refused": True, "why": want.reason})
    if obs.status != want.status:
        raise StepFailed(f"expected {want.status} ({want.reason}), got {obs.status}")
    if want.message:  # GitLab says which rule refused it: a client shows that to the user
        record.expected["message"] = want.message
        said = obs.body_excerpt.decode("utf-8", "replace")
        if want.message not in said:
            raise StepFailed(f"refused with {obs.status}, but without GitLab's message {want.message!r} "
                             f"({want.reason}): {body_hint(obs)}")
    if want.challenge:
        challenge = obs.headers.get("www-authenticate", "")
        record.observed["www_authenticate"] = challenge
        check_challenge(obs.status, challenge, want.challenge)
    if want.before_body:
        record.observed["body_sent"] = obs.body_sent
        check_timing(obs, timing, f"refused with {obs.status}")
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
        check_refusal(record, obs, want, None)
    record.expected["status"] = spec.endpoint.success_status
    if obs.status != spec.endpoint.success_status:
        raise StepFailed(f"expected {spec.endpoint.success_status} ({want.reason}), got {obs.status}: "
                         f"{body_hint(obs)}")
    return obs


def check_missing(state: CaseState, step: Step, record: StepRecord, spec: RequestSpec, credential: Credential,
                  scheme: AuthScheme, name: str) -> None:
    """A request for package `name`, which nobody pushed. `expect.forwarded`: GitLab's redirect to the public
    registry's URL for it (the format's `forward_url`), status and Location exactly, never followed; a route that
    does not forward, or forwarding off: 404. A caller GitLab refuses is refused as usual, except where the redirect
    comes before the read check (npm's packument), where only a token GitLab cannot use is refused."""
    forwarding = state.ops.format.rules.forwarding
    if step.expect.forwarded and forwarding is None:
        raise CaseNotApplicable(f"{state.format_name} has no request forwarding")
    if forwarding is not None and spec.endpoint.name in forwarding.by_instance_setting:
        raise CaseNotApplicable(f"{spec.endpoint.name} forwards by the instance's setting (the package's project is "
                                "not found), which a case does not set")
    upstream = state.ops.forwarded_to(spec, name) if step.expect.forwarded else None
    want = expected(state, step, spec.endpoint, credential, scheme)
    if upstream is not None and forwarding is not None and forwarding.before_read_check and not want.permitted:
        early = identify(spec.endpoint.auth, presented_by(credential.case, scheme))
        if not isinstance(early, Expected):
            want = Expected(True, None, f"redirected before the read check ({forwarding.rule})")
    obs = state.driver.send(replace(spec, follow_redirects=False), credential, scheme)
    observe(record, obs)
    location = obs.headers.get("location")
    if location:
        record.observed["location"] = location
    if not want.permitted:
        check_refusal(record, obs, want, None)
    got = f"{obs.status}" + (f" to {location}" if location else "")
    fmt = state.format_name
    if upstream is not None and forwarding is not None:
        record.expected.update({"status": forwarding.status, "location": upstream, "rule": forwarding.rule})
        if obs.status != forwarding.status or location != upstream:
            raise StepFailed(f"expected a {forwarding.status} redirect to {upstream} (the group forwards {fmt} "
                             f"requests), got {got}")
        record.message = f"redirected to {upstream} (the group forwards {fmt} requests)"
        return
    why = (f"{fmt}'s {spec.endpoint.name} route does not forward" if step.expect.forwarded
           else f"the group does not forward {fmt} requests" if not state.setup.forwarding
           else "the package does not exist")
    record.expected.update({"status": 404, "why": why})
    if obs.status != 404:
        raise StepFailed(f"expected 404 for {name}, which the registry does not have ({why}), got {got}")
    record.message = f"404 for {name}, which the registry does not have ({why})"


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
