"""What a publish needs around its own requests, for the steps and the load seeder alike: the format's set-up sent
with the owner's token first (`FormatOperations.prepare`: Composer's and Go's commit and tag), and, for a format
GitLab processes in the background (`FormatRules.processed_in_background`), the wait until the Packages API lists
the version as `default` — before that a client cannot find it, on GitLab as on the reference server."""

from __future__ import annotations

import time
from collections.abc import Callable

from core import packages_api
from core.credentials import Credential
from core.format_types import Artifact, FormatOperations
from core.vocabulary import AuthScheme
from engine.drivers.base import Observation
from engine.drivers.http import HttpDriver

PROCESSING_TIMEOUT = 60.0  # seconds a background extraction may take before the publish counts as stuck
POLL_START = 0.05  # seconds before the first re-check; doubled each time up to POLL_MAX
POLL_MAX = 1.0


class PublishProblem(Exception):
    """The target failed the set-up of a publish or never finished processing it: the message says which."""

    def __init__(self, message: str, observation: Observation | None = None) -> None:
        super().__init__(message)
        self.observation = observation


def prepare(driver: HttpDriver, owner: Credential, ops: FormatOperations, project_id: int | str, name: str,
            version: str, artifact: Artifact) -> list[Observation]:
    """Send the format's set-up for a publish with the owner's token; PublishProblem at the first refusal."""
    observations = []
    for spec in ops.prepare(project_id, name, version, artifact):
        obs = driver.send(spec, owner, AuthScheme.HEADER)
        observations.append(obs)
        if obs.status != spec.endpoint.success_status:
            excerpt = obs.body_excerpt[:200].decode("utf-8", "replace")
            raise PublishProblem(f"setting up {name} {version} for {ops.format.name}: {spec.endpoint.method} "
                                 f"{spec.path} ({spec.endpoint.name}) answered {obs.status} {obs.error or ''}"
                                 f"{excerpt}, expected {spec.endpoint.success_status}", obs)
    if observations:
        ops.prepared(project_id, name, version, [_json_or_none(obs) for obs in observations])
    return observations


def _json_or_none(obs: Observation) -> object:
    try:
        return obs.json()
    except ValueError:
        return None


def wait_processed(driver: HttpDriver, owner: Credential, ops: FormatOperations, project_id: int | str, name: str,
                   version: str, timeout: float = PROCESSING_TIMEOUT,
                   sleep: Callable[[float], None] = time.sleep,
                   clock: Callable[[], float] = time.monotonic) -> float:
    """For a format processed in the background, wait until the Packages API lists `name` `version` with status
    `default`; the seconds waited. PublishProblem when GitLab marks it `error` or it is still not processed after
    `timeout` seconds. Formats processed with the upload return at once."""
    if not ops.format.rules.processed_in_background:
        return 0.0
    package_name = ops.package_name(name)
    spec = packages_api.list_packages(project_id, package_type=ops.package_type, package_name=package_name,
                                      package_version=version)
    started = clock()
    pause = POLL_START
    last = "not listed"
    while True:
        obs = driver.send(spec, owner, AuthScheme.HEADER)
        if obs.status == 200:
            try:
                listed = obs.json()
            except ValueError as exc:
                raise PublishProblem(f"the Packages API list for {package_name} is not JSON: {exc}", obs) from None
            statuses = [p.get("status") for p in listed if isinstance(p, dict)
                        and p.get("name") == package_name and p.get("version") == version]
            if "default" in statuses:
                if _none_processing(driver, owner, ops, project_id, package_name, version, started, timeout,
                                    sleep, clock):
                    return round(clock() - started, 2)
                last = "listed, with an upload of the format still processing"
            if "error" in statuses:
                raise PublishProblem(f"{package_name} {version} was accepted but its background processing failed: "
                                     "the Packages API lists it with status 'error'", obs)
            last = f"listed as {', '.join(map(str, statuses))}" if statuses else "not listed yet"
        else:
            last = f"the Packages API answered {obs.status}"
        waited = clock() - started
        if waited >= timeout:
            raise PublishProblem(f"{package_name} {version} was accepted but is still not processed after "
                                 f"{waited:.0f} s ({last}): {ops.format.name} extracts a package's metadata in the "
                                 "background, and a client cannot install it until that ends", obs)
        sleep(min(pause, max(timeout - waited, 0.0)))
        pause = min(pause * 2, POLL_MAX)


def package_ids(driver: HttpDriver, owner: Credential, ops: FormatOperations, project_id: int | str) -> set[object]:
    """The ids of the project's packages of the format (every status GitLab lists), before an upload."""
    obs = driver.send(packages_api.list_packages(project_id, package_type=ops.package_type), owner, AuthScheme.HEADER)
    try:
        listed = obs.json() if obs.status == 200 else []
    except ValueError:
        listed = []
    return {p.get("id") for p in listed if isinstance(p, dict)}


def wait_rejected(driver: HttpDriver, owner: Credential, ops: FormatOperations, project_id: int | str, name: str,
                  version: str, before: set[object], timeout: float = PROCESSING_TIMEOUT,
                  sleep: Callable[[float], None] = time.sleep,
                  clock: Callable[[], float] = time.monotonic, what: str = "") -> str:
    """For a format whose format guard runs in GitLab's background processing (`FormatRules.invalid_in_background`:
    the upload is accepted; the extraction finds it is no package, and marks it `error` or destroys it), wait until
    none of the project's packages of the format is `processing` any more, and check that no package the upload
    made (one not among `before`, the ids listed before it) became installable. How it ended; PublishProblem when
    one became installable or is still processing after `timeout` seconds."""
    package_name = ops.package_name(name)
    what = what or f"a file that is not a valid {ops.format.name} package"
    spec = packages_api.list_packages(project_id, package_type=ops.package_type)
    started = clock()
    pause = POLL_START
    while True:
        obs = driver.send(spec, owner, AuthScheme.HEADER)
        listed: list[dict[str, object]] = []
        if obs.status == 200:
            try:
                listed = [p for p in obs.json() if isinstance(p, dict)]
            except ValueError as exc:
                raise PublishProblem(f"the Packages API list is not JSON: {exc}", obs) from None
            mine = [p for p in listed if p.get("id") not in before]
            installable = [p for p in mine if p.get("status") == "default"]
            if installable:
                made = ", ".join(f"{p.get('name')} {p.get('version')}" for p in installable)
                raise PublishProblem(f"{package_name} {version}, {what}, was accepted and processed into an "
                                     f"installable package ({made}): "
                                     "the background processing must refuse it (status error, or the package "
                                     "removed)", obs)
            if not any(p.get("status") == "processing" for p in listed):
                return "marked 'error'" if mine else "removed by the background processing"
        waited = clock() - started
        if waited >= timeout:
            raise PublishProblem(f"the background processing of {package_name} {version} ({what}) has not ended "
                                 f"after {waited:.0f} s", obs)
        sleep(min(pause, max(timeout - waited, 0.0)))
        pause = min(pause * 2, POLL_MAX)


def _none_processing(driver: HttpDriver, owner: Credential, ops: FormatOperations, project_id: int | str,
                     package_name: str, version: str, started: float, timeout: float,
                     sleep: Callable[[float], None], clock: Callable[[], float]) -> bool:
    """True once the Packages API lists no package of the format `processing` in the project. A new upload of a
    version that exists already is processed under another package (Helm's `Helm.Temporary.Package`, renamed
    into the existing one when it is done), so the version being `default` does not tell that the upload's file is
    in place; the project's uploads still processing do."""
    spec = packages_api.list_packages(project_id, package_type=ops.package_type, status="processing")
    pause = POLL_START
    while True:
        obs = driver.send(spec, owner, AuthScheme.HEADER)
        try:
            if obs.status == 200 and not obs.json():
                return True
        except ValueError:
            return True  # not a list: nothing to wait for
        if clock() - started >= timeout:
            raise PublishProblem(f"{package_name} {version} is listed, but an upload of {ops.format.name} in the "
                                 f"project is still processing after {timeout:.0f} s", obs)
        sleep(pause)
        pause = min(pause * 2, POLL_MAX)
