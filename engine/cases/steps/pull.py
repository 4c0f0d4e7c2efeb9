"""Pulling: a package's file at project or group level (checked against what a push sent), the Basic challenge
a client waits for before it sends credentials, and waiting until a fresh push is installable."""

from __future__ import annotations

import time
from collections.abc import Callable

from core.credentials import ANONYMOUS, Credential
from core.format_types import RequestSpec
from core.results import StepRecord
from core.vocabulary import AuthScheme, CredentialCase
from engine.cases.checks import MEASURED_SIZE, check_missing, expected, observe, send_checked
from engine.cases.errors import CaseNotApplicable, StepFailed
from engine.cases.registry import step_kind
from engine.cases.state import CaseState
from engine.cases.steps.clients import client_pull
from engine.drivers.base import Observation
from engine.scenario import Step

POLL_S = 0.25
# The most of a download the registry builds (Composer's archive, Go's zip) a pull reads whole to compare its
# content; the run's large push (256 MiB by default) compresses far below it.
BUILT_DOWNLOAD_LIMIT = 512 << 20


def pull_request(state: CaseState, step: Step) -> tuple[RequestSpec, str]:
    """The download request of the step's level, and the file's name."""
    assert step.package is not None
    name = state.package(step.package)
    file_name = state.ops.file_name(name, step.package.version, step.package.file)
    if step.level == "group":
        spec = state.ops.group_pull(state.group_id(), state.env.project_id, name, step.package.version, file_name)
        if spec is None:
            raise CaseNotApplicable(f"{state.format_name} has no group-level download")
        return spec, file_name
    if step.level == "instance":
        raise CaseNotApplicable(f"{state.format_name} has no instance-level download")
    return state.ops.pull(state.env.project_id, name, step.package.version, file_name), file_name


def pull_spec(state: CaseState, step: Step, record: StepRecord, spec: RequestSpec, credential: Credential,
              scheme: AuthScheme) -> None:
    """Download over HTTP; the file must be the one the step named in `same_content_as` pushed."""
    if state.ops.served_built and step.expect.same_content_as:  # read whole: its content is compared
        spec.keep_body = BUILT_DOWNLOAD_LIMIT
    obs = send_checked(state, step, record, spec, credential, scheme)
    record.observed.update({"size": obs.body_size, "sha256": obs.body_sha256})
    ref = step.expect.same_content_as
    if ref and state.ops.served_built:
        same_content(state, record, ref, obs)
    elif ref:
        sha, size = state.pushed[ref]
        record.expected.update({"sha256": sha, "size": size, "same_content_as": ref})
        if obs.body_sha256 != sha or obs.body_size != size:
            raise StepFailed(f"the file served is not the one step {ref!r} pushed: got {obs.body_size} bytes "
                             f"with sha256 {obs.body_sha256[:16]}…, expected {size} bytes with {sha[:16]}…")
    if obs.body_size >= MEASURED_SIZE:
        state.metrics["pull_mib_s"] = round(obs.body_size / (1 << 20) / max(obs.duration_ms / 1000, 1e-6), 1)
    record.message = (f"pulled {obs.body_size} bytes, " + ("content" if state.ops.served_built else "checksum")
                      + " as expected") if ref else f"pulled {obs.body_size} bytes"


def same_content(state: CaseState, record: StepRecord, ref: str, obs: Observation) -> None:
    """A format whose registry builds the file it serves (`served_built`): the content's key, as the format computes
    it from the bytes served, must be the key of what step `ref` published."""
    key, _ = state.pushed[ref]
    record.expected.update({"content_key": key, "same_content_as": ref, "compared_by": state.ops.served_built})
    if obs.body_size > len(obs.body_excerpt):
        raise StepFailed(f"the file served is {obs.body_size} bytes, more than the {len(obs.body_excerpt)} bytes a "
                         "pull reads whole (BUILT_DOWNLOAD_LIMIT): its content cannot be compared; lower --large-size")
    try:
        got = state.ops.pulled_key(obs.body_excerpt)
    except Exception as exc:  # a file the format cannot read at all (a zip that is no zip) differs, saying why
        raise StepFailed(f"the file served is not a {state.format_name} file the harness can read: {exc}") from None
    record.observed["content_key"] = got
    if got != key:
        raise StepFailed(f"the file served does not hold what step {ref!r} published: its content is {got}, "
                         f"expected {key} ({state.ops.served_built})")


def wait_installable(state: CaseState, step: Step, record: StepRecord, spec: RequestSpec, credential: Credential,
                     scheme: AuthScheme) -> None:
    """Poll until the package is installable: its metadata document lists the version (formats that have one) and
    its file downloads. GitLab extracts metadata in a background worker; a client must not wait forever."""
    assert step.package is not None and step.wait_s is not None
    if not expected(state, step, spec.endpoint, credential, scheme).permitted:
        return  # the refusal is what the pull itself checks
    name, version = state.package(step.package), step.package.version
    metadata = state.metadata_spec(name)
    started = time.monotonic()
    deadline = started + step.wait_s
    waits: list[tuple[RequestSpec, Callable[[Observation], bool]]] = []
    # a credential the document's route refuses (a project's deploy token on Composer's private group) waits for
    # the file alone
    if metadata and expected(state, step, metadata.endpoint, credential, scheme).permitted:
        waits.append((metadata, lambda obs: obs.status == 200 and version.encode() in obs.body_excerpt))
    waits.append((spec, lambda obs: obs.status == spec.endpoint.success_status))
    for request, ready in waits:
        while True:
            obs = state.driver.send(request, credential, scheme)
            if ready(obs):
                break
            if time.monotonic() > deadline:
                observe(record, obs)
                what = "its metadata does not list the version" if request is metadata else "its file answers " \
                    f"{obs.status}"
                raise StepFailed(f"{name} {version} was not installable {step.wait_s:g} s after the push: {what} "
                                 "(background metadata extraction stuck or slow?)")
            time.sleep(POLL_S)
    seconds = round(time.monotonic() - started, 2)
    record.observed["installable_after_s"] = seconds
    record.expected["installable_within_s"] = step.wait_s
    state.metrics["installable_s"] = seconds


@step_kind("pull")
def pull(state: CaseState, step: Step, record: StepRecord) -> None:
    spec, file_name = pull_request(state, step)
    credential, scheme = state.actor(step, spec.endpoint)
    if step.expect.forwarded is not None:
        assert step.package is not None
        check_missing(state, step, record, spec, credential, scheme, state.package(step.package))
        return
    if state.uses_client(step):
        client_pull(state, step, record, expected(state, step, spec.endpoint, credential, scheme), file_name)
        return
    if step.wait_s is not None:
        wait_installable(state, step, record, spec, credential, scheme)
    pull_spec(state, step, record, spec, credential, scheme)


@step_kind("challenge")
def challenge(state: CaseState, step: Step, record: StepRecord) -> None:
    """Anonymous first: 401 with a Basic challenge; then the same request over Basic with the credential."""
    assert step.package is not None
    spec, _ = pull_request(state, step)
    obs = state.driver.send(spec, ANONYMOUS, AuthScheme.NONE)
    observe(record, obs)
    www = obs.headers.get("www-authenticate", "")
    record.observed["www_authenticate"] = www
    record.expected.update({"first_status": 401, "www_authenticate": "Basic realm=…"})
    if obs.status != 401 or not www.lower().startswith("basic"):
        raise StepFailed(f"the anonymous first request got {obs.status} with WWW-Authenticate {www!r}; "
                         "a client waits for 401 with 'WWW-Authenticate: Basic' before it sends credentials")
    credential, _ = state.actor(step)
    scheme = AuthScheme.BASIC if credential.case is not CredentialCase.ANONYMOUS else AuthScheme.NONE
    pull_spec(state, step, record, spec, credential, scheme)
    record.message = "401 challenge, then " + record.message
