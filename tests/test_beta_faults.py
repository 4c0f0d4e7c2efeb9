"""The reference server's faults for the beta-stage checks (core/faults.py): events_not_tracked,
no_format_guard, loose_name_rule, at_limit_refused and processing_stuck.

Each test runs the same requests (the formats' own operations, sent by the HTTP driver) against a server with the
fault and one without, and asserts the misbehaviour on the first and the correct behaviour on the second, for every
format the fault applies to. Servers run in-process on loopback ports with their data under `tmp_path` (xdist-safe).
"""

import json
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from test_reference_server import ADMIN_TOKEN, Registry

from core import packages_api
from core.credentials import Credential, auth_headers
from core.format_types import Artifact, RequestSpec
from core.vocabulary import AuthScheme, CredentialCase, TokenKind
from engine import usage_events as events
from engine.drivers.base import Observation
from engine.drivers.http import HttpDriver
from formats import FORMATS, OPERATIONS
from formats.maven import coordinates
from formats.pypi import upload as pypi_upload
from reference_server import Fault, ServerSettings, running_server

ALL_FORMATS = ("generic", "npm", "pypi", "maven")
GUARDED_FORMATS = ("npm", "pypi")  # the formats with a format guard (Generic and Maven take any file)
LIMIT = 4096  # every format's size limit in the at_limit_refused test (artifacts of this size are exact)
OWNER = Credential(CredentialCase.PERSONAL_ACCESS_TOKEN, TokenKind.PERSONAL_ACCESS_TOKEN, ADMIN_TOKEN)
VERSION = "1.0.0"


def scheme_for(spec: RequestSpec) -> AuthScheme:
    """The token header where the endpoint reads it, else what it does read (npm: Bearer, PyPI: Basic)."""
    for scheme in (AuthScheme.HEADER, AuthScheme.BASIC, AuthScheme.BEARER):
        if scheme in spec.endpoint.auth.schemes:
            return scheme
    raise AssertionError(f"{spec.endpoint.name} accepts no token scheme")


@dataclass
class Target:
    """One running server, a project in a group, and the HTTP driver, sending as the admin's personal token."""

    registry: Registry
    driver: HttpDriver
    project_id: int

    def send(self, spec: RequestSpec) -> Observation:
        return self.driver.send(spec, OWNER, scheme_for(spec))

    def push(self, fmt: str, name: str, version: str = VERSION, size: int = 3000, seed: int = 0,
             artifact: Artifact | None = None) -> Observation:
        """Every request of the format's push (a Maven deploy is several); the first answer that is not a success,
        else the first answer."""
        ops = OPERATIONS[fmt]
        artifact = artifact or ops.artifact(name, version, "file.bin", size, seed)
        specs = ops.push(self.project_id, name, version, artifact)
        return self.driver.send_all(specs, OWNER, scheme_for(specs[0]))

    def pull(self, fmt: str, name: str, version: str = VERSION, size: int = 3000, seed: int = 0) -> Observation:
        """Download the file `push` stored with the same arguments (PyPI's URL carries its sha256)."""
        ops = OPERATIONS[fmt]
        artifact = ops.artifact(name, version, "file.bin", size, seed)
        if fmt == "pypi":
            spec = OPERATIONS["pypi"].pull(self.project_id, name, version,  # type: ignore[call-arg]
                                           artifact.file_name, sha256=artifact.sha256())
        else:
            spec = ops.pull(self.project_id, name, version, artifact.file_name)
        return self.send(spec)

    def listed(self, fmt: str, name: str, version: str = VERSION) -> bool:
        """True when the format's metadata document (the Packages API list for Generic) shows the version."""
        ops = OPERATIONS[fmt]
        spec = ops.metadata(self.project_id, name) or packages_api.list_packages(
            self.project_id, package_type=ops.package_type, package_name=name)
        obs = self.send(spec)
        if obs.status == 404:
            return False
        assert obs.status == 200, obs.body_excerpt[:300]
        text = obs.body_excerpt.decode("utf-8", "replace")
        if fmt == "npm":
            return version in obs.json()["versions"]
        if fmt == "pypi":
            return ops.file_name(name, version, "file.bin") in text
        if fmt == "maven":
            return f"<version>{version}</version>" in text
        return any(p["name"] == name and p["version"] == version for p in obs.json())

    def packages(self, **params: Any) -> list[dict[str, Any]]:
        response = self.registry.packages(self.project_id, **params)
        assert response.status_code == 200, response.text
        return list(response.json())

    def event_counts(self) -> events.Counts:
        obs = self.send(events.request())
        counts = events.parse(obs.body_excerpt.decode())
        assert obs.status == 200 and counts is not None, "the counter family is exposed, with or without the fault"
        return counts


Serve = Callable[..., Target]


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Serve]:
    """Start a reference server with some faults (and size limits); each stops at the end of the test."""
    with ExitStack() as stack:
        def start(*faults: Fault, size_limits: dict[str, int] | None = None) -> Target:
            data_dir = tmp_path / f"data-{len(stack._exit_callbacks)}"
            url = stack.enter_context(running_server(ServerSettings(
                data_dir=data_dir, admin_token=ADMIN_TOKEN, faults=frozenset(faults), size_limits=size_limits or {})))
            registry = Registry(url, data_dir)
            group = registry.group("beta")
            project = registry.project(group["id"], "proj")
            driver = stack.enter_context(HttpDriver(url))
            return Target(registry, driver, project["id"])
        yield start


def success(fmt: str) -> int:
    """What the format's upload answers when it stores the file."""
    return FORMATS[fmt].endpoint("publish" if fmt == "npm" else "upload").success_status


def package_name(fmt: str, name: str) -> str:
    return f"@beta/{name}" if fmt == "npm" else name


# events_not_tracked


def test_events_not_tracked_counts_nothing(serve: Serve) -> None:
    tracking, silent = serve(), serve(Fault.EVENTS_NOT_TRACKED)
    for target, counted in ((tracking, 1.0), (silent, 0.0)):
        before = target.event_counts()
        for fmt in ALL_FORMATS:
            name = package_name(fmt, "evented")
            assert target.push(fmt, name).status == success(fmt)
            assert target.pull(fmt, name).status == 200
        after = target.event_counts()
        for fmt in ALL_FORMATS:
            for event in ("push", "pull"):
                moved = events.delta(before, after, fmt, event, TokenKind.PERSONAL_ACCESS_TOKEN.value)
                assert moved == counted, (fmt, event, moved)
    assert not silent.event_counts()  # not a single sample, for any format


# no_format_guard


def test_no_format_guard_stores_what_is_not_a_package(serve: Serve) -> None:
    guarded, unguarded = serve(), serve(Fault.NO_FORMAT_GUARD)
    for fmt in GUARDED_FORMATS:
        ops = OPERATIONS[fmt]
        name = package_name(fmt, "not-a-package")
        invalid = ops.invalid_artifact(name, VERSION)
        assert invalid is not None
        refused = guarded.push(fmt, name, artifact=invalid)
        assert refused.status == FORMATS[fmt].rules.invalid_status == 400, fmt
        assert "not an npm package" in refused.body_excerpt.decode() if fmt == "npm" else \
            "not a valid distribution" in refused.body_excerpt.decode()
        assert not guarded.listed(fmt, name)

        accepted = unguarded.push(fmt, name, artifact=invalid)
        assert accepted.status == success(fmt), (fmt, accepted.body_excerpt[:300])
        assert unguarded.listed(fmt, name)
        if fmt == "pypi":
            download = unguarded.send(OPERATIONS["pypi"].pull(  # type: ignore[call-arg]
                unguarded.project_id, name, VERSION, invalid.file_name, sha256=invalid.sha256()))
        else:
            download = unguarded.send(ops.pull(unguarded.project_id, name, VERSION, invalid.file_name))
        assert download.status == 200 and download.body_sha256 == invalid.sha256(), fmt
    # A corrupted npm attachment is still refused by its digests: the fault drops the format guard only.
    npm_ops = OPERATIONS["npm"]
    spec = npm_ops.push(unguarded.project_id, "@beta/corrupt", VERSION,
                        npm_ops.invalid_artifact("@beta/corrupt", VERSION))[0]
    document = json.loads(b"".join(spec.body) if not isinstance(spec.body, bytes) else spec.body)  # type: ignore[arg-type]
    document["versions"][VERSION]["dist"]["shasum"] = "0" * 40
    spec.body, spec.body_size = json.dumps(document).encode(), None
    assert unguarded.send(spec).status == 400
    # Generic and Maven have no format guard to drop.
    assert all(OPERATIONS[fmt].invalid_artifact("x", VERSION) is None for fmt in ("generic", "maven"))


# loose_name_rule

INVALID_NAMES = {  # each refused by the format's name rule, routable, and storable
    "generic": "bad name",
    "npm": "BadName",
    "pypi": "bad name",
    "maven": "bad name",
}


def test_loose_name_rule_accepts_names_the_rule_refuses(serve: Serve) -> None:
    strict, loose = serve(), serve(Fault.LOOSE_NAME_RULE)
    for fmt, name in INVALID_NAMES.items():
        assert not FORMATS[fmt].rules.name_pattern.fullmatch(name), fmt
        refused = strict.push(fmt, name)
        assert refused.status == 400, (fmt, refused.status, refused.body_excerpt[:300])
        assert b"invalid" in refused.body_excerpt, fmt

        accepted = loose.push(fmt, name)
        assert accepted.status == success(fmt), (fmt, accepted.status, accepted.body_excerpt[:300])
        assert loose.listed(fmt, name), fmt
        assert loose.pull(fmt, name).status == 200, fmt
        stored = {p["name"] for p in loose.packages(package_type=OPERATIONS[fmt].package_type)}
        assert OPERATIONS[fmt].package_name(name) in stored, (fmt, stored)

        # Versions are still checked, by the server with and without the fault.
        good = package_name(fmt, "good-name")
        for target in (strict, loose):
            artifact = OPERATIONS[fmt].artifact(good, VERSION, "file.bin", 3000, 0)
            bad_version = target.push(fmt, good, version="1.0 beta", artifact=artifact)
            assert bad_version.status == 400, (fmt, bad_version.status)


def test_loose_name_rule_still_refuses_names_that_cannot_be_stored(serve: Serve) -> None:
    """npm stores its tarball under a file name made of the package name: one that leaves its directory is
    refused (400), never written, and never a 500."""
    loose = serve(Fault.LOOSE_NAME_RULE)
    escaping = loose.push("npm", "../../escaped")
    assert escaping.status == 400 and b"cannot be stored" in escaping.body_excerpt
    assert not loose.packages()
    assert not list(loose.registry.data_dir.rglob("escaped*"))


# at_limit_refused


def chunked_post(target: Target, spec: RequestSpec) -> int:
    """The request without a Content-Length (chunked): the server learns the file's size only by reading it."""
    headers = {**spec.headers, **auth_headers(OWNER, scheme_for(spec))}
    body = spec.body if not isinstance(spec.body, bytes) else iter([spec.body])
    response = requests.post(target.driver.base_url + spec.path, data=iter(body),  # type: ignore[arg-type]
                             headers=headers, timeout=30)
    return response.status_code


def test_at_limit_refused_refuses_a_file_of_exactly_the_limit(serve: Serve) -> None:
    limits = dict.fromkeys(ALL_FORMATS, LIMIT)
    exact, off_by_one = serve(size_limits=limits), serve(Fault.AT_LIMIT_REFUSED, size_limits=limits)
    for fmt in ("generic", "npm", "maven"):  # PyPI's form fields count in its Content-Length: see the next test
        too_large = FORMATS[fmt].rules.too_large_status
        under = package_name(fmt, "under-limit")
        assert off_by_one.push(fmt, under, size=LIMIT - 1).status == success(fmt), fmt
        assert exact.push(fmt, under, size=LIMIT - 1).status == success(fmt), fmt
        assert exact.push(fmt, package_name(fmt, "over-limit"), size=LIMIT + 1).status == too_large, fmt
        at = package_name(fmt, "at-limit")
        assert exact.push(fmt, at, size=LIMIT).status == success(fmt), fmt
        refused = off_by_one.push(fmt, at, size=LIMIT)
        assert refused.status == too_large, (fmt, refused.status, refused.body_excerpt[:300])
        assert f"{LIMIT} bytes".encode() in refused.body_excerpt, fmt
        assert not off_by_one.listed(fmt, at), fmt

    # Generic and Maven without a declared length: the size is only known while reading.
    for fmt in ("generic", "maven"):
        ops = OPERATIONS[fmt]
        name = package_name(fmt, "chunked")
        spec = ops.push(exact.project_id, name, VERSION, ops.artifact(name, VERSION, "f.bin", LIMIT, 0))[0]
        body = b"".join(spec.body) if spec.body is not None and not isinstance(spec.body, bytes) else spec.body
        too_large = FORMATS[fmt].rules.too_large_status
        for target, status in ((exact, spec.endpoint.success_status), (off_by_one, too_large)):
            headers = {**spec.headers, **auth_headers(OWNER, scheme_for(spec))}
            response = requests.put(target.driver.base_url + spec.path, data=iter([body]), headers=headers,
                                    timeout=30)
            assert response.status_code == status, (fmt, response.text)


def test_at_limit_refused_pypi_by_declared_length_and_while_reading(serve: Serve) -> None:
    """PyPI's file travels in a form whose other fields come first: once they are read, the declared length gives
    the file's exact size before its bytes arrive. Without a declared length the size is known while reading.
    Both comparisons are off by one under the fault."""
    limits = {"pypi": LIMIT}
    exact, off_by_one = serve(size_limits=limits), serve(Fault.AT_LIMIT_REFUSED, size_limits=limits)
    too_large = FORMATS["pypi"].rules.too_large_status
    ops = OPERATIONS["pypi"]
    for target, at_limit in ((exact, 201), (off_by_one, too_large)):
        for size, status in ((LIMIT - 1, 201), (LIMIT, at_limit), (LIMIT + 1, too_large)):
            name = f"sized-{size}"
            spec = pypi_upload(target.project_id, name, VERSION, ops.artifact(name, VERSION, "f.bin", size, 0))
            observed = target.send(spec)
            assert observed.status == status, (target, size, observed.body_excerpt[:200])
        spec = pypi_upload(target.project_id, "streamed-under", VERSION,
                           ops.artifact("streamed-under", VERSION, "f.bin", LIMIT - 1, 0))
        assert chunked_post(target, spec) == 201
    # While reading: a file of exactly the limit, sent without a Content-Length.
    for target, status in ((exact, 201), (off_by_one, too_large)):
        spec = pypi_upload(target.project_id, "streamed", VERSION, ops.artifact("streamed", VERSION, "f.bin", LIMIT, 0))
        assert chunked_post(target, spec) == status
    under = [f"sized-{LIMIT - 1}", "streamed-under"]
    assert sorted(p["name"] for p in off_by_one.packages()) == under
    assert sorted(p["name"] for p in exact.packages()) == sorted([*under, f"sized-{LIMIT}", "streamed"])


# processing_stuck


def test_processing_stuck_push_succeeds_but_nothing_is_installable(serve: Serve) -> None:
    ready, stuck = serve(), serve(Fault.PROCESSING_STUCK)
    for target in (ready, stuck):
        for fmt in ALL_FORMATS:
            name = package_name(fmt, "fresh")
            target.listed(fmt, name)  # a document built (and cached, where it is a 200) before the push
    for fmt in ALL_FORMATS:
        name = package_name(fmt, "fresh")
        for target in (ready, stuck):
            assert target.push(fmt, name).status == success(fmt), fmt
        assert ready.listed(fmt, name) and ready.pull(fmt, name).status == 200, fmt
        assert not stuck.listed(fmt, name), fmt
        assert stuck.pull(fmt, name).status == 404, fmt
        # A second version is stuck too, while asking again for the document (the cache) changes nothing.
        assert stuck.push(fmt, name, version="1.0.1").status == success(fmt), fmt
        assert not stuck.listed(fmt, name, "1.0.1") and not stuck.listed(fmt, name), fmt
        assert ready.push(fmt, name, version="1.0.1").status == success(fmt), fmt
        assert ready.listed(fmt, name, "1.0.1") and ready.listed(fmt, name), fmt

    # The stuck packages exist, in GitLab's `processing` state, with every file their push sent.
    processing = stuck.packages(status="processing")
    assert {(p["package_type"], p["version"]) for p in processing} == {
        (fmt, v) for fmt in ALL_FORMATS for v in (VERSION, "1.0.1")}
    assert not stuck.packages()  # the default listing leaves them out, as every metadata document does
    assert all(p["status"] == "default" for p in ready.packages())
    maven = next(p for p in processing if p["package_type"] == "maven" and p["version"] == VERSION)
    maven_files = {f["file_name"] for f in stuck.registry.files(stuck.project_id, maven["id"])}
    coords = coordinates("fresh", VERSION)
    assert maven_files == {coords.file_name("jar"), coords.file_name("pom")}

    # Duplicate detection still sees the stuck version: npm refuses a second publish of it, as without the fault.
    for target in (ready, stuck):
        again = target.push("npm", "@beta/fresh", seed=1)
        assert again.status == FORMATS["npm"].rules.duplicates.refused_status
    # npm's dist-tags never point at a version that is still processing.
    tags = stuck.send(OPERATIONS["npm"].tags(stuck.project_id, "@beta/fresh"))  # type: ignore[arg-type]
    assert tags.status == 404
