"""Expand scenarios into cases: scenario × format × credential × auth scheme × driver."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from core.client_recipe import ClientRecipe
from core.vocabulary import AuthScheme, CredentialCase, Operation
from engine.clients.registry import recipes_for
from engine.config import Settings
from engine.scenario import Scenario, Step
from formats import FORMATS


@dataclass(frozen=True)
class Case:
    scenario: Scenario
    path: Path
    format: str
    credential: CredentialCase
    scheme: AuthScheme
    driver: str = "http"

    @property
    def params_id(self) -> str:
        return f"{self.format}-{self.credential.value}-{self.scheme.value}-{self.driver}"

    @property
    def id(self) -> str:
        return f"{self.scenario.name}[{self.params_id}]"


SCHEME_ORDER = [AuthScheme.HEADER, AuthScheme.BASIC, AuthScheme.BEARER]


def _schemes_of(format_name: str) -> list[AuthScheme]:
    """The schemes the format's own push and pull endpoints accept (not the shared Packages API's)."""
    accepted: set[AuthScheme] = set()
    for endpoint in FORMATS[format_name].endpoints.values():
        if endpoint.operation in (Operation.PUSH, Operation.PULL):
            accepted |= endpoint.accepted_schemes
    return [s for s in SCHEME_ORDER if s in accepted]


def format_fits(scenario: Scenario, format_name: str) -> bool:
    """A scenario that needs duplicates allowed, or an exceptions regex, runs only for formats that have the
    setting (Generic, Maven); npm and PyPI always refuse duplicates."""
    settings = scenario.group_settings
    policy = FORMATS[format_name].rules.duplicates
    if settings is None or policy.switchable:
        return True
    return settings.duplicates == "rejected" and not settings.exception_regex and not policy.allowed_by_default


def client_can_run(recipe: ClientRecipe, scenario: Scenario) -> bool:
    """A real client runs a scenario when it can do every step the case's credential takes; the owner's set-up
    steps go over HTTP. Options only GitLab's API has (status, select) and bulk steps stay with the HTTP driver."""
    subject_steps = [s for s in scenario.steps if s.actor == "subject"]
    return scenario.clients and bool(subject_steps) and all(_client_step(recipe, s) for s in subject_steps)


def _client_step(recipe: ClientRecipe, step: Step) -> bool:
    if step.op not in recipe.operations:
        return False
    return step.status is None and step.select is None and not step.expect.json_fields and step.level == "project"


def expand(path: Path, scenario: Scenario, settings: Settings) -> list[Case]:
    """Every case of one scenario that the run's selection keeps, in a stable order."""
    formats = list(FORMATS) if scenario.formats == "all" else scenario.formats
    credentials = list(CredentialCase) if scenario.credentials == "all" else scenario.credentials
    wanted_schemes = [AuthScheme(s) for s in settings.schemes]
    cases = []
    for format_name in formats:
        if format_name not in settings.formats or not format_fits(scenario, format_name):
            continue
        schemes = _schemes_of(format_name)
        if scenario.schemes != "all":
            schemes = [s for s in schemes if s in scenario.schemes]
        schemes = [s for s in schemes if s in wanted_schemes]
        drivers: list[tuple[str, list[AuthScheme]]] = []
        if settings.wants_driver("http"):
            drivers.append(("http", schemes))
        if settings.clients != "none":
            for recipe in recipes_for(format_name):
                if settings.wants_driver(recipe.name) and client_can_run(recipe, scenario):
                    drivers.append((recipe.name, [s for s in recipe.schemes if s in wanted_schemes]))
        for driver, driver_schemes in drivers:
            if not driver_schemes:
                continue
            for credential in credentials:
                if credential.value not in settings.token_kinds:
                    continue
                for scheme in [AuthScheme.NONE] if credential is CredentialCase.ANONYMOUS else driver_schemes:
                    cases.append(Case(scenario, path, format_name, credential, scheme, driver))
    return cases
