"""Expand scenarios into cases: scenario × format × credential × auth scheme × driver.

Whether a scenario applies to a format at all is decided here, once, with the reason when it does not
(`why_not`): a scenario for named formats only, one that needs what the format lacks (`needs:`, e.g. a metadata
document), duplicate settings the format cannot switch. The decision travels on every case (`Case.not_applicable`,
then the result record) and to the judge (`applicability`), which never reads a scenario file.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from core.client_recipe import ClientRecipe
from core.project_setup import Role
from core.provisioning_api import PROTECTION_RULE_PACKAGE_TYPES
from core.results import Applicability
from core.vocabulary import AuthScheme, CredentialCase, Need, Operation
from engine.clients.registry import RECIPES, recipes_for
from engine.config import ConfigError, Settings
from engine.scenario import Scenario, ScenarioSet, Step
from engine.stages import stages_through
from formats import FORMATS, OPERATIONS


@dataclass(frozen=True)
class Case:
    scenario: Scenario
    path: Path
    format: str
    credential: CredentialCase
    scheme: AuthScheme
    driver: str = "http"
    not_applicable: Mapping[str, str] = field(default_factory=dict)  # the scenario's other formats it skips, and why
    role: Role | None = None  # the member role behind a personal or job token (None: the owner token's user)

    @property
    def params_id(self) -> str:
        role = f"-{self.role.value}" if self.role else ""
        return f"{self.format}-{self.credential.value}{role}-{self.scheme.value}-{self.driver}"

    @property
    def id(self) -> str:
        return f"{self.scenario.name}[{self.params_id}]"


SCHEME_ORDER = [AuthScheme.HEADER, AuthScheme.BASIC, AuthScheme.BEARER, AuthScheme.TOKEN]


# The credentials whose token acts with a user's member role (a scenario's `roles:` expands them).
ROLE_CREDENTIALS = (CredentialCase.PERSONAL_ACCESS_TOKEN, CredentialCase.JOB_TOKEN)


# The steps that publish a package (a format without an upload has none the case's credential can take).
UPLOAD_STEPS = frozenset({"push", "push_many", "validate"})
# The steps that read or change what GitLab's Packages API lists.
PACKAGES_API_STEPS = frozenset({"list", "search", "delete"})


def _schemes_of(format_name: str) -> list[AuthScheme]:
    """The schemes some token kind can use on the format's own push and pull routes (not the Packages API's)."""
    accepted: set[AuthScheme] = set()
    for endpoint in FORMATS[format_name].endpoints.values():
        if endpoint.operation in (Operation.PUSH, Operation.PULL):
            accepted |= endpoint.auth.schemes
    return [s for s in SCHEME_ORDER if s in accepted]


def challenges(format_name: str) -> bool:
    """The format's pull route answers an anonymous request with 401 and the Basic challenge."""
    return any(e.auth.challenge for e in FORMATS[format_name].endpoints.values() if e.operation is Operation.PULL)


def format_fits(scenario: Scenario, format_name: str) -> bool:
    """A scenario that needs duplicates allowed, or an exceptions regex, runs only for formats that have the
    setting (the format's `DuplicatePolicy.switchable`); the others always refuse duplicates."""
    settings = scenario.group_settings
    policy = FORMATS[format_name].rules.duplicates
    if settings is None or policy.switchable:
        return True
    return settings.duplicates == "rejected" and not settings.exception_regex and not policy.allowed_by_default


def why_not(scenario: Scenario, format_name: str) -> str | None:
    """Why the scenario has no cases for the format; None when it applies."""
    if scenario.formats != "all" and format_name not in scenario.formats:
        return f"the scenario is for {', '.join(scenario.formats)} only"
    if Need.METADATA_DOCUMENT in scenario.needs and not OPERATIONS[format_name].has_metadata_document:
        return f"{format_name} has no metadata document"
    no_upload = OPERATIONS[format_name].no_upload
    if no_upload and any(s.actor == "subject" and s.op in UPLOAD_STEPS for s in scenario.steps):
        return f"{format_name} has no upload for the case's credential to try: {no_upload}"
    not_listed = OPERATIONS[format_name].not_listed
    if not_listed and any(s.op in PACKAGES_API_STEPS for s in scenario.steps):
        return f"{format_name} packages are not in the Packages API the scenario reads: {not_listed}"
    package_type = OPERATIONS[format_name].package_type
    if scenario.project.protection_rules and package_type not in PROTECTION_RULE_PACKAGE_TYPES:
        return f"GitLab has no package protection rules for {package_type} packages"
    if scenario.project.protection_rules and OPERATIONS[format_name].validated_in_background:
        return OPERATIONS[format_name].validated_in_background  # the rule is checked after the upload answered
    if Need.BASIC_CHALLENGE in scenario.needs and not challenges(format_name):
        return (f"{format_name} sends no Basic challenge: GitLab's routes for it do not include BasicAuthHelpers, "
                "so clients send their token up front")
    if not format_fits(scenario, format_name):
        policy = FORMATS[format_name].rules.duplicates
        always = "allows" if policy.allowed_by_default else "refuses"
        return f"{format_name} always {always} duplicates: its duplicate settings cannot be switched"
    return None


def not_applicable(scenario: Scenario) -> dict[str, str]:
    """Every format the scenario has no cases for, and why."""
    reasons = {name: why_not(scenario, name) for name in FORMATS}
    return {name: why for name, why in reasons.items() if why is not None}


def applicability(scenarios: Iterable[Scenario]) -> Applicability:
    """The decisions for every scenario and format, for the judge."""
    return Applicability({scenario.name: not_applicable(scenario) for scenario in scenarios})


def scenario_applicability(scenarios: ScenarioSet) -> Applicability:
    """The decisions for every scenario of the run, read once when it starts. A file that does not load excuses
    no criterion (it applies everywhere): its errors stop the run, or, outside a `--scenarios` selection, are
    reported on their own."""
    return applicability([scenario for _, scenario in scenarios.loaded])


def check_drivers(names: Iterable[str]) -> None:
    """Refuse driver names that are neither `all`, `http` nor a real client (exit code 2)."""
    known = ["all", "http", *RECIPES]
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ConfigError(f"--drivers: unknown driver {', '.join(unknown)}; known: {', '.join(known)}")


def client_can_run(recipe: ClientRecipe, scenario: Scenario) -> bool:
    """A real client runs a scenario when it can do every step the case's credential takes; the owner's set-up
    steps go over HTTP. Options only GitLab's API has (status, select) and bulk steps stay with the HTTP driver."""
    if not recipe.runs_scenario(scenario.name):
        return False
    subject_steps = [s for s in scenario.steps if s.actor == "subject"]
    return scenario.clients and bool(subject_steps) and all(_client_step(recipe, s) for s in subject_steps)


def _client_step(recipe: ClientRecipe, step: Step) -> bool:
    if step.op not in recipe.operations:
        return False
    return step.status is None and step.select is None and not step.expect.json_fields and step.level == "project"


def expand(path: Path, scenario: Scenario, settings: Settings) -> list[Case]:
    """Every case of one scenario that the run's selection keeps, in a stable order."""
    skipped = not_applicable(scenario)
    formats = list(FORMATS) if scenario.formats == "all" else scenario.formats
    credentials = list(CredentialCase) if scenario.credentials == "all" else scenario.credentials
    wanted_schemes = [AuthScheme(s) for s in settings.schemes]
    cases = []
    for format_name in formats:
        if format_name not in settings.formats or format_name in skipped:
            continue
        schemes = _schemes_of(format_name)
        if scenario.schemes != "all":
            # A scenario's schemes say how few it needs (one, for most beta checks): a format none of whose routes
            # reads them (GitLab's `authenticate_with ... sent_through`) runs it in its own first scheme instead.
            schemes = [s for s in schemes if s in scenario.schemes] or schemes[:1]
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
                roles: list[Role | None] = list(scenario.roles) if scenario.roles and \
                    credential in ROLE_CREDENTIALS else [None]
                for role in roles:
                    for scheme in [AuthScheme.NONE] if credential is CredentialCase.ANONYMOUS else driver_schemes:
                        cases.append(Case(scenario, path, format_name, credential, scheme, driver, skipped, role))
    return cases


def check_not_empty(scenarios: ScenarioSet, settings: Settings) -> None:
    """Refuse a selection that leaves no case to run (exit 2), naming the filters that left nothing: an empty run
    proves nothing, and must not write a report that looks like one."""
    included = stages_through(settings.stage)
    for path, scenario in scenarios.loaded:  # a broken file is reported by collection, with file, line and field
        if scenario.stage.value not in included or (settings.scenarios and scenario.name not in settings.scenarios):
            continue
        if expand(path, scenario, settings):
            return
    defaults = Settings()
    filters = [f"--{name.replace('_', '-')} {','.join(value) if isinstance(value, list) else value}"
               for name in ("stage", "scenarios", "formats", "drivers", "clients", "token_kinds", "schemes")
               if (value := getattr(settings, name)) != getattr(defaults, name)]
    raise ConfigError("the selection has no cases to run" + (f" ({'; '.join(filters)})" if filters else "")
                      + ": the scenarios selected do not apply to the formats, drivers, credentials and schemes "
                        "selected; widen one of them (a client runs only its own format: pip for pypi, npm for "
                        "npm, …)")
