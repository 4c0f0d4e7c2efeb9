"""Steps through a real client (npm, twine, mvn …): the subject's push, pull and metadata steps of a client case.

The push, pull and metadata kinds hand their subject's step here when the case has a client; the owner's set-up
steps stay on HTTP. A client that must be refused must fail, and the last answer it got must be the refusal.
"""

from __future__ import annotations

from typing import NoReturn

from core.client_recipe import ClientOp, ClientTarget
from core.credentials import Credential
from core.format_types import Artifact
from core.permissions import Challenge, Expected
from core.results import StepRecord
from core.vocabulary import AuthScheme
from engine.cases.checks import check_challenge, expected
from engine.cases.errors import CaseNotRun, CaseRefused, StepFailed
from engine.cases.state import CaseState
from engine.clients.driver import ClientObservation
from engine.scenario import Step


def client_target(state: CaseState, credential: Credential, scheme: AuthScheme) -> ClientTarget:
    env = state.env
    return ClientTarget(registry_url=state.ctx.target_url.rstrip("/"), project_id=int(env.project_id),
                        credential=credential, scheme=AuthScheme.NONE if credential.token is None else scheme,
                        group_id=env.group_id, group_path=env.group_path,
                        top_group_path=(env.group_path or "").split("/")[0] or None)


def client_run(state: CaseState, record: StepRecord, op: ClientOp, name: str, version: str,
               artifact: Artifact | None = None, file_name: str = "") -> ClientObservation:
    """Run the client with the subject's credential; keep its last exchanges and how to reproduce it."""
    assert state.client is not None
    credential, scheme = state.env.subject, state.case.scheme
    assert credential is not None
    obs = state.client.run(op, client_target(state, credential, scheme), name, version, artifact, file_name)
    record.exchanges.extend(obs.exchanges[-6:])
    record.observed.update({"client": obs.client, "exit_code": obs.exit_code, "statuses": obs.statuses,
                            "duration_ms": obs.duration_ms})
    record.client = {"name": obs.client, "reproduce": obs.reproduce, "files": obs.files, "output": obs.output,
                     "exit_code": obs.exit_code}
    if obs.not_run:
        raise CaseNotRun(f"{obs.client}: {obs.not_run}")
    errors = [e for e in obs.exchanges if e.status is not None and e.status >= 500]
    if errors:
        raise StepFailed(f"{obs.client} {op}: the target answered {errors[0].status} to {errors[0].method} "
                         f"{errors[0].url}: {errors[0].response_body[:200]}")
    return obs


def client_tail(obs: ClientObservation) -> str:
    lines = [line for line in obs.output.strip().splitlines() if line.strip()]
    return " | ".join(lines[-3:])[-400:] or "(no output)"


def check_client_refusal(record: StepRecord, obs: ClientObservation, status: int, why: str,
                         challenge: Challenge | None = None, also: tuple[int, ...] = ()) -> None:
    """A refused client must fail, and the last answer it got must be the refusal the rules say (`also`: the
    refusal of the other endpoint the client asks first, such as npm's package document before its tarball)."""
    record.expected.update({"status": status, "refused": True, "why": why, "exit_code": "non-zero"})
    last = obs.statuses[-1] if obs.statuses else None
    if obs.exit_code == 0:
        raise StepFailed(f"{obs.client} succeeded, but it must be refused with {status} ({why}); the target "
                         f"answered {obs.statuses}")
    if not obs.exchanges and "anonymous" in why:
        record.message = (f"{obs.client} refused to go on without credentials and sent nothing (exit "
                          f"{obs.exit_code}): {client_tail(obs)}")
        return
    if last != status and last in also:
        status = last
    if last != status:
        raise StepFailed(f"{obs.client} failed as expected, but the target's last answer was {last} "
                         f"(all: {obs.statuses}), expected {status} ({why}): {client_tail(obs)}")
    if challenge:
        answer = next((e for e in reversed(obs.exchanges) if e.status == status), None)
        www = (answer.response_headers.get("www-authenticate", "") if answer else "")
        check_challenge(status, www, challenge)
    record.message = f"{obs.client} refused with {status} as expected ({why})"


def _refused(record: StepRecord, obs: ClientObservation, want: Expected, also: tuple[int, ...] = ()) -> NoReturn:
    """The table says refuse: the client's failure must be that refusal; the case has proven its point."""
    assert want.status is not None
    check_client_refusal(record, obs, want.status, want.reason, want.challenge, also)
    raise CaseRefused()


def client_push(state: CaseState, step: Step, record: StepRecord, artifact: Artifact, want: Expected,
                status: int) -> None:
    """Publish through the client; `status` is what the registry must answer (success, or a rule's refusal)."""
    assert step.package is not None
    obs = client_run(state, record, "push", state.package(step.package), step.package.version, artifact)
    if not want.permitted:
        _refused(record, obs, want)
    record.expected.update({"status": status, "size": artifact.size})
    # What the client published, as the format's own requests define it (PyPI remembers the file's sha256 here).
    published = state.ops.push(state.env.project_id, state.package(step.package), step.package.version, artifact)
    if status != published[0].endpoint.success_status:
        check_client_refusal(record, obs, status, f"refused as a {step.expect.refusal or 'rule'}")
        return
    if obs.exit_code != 0:
        raise StepFailed(f"{obs.client} push exited with {obs.exit_code} (answers {obs.statuses}): "
                         f"{client_tail(obs)}")
    # a format whose served file is built (`served_built`) is compared by its content key, as HTTP pushes are
    key = (state.ops.content_key(state.env.project_id, state.package(step.package), step.package.version, artifact)
           if state.ops.served_built else artifact.sha256())
    state.pushed[record.name] = (key, artifact.size)
    record.message = f"{obs.client} pushed {artifact.size} bytes (answers {obs.statuses})"


def client_pull(state: CaseState, step: Step, record: StepRecord, want: Expected, file_name: str) -> None:
    assert step.package is not None
    name = state.package(step.package)
    obs = client_run(state, record, "pull", name, step.package.version, file_name=file_name)
    metadata = state.metadata_spec(name)
    if want.permitted and metadata is not None and state.ops.metadata_group_only:
        # the client must read the group's document first: its refusal is the install's (Composer)
        first = expected(state, step, metadata.endpoint, *state.actor(step))
        if not first.permitted:
            want = first
    if not want.permitted:
        also: tuple[int, ...] = ()
        if metadata is not None:  # a client resolves the version from the metadata document first
            first = expected(state, step, metadata.endpoint, *state.actor(step, metadata.endpoint))
            also = (first.status,) if first.status is not None else ()
        _refused(record, obs, want, also)
    if obs.exit_code != 0:
        raise StepFailed(f"{obs.client} pull exited with {obs.exit_code} (answers {obs.statuses}): "
                         f"{client_tail(obs)}")
    if obs.output_size is None:
        raise StepFailed(f"{obs.client} exited 0 but wrote no {obs.extra.get('output', 'file')}")
    record.observed.update({"size": obs.output_size, "sha256": obs.output_sha256})
    ref = step.expect.same_content_as
    if ref and state.ops.served_built and "output_key" in obs.extra:
        key, _ = state.pushed[ref]
        got = obs.extra["output_key"]
        record.expected.update({"content_key": key, "same_content_as": ref, "compared_by": state.ops.served_built})
        record.observed["content_key"] = got
        if got != key:
            raise StepFailed(f"{obs.client} fetched a file that does not hold what step {ref!r} published: its "
                             f"content is {got}, expected {key}")
        record.message = f"{obs.client} pulled {obs.output_size} bytes, content as expected ({got})"
    elif ref and obs.output_sha256 is not None:
        sha, size = state.pushed[ref]
        record.expected.update({"sha256": sha, "size": size, "same_content_as": ref})
        if obs.output_sha256 != sha:
            raise StepFailed(f"{obs.client} fetched a file that is not the one step {ref!r} pushed: "
                             f"{obs.output_size} bytes with sha256 {obs.output_sha256[:16]}…, expected {size} bytes "
                             f"with {sha[:16]}…")
        record.message = f"{obs.client} pulled {obs.output_size} bytes, checksum as expected"
    else:
        record.message = f"{obs.client} installed the package ({obs.output_size} bytes of {obs.extra.get('output')})"


def client_metadata(state: CaseState, step: Step, record: StepRecord, want: Expected, name: str) -> None:
    """Read the package's metadata through the client (`npm view`, `pip index versions` …)."""
    assert step.package is not None
    obs = client_run(state, record, "metadata", name, step.package.version)
    if not want.permitted:
        _refused(record, obs, want)
    if obs.exit_code != 0:
        raise StepFailed(f"{obs.client} metadata exited with {obs.exit_code} (answers {obs.statuses}): "
                         f"{client_tail(obs)}")
    missing = [v for v in step.expect.versions if v not in obs.output]
    record.expected["versions"] = step.expect.versions
    if missing:
        raise StepFailed(f"{obs.client} did not list version(s) {', '.join(missing)} of {name}: "
                         f"{client_tail(obs)}")
    record.message = f"{obs.client} read the metadata of {name}" + (
        f": versions {', '.join(step.expect.versions)} listed" if step.expect.versions else "")
