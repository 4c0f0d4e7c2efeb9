"""What a publish needs around its own requests: a format's set-up sent first, the wait for GitLab's background
processing, the target's plan limits as the run's size limits, and formats without an upload."""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import pytest
import test_reference_server as base

from core import packages_api
from core.credentials import Credential
from core.endpoints import RequestSpec
from core.vocabulary import AuthScheme, CredentialCase, TokenKind
from engine.drivers.http import HttpDriver
from engine.gitlab_api import GitLabClient
from engine.matrix import why_not
from engine.provisioning import read_size_limits
from engine.publishing import PublishProblem, wait_processed
from engine.scenario import load_scenario
from formats import FORMATS, OPERATIONS

start = base.start
registry = base.registry
OWNER = Credential(CredentialCase.PERSONAL_ACCESS_TOKEN, TokenKind.PERSONAL_ACCESS_TOKEN, "glpat-x")
SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"


@dataclass
class Answer:
    status: int
    listed: list[dict[str, Any]]
    body_size: int = 1
    body_excerpt: bytes = b""

    def json(self) -> Any:
        return self.listed


@dataclass
class ListingTarget:
    """Answers the Packages API list with one answer per call, the last one for ever after."""

    answers: list[Answer]
    asked: list[RequestSpec] = field(default_factory=list)

    def send(self, spec: RequestSpec, credential: Credential, scheme: AuthScheme) -> Answer:
        self.asked.append(spec)
        return self.answers[min(len(self.asked), len(self.answers)) - 1]


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def background(monkeypatch: pytest.MonkeyPatch) -> Any:
    """The Generic format's operations, as if GitLab processed its packages in the background."""
    ops = OPERATIONS["generic"]
    rules = ops.format.rules
    monkeypatch.setattr(type(ops), "format", type(ops.format)(ops.format.name, type(rules)(
        **{**{f: getattr(rules, f) for f in rules.__dataclass_fields__}, "processed_in_background": True}),
        ops.format.endpoints))
    return ops


def _wait(target: ListingTarget, ops: Any, clock: Clock, timeout: float = 60) -> float:
    return wait_processed(cast(HttpDriver, target), OWNER, ops, 7, "pkg", "1.0.0", timeout, clock.sleep, clock)


def test_a_format_processed_with_the_upload_is_not_waited_for() -> None:
    target = ListingTarget([Answer(200, [])])
    assert _wait(target, OPERATIONS["generic"], Clock()) == 0.0
    assert target.asked == []


def test_the_wait_ends_once_the_version_is_listed_as_default(background: Any) -> None:
    processing = {"name": "pkg", "version": "1.0.0", "status": "processing"}
    target = ListingTarget([Answer(200, []), Answer(200, [processing]), Answer(200, [{**processing,
                                                                                     "status": "default"}])])
    clock = Clock()
    assert _wait(target, background, clock) > 0
    assert len(target.asked) == 3
    asked = target.asked[0]
    assert asked.endpoint is packages_api.LIST and asked.params["package_name"] == "pkg"
    assert asked.params["package_version"] == "1.0.0"


def test_an_error_status_is_the_targets_failure(background: Any) -> None:
    target = ListingTarget([Answer(200, [{"name": "pkg", "version": "1.0.0", "status": "error"}])])
    with pytest.raises(PublishProblem, match="background processing failed"):
        _wait(target, background, Clock())


def test_a_version_still_processing_after_the_timeout_says_so(background: Any) -> None:
    target = ListingTarget([Answer(200, [{"name": "pkg", "version": "1.0.0", "status": "processing"}])])
    clock = Clock()
    with pytest.raises(PublishProblem, match=r"still not processed after 30 s \(listed as processing\)"):
        _wait(target, background, clock, timeout=30)
    assert clock.now == pytest.approx(30)


def test_the_reference_server_answers_its_size_limits_as_plan_limits(start: Any) -> None:
    reg = start(size_limits={"npm": 1234})
    with GitLabClient(reg.url, base.ADMIN_TOKEN) as client:
        limits, why = read_size_limits(client, {})
    assert limits["npm"] == 1234
    assert limits["generic"] == FORMATS["generic"].rules.size_limit
    assert why.startswith("the target's plan limits")


def test_without_an_administrator_the_defaults_are_used_and_said(registry: base.Registry) -> None:
    user = registry.create("/api/v4/users", {"username": "dev", "name": "dev", "email": "d@example.com",
                                             "force_random_password": True})
    pat = registry.create(f"/api/v4/users/{user['id']}/personal_access_tokens", {"name": "p", "scopes": ["api"]})
    with GitLabClient(registry.url, pat["token"]) as client:
        limits, why = read_size_limits(client, {"npm": 99})
    assert limits == {"npm": 99}
    assert "GitLab's default plan limits" in why and "403" in why


def test_a_format_without_an_upload_has_no_subject_pushes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(type(OPERATIONS["generic"]), "no_upload", "a version is a tag of the repository")
    small_push = load_scenario(SCENARIOS / "experiment" / "small-push.yaml")
    pull = load_scenario(SCENARIOS / "experiment" / "pull.yaml")
    assert why_not(small_push, "generic") == ("generic has no upload for the case's credential to try: a version "
                                              "is a tag of the repository")
    assert why_not(pull, "generic") is None  # the owner publishes (the set-up alone), the subject pulls
