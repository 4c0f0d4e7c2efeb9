"""Reading what the registry holds: a package's metadata document (npm packument, PyPI simple page,
maven-metadata.xml) at project, group or instance level, and the Packages API list and search, page by page."""

from __future__ import annotations

from typing import Any

from core import packages_api
from core.credentials import Credential
from core.results import StepRecord
from core.vocabulary import AuthScheme
from engine.cases.checks import check_latency, check_missing, expected, percentile, send_checked
from engine.cases.errors import CaseNotApplicable, StepFailed
from engine.cases.registry import step_kind
from engine.cases.state import CaseState
from engine.cases.steps.clients import client_metadata
from engine.cases.steps.truth import check_truthful, readable
from engine.drivers.base import Observation
from engine.scenario import Step

MAX_LIST_PAGES = 50


@step_kind("metadata")
def metadata(state: CaseState, step: Step, record: StepRecord) -> None:
    """The format's metadata document for a package, as often as the step repeats it (latency measured)."""
    assert step.package is not None
    name = state.package(step.package)
    if step.level == "group":
        spec = state.ops.group_metadata(state.group_id(), name)
    elif step.level == "instance":
        spec = state.ops.instance_metadata(name)
    else:
        spec = state.metadata_spec(name)
    if spec is None:
        raise CaseNotApplicable(f"{state.format_name} has no {step.level}-level metadata endpoint")
    credential, scheme = state.actor(step, spec.endpoint)
    if step.expect.forwarded is not None:
        check_missing(state, step, record, spec, credential, scheme, name)
        return
    if state.uses_client(step):
        client_metadata(state, step, record, expected(state, step, spec.endpoint, credential, scheme), name)
        return
    if step.expect.truthful:
        spec = readable(spec)
    latencies = []
    obs: Observation | None = None
    for _ in range(max(1, step.repeat)):
        obs = send_checked(state, step, record, spec, credential, scheme)
        latencies.append(obs.duration_ms)
    assert obs is not None
    if len(record.exchanges) > 3:
        record.exchanges = record.exchanges[:1] + record.exchanges[-2:]
    missing = [v for v in step.expect.versions if v.encode() not in obs.body_excerpt]
    record.expected["versions"] = step.expect.versions
    if missing:
        raise StepFailed(f"the metadata of {name} does not mention version(s) {', '.join(missing)}")
    check_latency(state, step, record, latencies, "metadata")
    record.message = f"metadata of {name}: {obs.body_size} bytes, p95 {percentile(latencies, 0.95):.0f} ms"
    if step.expect.truthful:
        record.message += "; " + check_truthful(state, step, record, spec, credential, scheme, name, obs)


def _list_pages(state: CaseState, step: Step, record: StepRecord, credential: Credential,
                scheme: AuthScheme, term: str | None) -> tuple[list[dict[str, Any]], list[float]]:
    """Every page of the package list (or search), and each page's latency."""
    items: list[dict[str, Any]] = []
    latencies: list[float] = []
    for page in range(1, MAX_LIST_PAGES + 1):
        spec = (state.ops.search(state.env.project_id, term, page) if term is not None
                else packages_api.list_packages(state.env.project_id, per_page=100, page=page))
        obs = send_checked(state, step, record, spec, credential, scheme)
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


@step_kind("list", "search")
def list_packages(state: CaseState, step: Step, record: StepRecord) -> None:
    """The project's packages (or a search for the step's package): who is listed, how often, how many."""
    credential, scheme = state.actor(step)
    term = None
    if step.op == "search":
        assert step.package is not None
        term = state.package(step.package) if not state.env.name_prefix else step.package.name
    items, latencies = _list_pages(state, step, record, credential, scheme, term)
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
        least = int(state.ctx.settings.get("metadata_packages", 200)) if expect.min_count == "metadata_packages" \
            else expect.min_count
        record.expected["min_count"] = least
        if len(items) < least:
            raise StepFailed(f"{len(items)} packages listed, expected at least {least}")
    p95 = check_latency(state, step, record, latencies, "list")
    record.message = f"{len(items)} packages in {len(latencies)} requests, p95 {p95:.0f} ms"
