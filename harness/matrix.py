"""Expand scenarios into cases: scenario × format × credential × auth scheme × driver."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from formats import FORMATS
from harness.config import Settings
from harness.scenario import Scenario
from harness.vocabulary import AuthScheme, CredentialCase


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


def _schemes_of(format_name: str) -> list[AuthScheme]:
    found: list[AuthScheme] = []
    for endpoint in FORMATS[format_name].endpoints.values():
        for scheme in sorted(endpoint.accepted_schemes):
            if scheme not in found:
                found.append(scheme)
    return found


def expand(path: Path, scenario: Scenario, settings: Settings) -> list[Case]:
    """Every case of one scenario that the run's selection keeps, in a stable order."""
    formats = list(FORMATS) if scenario.formats == "all" else scenario.formats
    credentials = list(CredentialCase) if scenario.credentials == "all" else scenario.credentials
    wanted_schemes = [AuthScheme(s) for s in settings.schemes]
    cases = []
    for format_name in formats:
        if format_name not in settings.formats:
            continue
        schemes = _schemes_of(format_name)
        if scenario.schemes != "all":
            schemes = [s for s in schemes if s in scenario.schemes]
        schemes = [s for s in schemes if s in wanted_schemes]
        for credential in credentials:
            if credential.value not in settings.token_kinds:
                continue
            for scheme in [AuthScheme.NONE] if credential is CredentialCase.ANONYMOUS else schemes:
                cases.append(Case(scenario, path, format_name, credential, scheme))
    return cases
