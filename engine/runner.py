"""The engine: run one case (a scenario for one format, credential, scheme and driver) and record it.

Each step sends the format's own requests through a driver, then checks the answer against the
permission table (for the case's credential) or against success (for the owner's set-up steps).
A credential the table says must be refused ends the case once the refusal is seen: that refusal is
what the case proves.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core import packages_api
from core.client_recipe import ClientOp, ClientTarget
from core.credentials import ANONYMOUS, REDACTOR, Credential
from core.format_types import Artifact, Endpoint, FormatOperations, RequestSpec
from core.permissions import Expected, NotApplicable, expected_answer
from core.results import CaseRecord, StepRecord
from core.vocabulary import AuthScheme, CredentialCase, Outcome
from engine.clients.driver import ClientDriver, ClientObservation
from engine.drivers.base import Observation
from engine.drivers.http import HttpDriver
from engine.gitlab_api import ProvisioningError
from engine.matrix import Case
from engine.provisioning import CaseEnv, RunContext, provision_case, subject_credential
from engine.scenario import PackageRef, Step
from formats import FORMATS, OPERATIONS

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
    client: ClientDriver | None = None  # the real client that takes the subject's steps, when the case has one
    pushed: dict[str, tuple[str, int]] = field(default_factory=dict)  # step name → (sha256, size)
    steps: list[StepRecord] = field(default_factory=list)
    metrics: dict[str, float] = field(default_factory=dict)
    events_before: dict[tuple[str, str, str], float] | None = None  # usage counters as the case began

    @property
    def format_name(self) -> str:
        return self.case.format

    @property
    def ops(self) -> FormatOperations:
        return OPERATIONS[self.case.format]

    def uses_client(self, step: Step) -> bool:
        return self.client is not None and step.actor == "subject"

    def name(self, logical: str) -> str:
        return self.env.name_prefix + logical

    def package(self, ref: PackageRef) -> str:
        """The package's name on the target: the run's prefix, and for a scoped package (npm's instance-level
        naming convention) the case's top-level group as its scope."""
        name = self.name(ref.name)
        if ref.scoped:
            path = (self.env.group_path or "").split("/")
            if len(path) < 2:
                raise CaseNotRun("a scoped package needs the case's own group under the run's top-level group: "
                                 "run without --project")
            # Every case shares the top-level group, and the instance level serves the newest package of a name
            # in it: the case's own group in the name keeps the cases apart.
            name = f"@{path[0].lower()}/{path[-1].lower()}-{name}"
        return name

    def size_limit(self) -> int:
        return self.ctx.size_limits.get(self.format_name, FORMATS[self.format_name].rules.size_limit)


def run_case(case: Case, ctx: RunContext, index: int) -> CaseRecord:
    """Run one case start to end; never raises: every outcome becomes a record."""
    started = time.monotonic()
    started_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    record = CaseRecord(case_id=case.id, scenario=case.scenario.name, stage=case.scenario.stage.value,
                        criteria=[], format=case.format, credential=case.credential,
                        scheme=case.scheme, driver=case.driver, outcome=Outcome.ERROR, reason="",
                        duration_s=0.0, run_id=ctx.run_id, started_at=started_at,
                        not_applicable=dict(case.not_applicable))
    state: CaseState | None = None
    if case.driver != "http":
        record.client = {k: v for k, v in ctx.clients.get(case.driver, {}).items() if k != "not_run"} or None
    try:
        if ctx.given_project and case.scenario.group_settings is not None:
            raise CaseNotRun("this scenario changes group package settings, which needs a group of its own: "
                             "run it without --project so the harness can create one")
        env = provision_case(ctx, case.id, case.credential, index)
        if env.not_run:
            raise CaseNotRun(env.not_run)
        state = CaseState(case, ctx, env, HttpDriver(ctx.target_url), client=_client_driver(case, ctx))
        if (case.scenario.group_settings is not None and env.group_path
                and FORMATS[case.format].rules.duplicates.switchable):
            settings = case.scenario.group_settings
            ctx.client().set_duplicate_settings(env.group_path, case.format, settings.duplicates == "allowed",
                                                settings.exception_regex)
        if any(step.op == "events" for step in case.scenario.steps):
            state.events_before = _read_events(state)
        try:
            for index_in_case, step in enumerate(case.scenario.steps):
                _run_step(state, step, index_in_case)
        except CaseRefused:
            pass
        record.outcome, record.reason = Outcome.PASSED, _passed_reason(state)
    except CaseNotRun as exc:
        record.outcome, record.reason = Outcome.NOT_RUN, str(exc)
    except CaseNotApplicable as exc:
        record.outcome, record.reason = Outcome.NOT_APPLICABLE, str(exc)
    except StepFailed as exc:
        record.outcome, record.reason = Outcome.FAILED, str(exc)
    except ProvisioningError as exc:
        record.outcome, record.reason = Outcome.ERROR, f"set-up failed: {exc}"
    except Exception as exc:  # the harness itself broke: say where, never blame the target
        record.outcome = Outcome.ERROR
        record.reason = REDACTOR(f"harness error: {type(exc).__name__}: {exc}\n{traceback.format_exc(limit=4)}")
    finally:
        if state is not None:
            record.steps, record.metrics = state.steps, state.metrics
            _finish(state)
        record.duration_s = round(time.monotonic() - started, 3)
    return record


class CaseNotRun(Exception):
    pass


def _client_driver(case: Case, ctx: RunContext) -> ClientDriver | None:
    """The case's real client, ready to run; CaseNotRun with the reason when it cannot run here."""
    if case.driver == "http":
        return None
    from engine.clients.runners import runner_for

    runner, reason = runner_for(case.driver, ctx)
    if runner is None:
        raise CaseNotRun(reason)
    from engine.clients.registry import RECIPES

    return ClientDriver(RECIPES[case.driver], runner, ctx.target_url, Path(ctx.run_dir) / "client-work")


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
    handler = {"push": _push, "pull": _pull, "metadata": _metadata, "list": _list, "search": _list,
               "delete": _delete, "push_many": _push_many, "challenge": _challenge, "tag": _tag, "untag": _tag,
               "tags": _tags, "load": _load, "events": _events, "validate": _validate, "prefixes": _prefixes}[step.op]
    record = StepRecord(name=step.name or f"{index + 1}-{step.op}", op=step.op, actor=step.actor,
                        outcome=Outcome.PASSED, message="")
    state.steps.append(record)
    try:
        handler(state, step, record)
    except StepFailed as exc:
        record.outcome, record.message = Outcome.FAILED, str(exc)
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
    from engine.config import parse_size

    if step.size == "large":
        if state.uses_client(step):
            return int(state.ctx.settings.get("client_large_size") or 64 << 20)
        return int(state.ctx.settings.get("large_size") or 256 << 20)
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


def _artifact(state: CaseState, step: Step, size: int) -> Artifact:
    assert step.package is not None
    return _build_artifact(state.format_name, state.package(step.package), step.package.version, step.package.file,
                           size, step.seed)


@functools.lru_cache(maxsize=2)
def _build_artifact(format_name: str, name: str, version: str, file_hint: str, size: int, seed: int) -> Artifact:
    """Artifacts are deterministic: the cases of one scenario (every credential) share the large ones."""
    return OPERATIONS[format_name].artifact(name, version, file_hint, size, seed)


def _push(state: CaseState, step: Step, record: StepRecord) -> None:
    assert step.package is not None
    credential, scheme = _actor(state, step)
    size = _resolve_size(state, step)
    artifact = _artifact(state, step, size)
    if step.invalid:
        invalid = state.ops.invalid_artifact(state.package(step.package), step.package.version)
        if invalid is None:
            raise CaseNotApplicable(state.ops.no_format_guard)
        artifact, size = invalid, invalid.size
    specs = state.ops.push(state.env.project_id, state.package(step.package), step.package.version, artifact,
                           status=step.status, select=step.select)
    expected = _expected(state, step, specs[0].endpoint, credential, scheme)
    rules = FORMATS[state.format_name].rules
    refusal_status = {"duplicate": rules.duplicates.refused_status, "too_large": rules.too_large_status,
                      "invalid": rules.invalid_status}
    want = step.expect.status or refusal_status.get(step.expect.refusal or "") or specs[0].endpoint.success_status
    if state.uses_client(step):
        _client_push(state, step, record, artifact, expected, want)
        return
    obs = state.driver.send(specs[0], credential, scheme)
    _observe(record, obs)
    record.observed.update({"sent_bytes": obs.sent_size, "body_sent": obs.body_sent})
    if not expected.permitted:
        _check_refusal(record, obs, expected, uploads=True)
    record.expected.update({"status": want, "size": size})
    if step.expect.refusal:
        record.expected["refusal"] = step.expect.refusal
    if obs.status != want:
        if step.expect.refusal == "duplicate":
            raise StepFailed(f"expected the duplicate to be refused with {want} (the format's rules or the group's "
                             f"setting refuse duplicates), got {obs.status}: {_body_hint(obs)}")
        if step.expect.refusal == "invalid":
            raise StepFailed(f"expected {artifact.file_name}, which is not a valid {state.format_name} package, to be "
                             f"refused with {want} (the format guard), got {obs.status}: {_body_hint(obs)}")
        if step.expect.refusal == "too_large":
            raise StepFailed(f"expected {size} bytes, one over the size limit of {state.size_limit()}, to be "
                             f"refused with {want}, got {obs.status}: {_body_hint(obs)}")
        raise StepFailed(f"expected {want} ({expected.reason}), got {obs.status}: {_body_hint(obs)}")
    if step.expect.body_sent is False:
        if step.expect.refusal == "duplicate" and not state.ops.duplicate_checked_before_body():
            record.message = (f"refused with {obs.status}; {state.format_name} names the package inside the body, "
                              "so a duplicate is only known once the body is read")
            return
        if not state.ops.size_checked_before_body():
            record.message = (f"refused with {obs.status}; {state.format_name} wraps the file in the request, so "
                              "its size is only known once the body is read")
            return
        if obs.body_sent:
            raise StepFailed(f"answered {obs.status} only after the whole body was sent; the refusal must "
                             "come before the body is read")
        record.message = f"refused with {obs.status} before the body was sent"
        return
    length = _body_length(specs[0])
    if want == specs[0].endpoint.success_status and length is not None and obs.sent_size != length:
        raise StepFailed(f"only {obs.sent_size} of {length} bytes were sent before the answer")
    if step.expect.json_fields:
        _check_json_fields(obs, step.expect.json_fields, record)
    if 200 <= (obs.status or 0) < 300:
        for extra in specs[1:]:  # the rest of the publish (a Maven pom, checksums, metadata)
            _send_checked(state, step, record, extra, credential, scheme)
        sha = obs.sent_sha256 if obs.sent_sha256 and obs.sent_size == artifact.size else artifact.sha256()
        state.pushed[record.name] = (sha, artifact.size)
    seconds = max(obs.duration_ms / 1000, 1e-6)
    if size >= 16 << 20:
        state.metrics["push_mib_s"] = round(size / (1 << 20) / seconds, 1)
    record.message = f"pushed {artifact.size} bytes in {len(specs)} request(s), answered {obs.status}"


def _body_length(spec: RequestSpec) -> int | None:
    if spec.body_size is not None:
        return spec.body_size
    if isinstance(spec.body, bytes | bytearray):
        return len(spec.body)
    return None


# --- steps through a real client ---------------------------------------------------------------------------


def _client_target(state: CaseState, credential: Credential, scheme: AuthScheme) -> ClientTarget:
    env = state.env
    return ClientTarget(registry_url=state.ctx.target_url.rstrip("/"), project_id=int(env.project_id),
                        credential=credential, scheme=AuthScheme.NONE if credential.token is None else scheme,
                        group_id=env.group_id, group_path=env.group_path,
                        top_group_path=(env.group_path or "").split("/")[0] or None)


def _client_run(state: CaseState, record: StepRecord, op: ClientOp, name: str, version: str,
                artifact: Artifact | None = None, file_name: str = "") -> ClientObservation:
    assert state.client is not None
    credential, scheme = state.env.subject, state.case.scheme
    assert credential is not None
    obs = state.client.run(op, _client_target(state, credential, scheme), name, version, artifact, file_name)
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


def _client_tail(obs: ClientObservation) -> str:
    lines = [line for line in obs.output.strip().splitlines() if line.strip()]
    return " | ".join(lines[-3:])[-400:] or "(no output)"


def _check_client_refusal(record: StepRecord, obs: ClientObservation, status: int, why: str,
                          challenge: bool = False, also: tuple[int, ...] = ()) -> None:
    """A refused client must fail, and the last answer it got must be the refusal the rules say (`also`: the
    refusal of the other endpoint the client asks first, such as npm's package document before its tarball)."""
    record.expected.update({"status": status, "refused": True, "why": why, "exit_code": "non-zero"})
    last = obs.statuses[-1] if obs.statuses else None
    if obs.exit_code == 0:
        raise StepFailed(f"{obs.client} succeeded, but it must be refused with {status} ({why}); the target "
                         f"answered {obs.statuses}")
    if not obs.exchanges and "anonymous" in why:
        record.message = (f"{obs.client} refused to go on without credentials and sent nothing (exit "
                          f"{obs.exit_code}): {_client_tail(obs)}")
        return
    if last != status and last in also:
        status = last
    if last != status:
        raise StepFailed(f"{obs.client} failed as expected, but the target's last answer was {last} "
                         f"(all: {obs.statuses}), expected {status} ({why}): {_client_tail(obs)}")
    if challenge:
        answer = next((e for e in reversed(obs.exchanges) if e.status == status), None)
        www = (answer.response_headers.get("www-authenticate", "") if answer else "")
        if not www.lower().startswith("basic"):
            raise StepFailed(f"{status} without a 'WWW-Authenticate: Basic realm=…' header: clients that "
                             "wait for the challenge never send their credentials")
    record.message = f"{obs.client} refused with {status} as expected ({why})"


def _client_push(state: CaseState, step: Step, record: StepRecord, artifact: Artifact, expected: Expected,
                 want: int) -> None:
    assert step.package is not None
    obs = _client_run(state, record, "push", state.package(step.package), step.package.version, artifact)
    if not expected.permitted:
        assert expected.status is not None
        _check_client_refusal(record, obs, expected.status, expected.reason, expected.challenge)
        raise CaseRefused()
    record.expected.update({"status": want, "size": artifact.size})
    # What the client published, as the format's own requests define it (PyPI remembers the file's sha256 here).
    published = state.ops.push(state.env.project_id, state.package(step.package), step.package.version, artifact)
    if want != published[0].endpoint.success_status:
        _check_client_refusal(record, obs, want, f"refused as a {step.expect.refusal or 'rule'}")
        return
    if obs.exit_code != 0:
        raise StepFailed(f"{obs.client} push exited with {obs.exit_code} (answers {obs.statuses}): "
                         f"{_client_tail(obs)}")
    state.pushed[record.name] = (artifact.sha256(), artifact.size)
    record.message = f"{obs.client} pushed {artifact.size} bytes (answers {obs.statuses})"


def _client_pull(state: CaseState, step: Step, record: StepRecord, expected: Expected, file_name: str) -> None:
    assert step.package is not None
    name = state.package(step.package)
    obs = _client_run(state, record, "pull", name, step.package.version, file_name=file_name)
    if not expected.permitted:
        assert expected.status is not None
        metadata = state.ops.metadata(state.env.project_id, name)
        also: tuple[int, ...] = ()
        if metadata is not None:  # a client resolves the version from the metadata document first
            first = _expected(state, step, metadata.endpoint, *_actor(state, step))
            also = (first.status,) if first.status is not None else ()
        _check_client_refusal(record, obs, expected.status, expected.reason, expected.challenge, also)
        raise CaseRefused()
    if obs.exit_code != 0:
        raise StepFailed(f"{obs.client} pull exited with {obs.exit_code} (answers {obs.statuses}): "
                         f"{_client_tail(obs)}")
    if obs.output_size is None:
        raise StepFailed(f"{obs.client} exited 0 but wrote no {obs.extra.get('output', 'file')}")
    record.observed.update({"size": obs.output_size, "sha256": obs.output_sha256})
    ref = step.expect.same_content_as
    if ref and obs.output_sha256 is not None:
        sha, size = state.pushed[ref]
        record.expected.update({"sha256": sha, "size": size, "same_content_as": ref})
        if obs.output_sha256 != sha:
            raise StepFailed(f"{obs.client} fetched a file that is not the one step {ref!r} pushed: "
                             f"{obs.output_size} bytes with sha256 {obs.output_sha256[:16]}…, expected {size} bytes "
                             f"with {sha[:16]}…")
        record.message = f"{obs.client} pulled {obs.output_size} bytes, checksum as expected"
    else:
        record.message = f"{obs.client} installed the package ({obs.output_size} bytes of {obs.extra.get('output')})"


def _check_json_fields(obs: Observation, fields: list[str], record: StepRecord) -> None:
    try:
        body = obs.json()
    except ValueError as exc:
        raise StepFailed(f"the answer is not JSON: {exc}") from None
    missing = [f for f in fields if not isinstance(body, dict) or f not in body]
    record.expected["json_fields"] = fields
    if missing:
        raise StepFailed(f"the JSON answer lacks {', '.join(missing)}")


def _pull_request(state: CaseState, step: Step) -> tuple[RequestSpec, str]:
    assert step.package is not None
    name = state.package(step.package)
    file_name = state.ops.file_name(name, step.package.version, step.package.file)
    if step.level == "group":
        spec = state.ops.group_pull(_group_id(state), state.env.project_id, name, step.package.version, file_name)
        if spec is None:
            raise CaseNotApplicable(f"{state.format_name} has no group-level download")
        return spec, file_name
    if step.level == "instance":
        raise CaseNotApplicable(f"{state.format_name} has no instance-level download")
    return state.ops.pull(state.env.project_id, name, step.package.version, file_name), file_name


def _group_id(state: CaseState) -> int:
    if state.env.group_id is None:
        raise CaseNotRun("group-level endpoints need the case's own group: run without --project")
    return int(state.env.group_id)


def _pull(state: CaseState, step: Step, record: StepRecord) -> None:
    credential, scheme = _actor(state, step)
    spec, file_name = _pull_request(state, step)
    if step.wait_s is not None and not state.uses_client(step):
        _wait_installable(state, step, record, spec, credential, scheme)
    if state.uses_client(step):
        _client_pull(state, step, record, _expected(state, step, spec.endpoint, credential, scheme), file_name)
        return
    _pull_spec(state, step, record, spec, credential, scheme)


def _metadata(state: CaseState, step: Step, record: StepRecord) -> None:
    """The format's metadata document for a package (npm packument, PyPI simple page, maven-metadata.xml)."""
    assert step.package is not None
    credential, scheme = _actor(state, step)
    name = state.package(step.package)
    if step.level == "group":
        spec = state.ops.group_metadata(_group_id(state), name)
    elif step.level == "instance":
        spec = state.ops.instance_metadata(name)
    else:
        spec = state.ops.metadata(state.env.project_id, name)
    if spec is None:
        raise CaseNotApplicable(f"{state.format_name} has no {step.level}-level metadata endpoint")
    if state.uses_client(step):
        expected = _expected(state, step, spec.endpoint, credential, scheme)
        obs = _client_run(state, record, "metadata", name, step.package.version)
        if not expected.permitted:
            assert expected.status is not None
            _check_client_refusal(record, obs, expected.status, expected.reason, expected.challenge)
            raise CaseRefused()
        if obs.exit_code != 0:
            raise StepFailed(f"{obs.client} metadata exited with {obs.exit_code} (answers {obs.statuses}): "
                             f"{_client_tail(obs)}")
        missing = [v for v in step.expect.versions if v not in obs.output]
        record.expected["versions"] = step.expect.versions
        if missing:
            raise StepFailed(f"{obs.client} did not list version(s) {', '.join(missing)} of {name}: "
                             f"{_client_tail(obs)}")
        record.message = f"{obs.client} read the metadata of {name}" + (
            f": versions {', '.join(step.expect.versions)} listed" if step.expect.versions else "")
        return
    latencies = []
    for _ in range(max(1, step.repeat)):
        obs = _send_checked(state, step, record, spec, credential, scheme)
        latencies.append(obs.duration_ms)
    if len(record.exchanges) > 3:
        record.exchanges = record.exchanges[:1] + record.exchanges[-2:]
    missing = [v for v in step.expect.versions if v.encode() not in obs.body_excerpt]
    record.expected["versions"] = step.expect.versions
    if missing:
        raise StepFailed(f"the metadata of {name} does not mention version(s) {', '.join(missing)}")
    _check_latency(state, step, record, latencies, "metadata")
    record.message = f"metadata of {name}: {obs.body_size} bytes, p95 {_percentile(latencies, 0.95):.0f} ms"


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
        spec = (state.ops.search(state.env.project_id, term, page) if term is not None
                else packages_api.list_packages(state.env.project_id, per_page=100, page=page))
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
        term = state.package(step.package) if not state.env.name_prefix else step.package.name
    result = _list_pages(state, step, record, credential, scheme, term)
    assert result is not None
    items, latencies = result
    listed = {str(i.get("name", "")) for i in items}
    expect = step.expect
    record.observed.update({"packages": len(items), "requests": len(latencies)})
    record.expected.update({k: v for k, v in expect.model_dump().items() if v not in (None, [])})
    names = {n for n in expect.listed + expect.not_listed if state.ops.package_name(state.name(n)) in listed}
    missing = [n for n in expect.listed if n not in names]
    if missing:
        raise StepFailed(f"not in the list: {', '.join(missing)} ({len(items)} packages listed)")
    present = [n for n in expect.not_listed if n in names]
    if present:
        raise StepFailed(f"listed but must not be: {', '.join(present)}")
    for name, want in expect.count_of.items():
        found = sum(1 for i in items if str(i.get("name", "")) == state.ops.package_name(state.name(name)))
        if found != want:
            raise StepFailed(f"{found} packages named {name} in the list, expected {want}: concurrent uploads "
                             "must add files to one package, never create duplicates")
    if expect.min_count is not None:
        want = int(state.ctx.settings.get("metadata_packages", 200)) if expect.min_count == "metadata_packages" \
            else expect.min_count
        record.expected["min_count"] = want
        if len(items) < want:
            raise StepFailed(f"{len(items)} packages listed, expected at least {want}")
    p95 = _check_latency(state, step, record, latencies, "list")
    record.message = f"{len(items)} packages in {len(latencies)} requests, p95 {p95:.0f} ms"


def _check_latency(state: CaseState, step: Step, record: StepRecord, latencies: list[float], what: str) -> float:
    p95, slowest = _percentile(latencies, 0.95), max(latencies)
    record.observed.update({"p95_ms": round(p95, 1), "max_ms": round(slowest, 1)})
    state.metrics.update({f"{what}_p95_ms": round(p95, 1), f"{what}_max_ms": round(slowest, 1)})
    expect = step.expect
    if expect.p95_ms is not None and p95 > expect.p95_ms:
        raise StepFailed(f"p95 latency {p95:.0f} ms over the threshold of {expect.p95_ms:.0f} ms", threshold=True)
    if expect.max_ms is not None and slowest > expect.max_ms:
        raise StepFailed(f"slowest request {slowest:.0f} ms over the threshold of {expect.max_ms:.0f} ms",
                         threshold=True)
    return p95


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
    package_id = _find_package_id(state, state.ops.package_name(state.package(step.package)), step.package.version)
    _send_checked(state, step, record, packages_api.delete_package(state.env.project_id, package_id),
                  credential, scheme)
    record.message = f"deleted package {package_id}"


def _push_many(state: CaseState, step: Step, record: StepRecord) -> None:
    assert step.package is not None
    count = int(state.ctx.settings.get("metadata_packages", 200)) if step.count == "metadata_packages" \
        else int(step.count)
    credential, scheme = _actor(state, step)
    package = step.package

    ops = state.ops

    def one(i: int) -> Observation:
        if step.one_package:
            name, hint = state.name(package.name), f"{i}-{package.file}"
        else:
            name, hint = state.name(f"{package.name}-{i}"), package.file
        seed = 0 if step.one_package else i  # racing uploads of one version carry the same bytes, as a retry does
        specs = ops.push(state.env.project_id, name, package.version,
                         ops.artifact(name, package.version, hint, 256, seed))
        return HttpDriver(state.ctx.target_url).send_all(specs, credential, scheme)

    if step.actor == "subject":  # the subject's answer comes from the permission table, like a single push
        probe = ops.push(state.env.project_id, "probe", "0", ops.artifact("probe", "0", "probe", 0, 0))[0]
        expected = _expected(state, step, probe.endpoint, credential, scheme)
        if not expected.permitted:
            obs = one(0)
            _observe(record, obs)
            _check_refusal(record, obs, expected, uploads=True)

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=step.parallel) as pool:
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
        raise StepFailed(f"{len(bad)} of {count} uploads failed; first: {bad[0].status} {_body_hint(bad[0])}")
    record.exchanges.append(observations[-1].exchange)
    record.message = f"pushed {count} packages in {record.observed['seconds']} s"


def _tag(state: CaseState, step: Step, record: StepRecord) -> None:
    """Point a tag at the package's version (`tag`), or remove it (`untag`): npm's dist-tags."""
    assert step.package is not None and step.tag is not None
    credential, scheme = _actor(state, step)
    version = step.package.version if step.op == "tag" else None
    spec = state.ops.tag(state.env.project_id, state.package(step.package), step.tag, version)
    if spec is None:
        raise CaseNotApplicable(f"{state.format_name} has no tags")
    _send_checked(state, step, record, spec, credential, scheme)
    record.message = (f"tagged {step.package.version} as {step.tag}" if version else f"removed the tag {step.tag}")


def _tags(state: CaseState, step: Step, record: StepRecord) -> None:
    assert step.package is not None
    credential, scheme = _actor(state, step)
    spec = state.ops.tags(state.env.project_id, state.package(step.package))
    if spec is None:
        raise CaseNotApplicable(f"{state.format_name} has no tags")
    obs = _send_checked(state, step, record, spec, credential, scheme)
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
                         f"refusal {refused_status}; first: {other[0].status} {_body_hint(other[0])}")
    if len(won) != 1:
        record.exchanges.extend(o.exchange for o in won[:2])
        raise StepFailed(f"racing uploads of one version: {len(won)} were accepted, exactly one must be (the "
                         "format refuses duplicates)")
    record.exchanges.append(won[0].exchange)
    record.message = (f"{len(observations)} racing uploads: one accepted, {len(observations) - 1} refused as "
                      f"duplicates ({refused_status}) in {seconds} s")


def _challenge(state: CaseState, step: Step, record: StepRecord) -> None:
    """Anonymous first: 401 with a Basic challenge; then the same request over Basic with the credential."""
    assert step.package is not None
    spec, _ = _pull_request(state, step)
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


def _load(state: CaseState, step: Step, record: StepRecord) -> None:
    """A metadata load with the scenario's `in_run` numbers: the case's project is seeded and read by Locust users
    carrying every token kind the run has (each endpoint takes those the permission table lets through)."""
    from engine.load.job import LoadRequest, run_load
    from engine.load.locust_run import LoadRunError
    from harness.load_command import LOAD_CREDENTIALS, LOAD_SCHEMES

    assert step.load is not None and state.env.subject is not None
    client = state.ctx.client()
    credentials, not_carried = [state.env.subject], {}
    for case in LOAD_CREDENTIALS:
        if case is state.env.subject.case or case.value not in state.ctx.settings.get("token_kinds", [case.value]):
            continue
        credential, why = subject_credential(state.ctx, client, state.env, case, f"{state.case.id}-{case.value}")
        if credential is None:
            not_carried[case.value] = why or "unavailable"
        else:
            credentials.append(credential)
    out_dir = Path(state.ctx.run_dir) / "load" / f"{state.case.scenario.name}-{state.format_name}"
    request = LoadRequest(scenario=state.case.scenario.name, format_name=state.format_name,
                          target_url=state.ctx.target_url, owner=state.ctx.owner, project_id=state.env.project_id,
                          group_id=state.env.group_id, credentials=credentials,
                          schemes=[s for s in LOAD_SCHEMES if s.value in state.ctx.settings.get("schemes", [s.value])],
                          spec=step.load.for_run(), out_dir=out_dir, name_prefix=state.env.name_prefix,
                          not_carried=not_carried)
    try:
        outcome = run_load(request)
    except LoadRunError as exc:
        raise RuntimeError(str(exc)) from None
    result = outcome.result
    for task, stats in result["endpoints"].items():
        for key in ("p50_ms", "p95_ms", "p99_ms"):
            if stats.get(key) is not None and task != "all":
                state.metrics[f"load_{task}_{key}"] = stats[key]
    state.metrics["load_rps"] = result["endpoints"]["all"]["rps"]
    growth = result.get("growth")
    if growth and growth.get("exponent_first") is not None:
        state.metrics["load_growth_exponent"] = growth["exponent_first"]
    record.observed.update({"endpoints": result["endpoints"], "growth": growth,
                            "report": str(out_dir.relative_to(state.ctx.run_dir) / "load.html")})
    record.expected.update({"thresholds": result["thresholds"],
                            "max_growth_exponent": step.load.growth.max_exponent if step.load.growth else None})
    if not outcome.passed:
        raise StepFailed("; ".join(outcome.breaches + outcome.findings) + f" (load report: {out_dir / 'load.html'})",
                         threshold=True)
    record.message = f"{outcome.summary()}; load report {out_dir / 'load.html'}"


# --- beta: the MVC checklist's checks -------------------------------------------------------------------------

POLL_S = 0.25


def _wait_installable(state: CaseState, step: Step, record: StepRecord, spec: RequestSpec, credential: Credential,
                      scheme: AuthScheme) -> None:
    """Poll until the package is installable: its metadata document lists the version (formats that have one) and
    its file downloads. GitLab extracts metadata in a background worker; a client must not wait forever."""
    assert step.package is not None and step.wait_s is not None
    expected = _expected(state, step, spec.endpoint, credential, scheme)
    if not expected.permitted:
        return  # the refusal is what the pull itself checks
    name, version = state.package(step.package), step.package.version
    metadata = state.ops.metadata(state.env.project_id, name)
    started = time.monotonic()
    deadline = started + step.wait_s
    waits = [(metadata, lambda obs: obs.status == 200 and version.encode() in obs.body_excerpt)] if metadata else []
    waits.append((spec, lambda obs: obs.status == spec.endpoint.success_status))
    for request, ready in waits:
        while True:
            obs = state.driver.send(request, credential, scheme)
            if ready(obs):
                break
            if time.monotonic() > deadline:
                _observe(record, obs)
                what = "its metadata does not list the version" if request is metadata else "its file answers " \
                    f"{obs.status}"
                raise StepFailed(f"{name} {version} was not installable {step.wait_s:g} s after the push: {what} "
                                 "(background metadata extraction stuck or slow?)")
            time.sleep(POLL_S)
    seconds = round(time.monotonic() - started, 2)
    record.observed["installable_after_s"] = seconds
    record.expected["installable_within_s"] = step.wait_s
    state.metrics["installable_s"] = seconds


def _read_events(state: CaseState) -> dict[tuple[str, str, str], float]:
    from engine import usage_events as events

    obs = state.driver.send(events.request(), state.ctx.owner, AuthScheme.HEADER)
    counts = events.parse(obs.body_excerpt.decode("utf-8", "replace")) if obs.status == 200 else None
    if counts is None:
        raise CaseNotRun(f"the target exposes no {events.EVENTS_METRIC} counters at {events.METRICS.path} "
                         f"(answered {obs.status}): push/pull event tracking cannot be checked here; sign it off")
    return counts


def _events(state: CaseState, step: Step, record: StepRecord) -> None:
    """The usage counters moved with the case's pushes and pulls, for its format and token kind."""
    from engine import usage_events as events

    assert state.events_before is not None and state.env.subject is not None
    kind = state.env.subject.kind.value if state.env.subject.kind else "anonymous"
    after = _read_events(state)
    moved = {event: events.delta(state.events_before, after, state.format_name, event, kind)
             for event in step.expect.events}
    record.observed["events"] = moved
    record.expected["events_at_least"] = dict(step.expect.events)
    short = [f"{event} moved by {moved[event]:g}, expected at least {want}"
             for event, want in step.expect.events.items() if moved[event] < want]
    if short:
        raise StepFailed(f"{events.EVENTS_METRIC}{{format={state.format_name}, token_kind={kind}}}: "
                         + "; ".join(short) + " (the registry does not track these events)")
    record.message = "events counted: " + ", ".join(f"{e} +{v:g}" for e, v in moved.items())


def _validate(state: CaseState, step: Step, record: StepRecord) -> None:
    """Generated names (or versions) that the format's rule allows must be accepted; ones it refuses, refused."""
    from engine import validation

    assert step.rule is not None
    credential, scheme = _actor(state, step)
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


def _prefixes(state: CaseState, step: Step, record: StepRecord) -> None:
    """Every endpoint of the format sits under GitLab's package rate-limit prefixes (the same definitions every
    request of the run was built from, so this holds for the target the run exercised)."""
    from core.format_types import RATE_LIMITED_PREFIXES

    endpoints = list(FORMATS[state.format_name].endpoints.values())
    outside = [e for e in endpoints if not e.rate_limited]
    record.observed["endpoints"] = {e.name: f"{e.method} {e.path}" for e in endpoints}
    record.expected["prefixes"] = list(RATE_LIMITED_PREFIXES)
    if outside:
        raise StepFailed("outside GitLab's package rate-limit prefixes (clients would hit the standard API rate "
                         "limit): " + ", ".join(f"{e.method} {e.path}" for e in outside))
    record.message = f"all {len(endpoints)} endpoints of {state.format_name} are under the package prefixes"
