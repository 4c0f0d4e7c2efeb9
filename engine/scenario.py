"""The scenario model: what a YAML scenario may say, validated with the file, line and field named.

The JSON Schema published at scenarios/scenario.schema.json is generated from these models
(`harness schema`), so editors validate and complete scenario YAML with the same rules.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from core.project_setup import ProjectSetup, ProtectionRule, RegistryAccess, Role, Visibility
from core.suggestions import did_you_mean
from core.vocabulary import AuthScheme, CredentialCase, Need, Stage
from engine.config import ConfigError, parse_size
from engine.stages import stages_through
from formats import FORMATS

BUNDLED_DIR = Path(__file__).resolve().parent.parent / "scenarios"
SCHEMA_PATH = BUNDLED_DIR / "scenario.schema.json"


class ScenarioError(Exception):
    """A scenario file is wrong. Exit code 2; the message names the file, line and field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class PackageRef(_Strict):
    name: str = Field(description="logical package name; the run may add a prefix to keep cases apart")
    version: str = "1.0.0"
    file: str = Field("package.bin", description="file name inside the package")
    scoped: bool = Field(False, description="npm: name the package @<top-level group>/<name>, the naming convention "
                                            "GitLab's instance-level npm endpoints find packages by")


class Expect(_Strict):
    """Checks on a step's answer. The status comes from the permission table unless `status` says otherwise."""

    status: int | None = Field(None, description="expected status when the credential is permitted "
                                                 "(e.g. 403 for a refused duplicate, 413 over the limit)")
    refusal: Literal["duplicate", "too_large", "invalid"] | None = Field(
        None, description="the push must be refused as the format's rules say: a duplicate, a file over the "
                          "size limit, or a file that is not a valid package (the status comes from formats/<name>.py)")
    body_sent: bool | None = Field(None, description="false: the refusal must come before the body is sent")
    same_content_as: str | None = Field(None, description="name of an earlier push step whose bytes must come back")
    listed: list[str] = Field(default_factory=list, description="package names the answer must contain")
    not_listed: list[str] = Field(default_factory=list, description="package names the answer must not contain")
    min_count: int | Literal["metadata_packages"] | None = Field(
        None, description="the list must hold at least this many packages ('metadata_packages': the run's count)")
    json_fields: list[str] = Field(default_factory=list, description="keys the JSON answer must have")
    count_of: dict[str, int] = Field(default_factory=dict,
                                     description="package name → how many packages of that name the list holds")
    versions: list[str] = Field(default_factory=list, description="metadata: versions the document must mention")
    truthful: bool = Field(False, description="metadata: the document lists exactly the versions the case's pushes "
                                              "put on the target and did not delete (waiting out the processing "
                                              "delay), every digest it gives is that of the bytes pushed, and every "
                                              "file URL it gives serves those bytes")
    forwarded: bool | None = Field(
        None, description="metadata and pull of a package nobody pushed: true, the answer must be GitLab's redirect "
                          "to the public registry's URL for it (status and Location; the redirect is not followed), "
                          "as the group forwards the format's requests (needs project.forwarding); false, 404")
    tags: dict[str, str] = Field(default_factory=dict, description="tags: tag → the version it must point at")
    no_tags: list[str] = Field(default_factory=list, description="tags: tags that must not exist")
    events: dict[Literal["push", "pull"], int] = Field(
        default_factory=dict, description="events: at least this many push/pull events counted for the format and "
                                          "the case's token kind since the case began (the registry's usage metrics)")
    max_ms: float | None = Field(None, description="threshold: slowest request of the step, in milliseconds")
    p95_ms: float | None = Field(None, description="threshold: 95th percentile of the step's requests, in ms")


SizeSpec = int | str
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$")
_DURATION_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(text: str | float) -> float:
    """'90s' → 90.0; '2m', '1.5h', '500ms' and bare seconds (30) work too."""
    if isinstance(text, int | float):
        return float(text)
    match = _DURATION.match(str(text))
    if not match:
        raise ValueError(f"{text!r} is not a duration (examples: 30s, 2m, 500ms, 45)")
    return float(match.group(1)) * _DURATION_UNITS[match.group(2) or "s"]


Duration = float | str
LoadTask = Literal["metadata", "package_metadata", "download"]


class LoadThreshold(_Strict):
    """Limits on one load task's numbers over the measured window (after the warm-up)."""

    p50_ms: float | None = Field(None, gt=0, description="median latency, in milliseconds")
    p95_ms: float | None = Field(None, gt=0, description="95th percentile latency, in milliseconds")
    p99_ms: float | None = Field(None, gt=0, description="99th percentile latency, in milliseconds")
    max_ms: float | None = Field(None, gt=0, description="slowest request, in milliseconds")
    error_rate: float | None = Field(None, ge=0, le=1, description="failed requests / all requests (0.01 = 1 %)")
    min_rps: float | None = Field(None, gt=0, description="requests per second the target must sustain")


class LoadGrowth(_Strict):
    """The metadata endpoint measured as one package grows: latency against the number of versions."""

    sizes: list[int] = Field(default_factory=lambda: [25, 50, 100, 200, 400], min_length=3,
                             description="numbers of versions to measure at, ascending")
    samples: int = Field(20, ge=3, le=500, description="requests per size for the served (repeated) latency")
    max_exponent: float = Field(1.3, gt=0, description="a fitted growth exponent (latency ∝ versions^k) above "
                                                       "this is superlinear growth: a finding")

    @field_validator("sizes")
    @classmethod
    def _ascending(cls, value: list[int]) -> list[int]:
        if any(b <= a for a, b in zip(value, value[1:], strict=False)) or value[0] < 3:
            raise ValueError("sizes must be ascending whole numbers, each at least 3 (e.g. [25, 50, 100])")
        return value


class LoadInRun(_Strict):
    """Smaller numbers for the load step inside `harness run` (the full ones are for `harness load`)."""

    versions: int | None = Field(None, ge=3, le=5000)
    packages: int | None = Field(None, ge=1, le=5000)
    users: int | None = Field(None, ge=1, le=10000)
    duration: Duration | None = None
    warmup: Duration | None = None
    growth_sizes: list[int] | None = None


def _default_tasks() -> dict[LoadTask, int]:
    return {"metadata": 6, "package_metadata": 2, "download": 2}


class LoadSpec(_Strict):
    """A metadata load: seed one package with many versions and many distinct packages, then drive the format's
    metadata endpoint and downloads with Locust users (every token kind), against thresholds."""

    versions: int = Field(400, ge=3, le=5000, description="versions of the one big package")
    packages: int = Field(200, ge=1, le=5000, description="distinct packages next to it")
    parallel: int = Field(8, ge=1, le=64, description="concurrent uploads while seeding")
    users: int = Field(20, ge=1, le=10000, description="concurrent Locust users")
    spawn_rate: float | None = Field(None, gt=0, description="users started per second (default: all in 1 s)")
    think_time: Duration = Field("0s", description="pause between one user's requests (0: back to back)")
    duration: Duration = Field("60s", description="the measured window, after the warm-up")
    warmup: Duration = Field("10s", description="load before the measured window, left out of every number")
    tasks: dict[LoadTask, int] = Field(
        default_factory=_default_tasks,
        description="task → weight: metadata (the big package's metadata document), package_metadata (a random "
                    "one of the distinct packages), download (a random version's file)")
    thresholds: dict[LoadTask, LoadThreshold] = Field(default_factory=dict)
    growth: LoadGrowth | None = Field(default_factory=lambda: LoadGrowth.model_validate({}))
    regression_margin: float = Field(0.25, ge=0, description="against a baseline run: p95 more than this fraction "
                                                            "slower, or throughput this fraction lower, is a finding")
    in_run: LoadInRun = Field(default_factory=lambda: LoadInRun.model_validate({}))

    @field_validator("duration", "warmup", "think_time")
    @classmethod
    def _is_duration(cls, value: Duration) -> Duration:
        parse_duration(value)
        return value

    @field_validator("tasks")
    @classmethod
    def _some_weight(cls, value: dict[str, int]) -> dict[str, int]:
        if not value or any(w < 0 for w in value.values()) or not any(value.values()):
            raise ValueError("give at least one task a positive weight, e.g. {metadata: 1}")
        return value

    def seconds(self, name: Literal["duration", "warmup", "think_time"]) -> float:
        return parse_duration(getattr(self, name))

    def for_run(self) -> LoadSpec:
        """This load with the `in_run` numbers in place (what `harness run` executes)."""
        changes: dict[str, Any] = {k: v for k, v in self.in_run.model_dump().items()
                                   if v is not None and k != "growth_sizes"}
        if self.in_run.growth_sizes and self.growth is not None:
            changes["growth"] = self.growth.model_copy(update={"sizes": self.in_run.growth_sizes})
        return self.model_copy(update=changes)


class Step(_Strict):
    name: str | None = Field(None, description="a name later steps can refer to")
    op: Literal["push", "pull", "metadata", "list", "search", "delete", "push_many", "challenge", "tag", "untag",
                "tags", "load", "events", "validate", "prefixes"]
    actor: Literal["subject", "owner"] = Field(
        "subject", alias="as",
        description="subject: the case's credential (its answer comes from the permission table); "
                    "owner: the run's set-up credential (must succeed)")
    package: PackageRef | None = None
    size: SizeSpec = Field("4KiB", description="bytes to push: a size (4KiB, 256MiB), 'large' (the run's "
                                                "--large-size), 'limit' or 'limit+1' (the format's size limit)")
    seed: int = Field(0, description="content seed: different seeds give different bytes")
    status: Literal["default", "hidden"] | None = None
    select: Literal["package_file"] | None = None
    count: int | Literal["metadata_packages"] = Field(
        1, description="push_many: how many packages ('metadata_packages' = the run's --metadata-packages)")
    parallel: int = Field(8, ge=1, le=64, description="push_many: concurrent uploads")
    tag: str | None = Field(None, description="tag and untag: the tag (npm dist-tag) to point at the package's "
                                               "version, or to remove")
    level: Literal["project", "group", "instance"] = Field(
        "project", description="pull and metadata: through the project's endpoint, or GitLab's group-level one; "
                               "metadata also through the instance-level one (npm)")
    repeat: int = Field(1, ge=1, le=1000, description="metadata: how many times the document is fetched "
                                                      "(the latency thresholds apply to all of them)")
    one_package: bool = Field(False, description="push_many: every upload goes to the same new name and version "
                                                 "(file names differ), racing to create the package")
    load: LoadSpec | None = Field(None, description="load: the Locust load to run (see `harness load`)")
    invalid: bool = Field(False, description="push: a file named as the format's package but not a valid one (the "
                                             "format guard must refuse it; formats that take any file: not applicable)")
    rule: Literal["name", "version"] | None = Field(
        None, description="validate: the rule to check; generate `count` valid and `count` invalid package names "
                          "(or versions) from the format's rules with hypothesis and push each: valid ones "
                          "accepted, invalid ones refused")
    wait_s: float | None = Field(None, gt=0, le=600, description="pull: the package must become installable (its "
                                 "metadata lists the version, its file downloads) within this many seconds, polled")
    expect: Expect = Field(default_factory=lambda: Expect.model_validate({}))

    @field_validator("size")
    @classmethod
    def _size_is_known(cls, value: SizeSpec) -> SizeSpec:
        if isinstance(value, str) and value not in ("large", "limit", "limit+1"):
            parse_size(value)  # raises ValueError with an example of what is accepted
        return value


class GroupSettings(_Strict):
    duplicates: Literal["allowed", "rejected"] = "allowed"
    exception_regex: str = Field("", description="with duplicates rejected: names or versions matching this "
                                                 "regex may still be duplicated")


JobTokenFrom = Literal["case_project", "other_project", "allowlisted_project"]


class ProtectionRuleModel(_Strict):
    package_name_pattern: str = Field(description="package names the rule covers; '*' is a wildcard (GitLab's "
                                                  "package protection rules), before the run's name prefix")
    minimum_access_level_for_push: Literal["maintainer", "owner"] = "maintainer"


class ProjectModel(_Strict):
    """How the case's project is set up (GitLab's projects API and package protection rules)."""

    visibility: Visibility = Visibility.PRIVATE
    package_registry_access_level: RegistryAccess = RegistryAccess.ENABLED
    protection_rules: list[ProtectionRuleModel] = Field(default_factory=list)
    forwarding: bool = Field(default=False, description="the group forwards requests for packages it lacks to the "
                                                        "public registry (npm, PyPI, Maven)")

    def setup(self, name_prefix: str = "") -> ProjectSetup:
        rules = tuple(ProtectionRule(name_prefix + r.package_name_pattern, Role(r.minimum_access_level_for_push))
                      for r in self.protection_rules)
        return ProjectSetup(self.visibility, self.package_registry_access_level, rules, self.forwarding)


class Scenario(_Strict):
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    stage: Stage
    description: str
    formats: list[str] | Literal["all"] = "all"
    needs: list[Need] = Field(
        default_factory=list,
        description="what the scenario needs of a format; it has no cases for a format without it, and says why. "
                    "metadata_document: a document listing a package's versions (npm's packument, PyPI's simple "
                    "page, Maven's maven-metadata.xml), known from the format's operations; basic_challenge: a pull "
                    "route that answers anonymous with 401 and `WWW-Authenticate: Basic` (GitLab's BasicAuthHelpers)")
    credentials: list[CredentialCase] | Literal["all"] = "all"
    schemes: list[AuthScheme] | Literal["all"] = "all"
    group_settings: GroupSettings | None = None
    project: ProjectModel = ProjectModel(forwarding=False)
    roles: list[Role] = Field(
        default_factory=list,
        description="the member roles the user behind a personal access or job token holds on the case's project: "
                    "one case per role (a user is made and added through the members API; needs an administrator's "
                    "owner token). Empty: the owner token's user, who owns the case's group")
    job_token_from: JobTokenFrom = Field(
        default="case_project",
        description="where the case's CI job runs: the case's own project, another project, or another project the "
                    "case's project lets in (its CI/CD job token allowlist, `POST /projects/:id/job_token_scope/"
                    "allowlist`)")
    clients: bool = Field(True, description="false: only the HTTP driver runs this scenario (say why in the "
                                            "description), e.g. files of GiBs that prove nothing more via a client")
    tags: list[str] = Field(default_factory=list)
    steps: list[Step] = Field(min_length=1)

    @field_validator("formats")
    @classmethod
    def _formats_are_known(cls, value: list[str] | str) -> list[str] | str:
        if isinstance(value, list):
            unknown = [f for f in value if f not in FORMATS]
            if unknown:
                raise ValueError(f"unknown format {', '.join(unknown)}; known formats: {', '.join(FORMATS)}")
        return value

    @model_validator(mode="after")
    def _forwarding_is_on(self) -> Scenario:
        if not self.project.forwarding and any(step.expect.forwarded for step in self.steps):
            raise ValueError("a step expects a forwarded request (expect.forwarded: true) but the group does not "
                             "forward: set project: {forwarding: true}")
        return self

    def step_named(self, name: str) -> Step:
        for step in self.steps:
            if step.name == name:
                return step
        raise KeyError(name)


class _DuplicateKey(Exception):
    def __init__(self, path: tuple[Any, ...], key: str, line: int, first: int) -> None:
        super().__init__(key)
        self.path, self.key, self.line, self.first = path, key, line, first


def _line_map(node: yaml.Node, path: tuple[Any, ...] = ()) -> dict[tuple[Any, ...], int]:
    """Map each path in a YAML document (keys and list indexes) to its 1-based line.

    A key given twice in one mapping raises _DuplicateKey: YAML loaders silently keep the last one, which
    would drop the first one's checks without a word.
    """
    lines = {path: node.start_mark.line + 1}
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key, value in node.value:
            child = (*path, key.value)
            line = key.start_mark.line + 1
            if key.value in seen:
                raise _DuplicateKey(path, str(key.value), line, seen[key.value])
            seen[key.value] = line
            lines[child] = line
            lines.update({k: v for k, v in _line_map(value, child).items() if k != child})
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            lines.update(_line_map(item, (*path, index)))
    return lines


def _yaml_path(loc: tuple[Any, ...], lines: dict[tuple[Any, ...], int]) -> tuple[Any, ...]:
    """pydantic's error location without its internal parts (union branches such as `list[...]`, `int`)."""
    path: tuple[Any, ...] = ()
    for part in loc:
        part = "as" if part == "actor" else part
        if (*path, part) in lines or isinstance(part, int):
            path = (*path, part)
    return path


def _describe_all(errors: Sequence[Mapping[str, Any]], path: Path, lines: dict[tuple[Any, ...], int]) -> list[str]:
    """One message per place in the file: the alternatives of a union are merged, and an error about a
    whole field is dropped when a more precise one points inside it."""
    by_place: dict[tuple[Any, ...], list[str]] = {}
    for error in errors:
        place = _yaml_path(tuple(error["loc"]), lines)
        if error["type"] == "extra_forbidden":
            key = str(error["loc"][-1])
            message = f"unknown key {key!r}{did_you_mean(key, _known_keys())}"
        else:
            message = error["msg"]
        if message not in by_place.setdefault(place, []):
            by_place[place].append(message)
    places = [p for p in by_place if not any(q != p and q[: len(p)] == p for q in by_place)]
    problems = []
    for place in places:
        line = next((lines[place[:n]] for n in range(len(place), -1, -1) if place[:n] in lines), 1)
        field = ".".join(str(p) for p in place) or "(document)"
        problems.append(f"{path}:{line}: field {field}: {'; or '.join(by_place[place])}")
    return problems


def load_scenario(path: Path) -> Scenario:
    text = path.read_text(encoding="utf-8")
    try:
        node = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else 1
        raise ScenarioError(f"{path}:{line}: not valid YAML: {getattr(exc, 'problem', exc)}") from None
    if not isinstance(data, dict) or node is None:
        raise ScenarioError(f"{path}:1: a scenario is a mapping with name, stage, description and steps")
    try:
        lines = _line_map(node)
    except _DuplicateKey as dup:
        where = ".".join(str(p) for p in dup.path) or "(document)"
        raise ScenarioError(f"{path}:{dup.line}: field {where}: key {dup.key!r} appears twice "
                            f"(first on line {dup.first})") from None
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        problems = _describe_all(exc.errors(), path, lines)
        raise ScenarioError("invalid scenario:\n  " + "\n  ".join(problems)) from None
    _check_references(scenario, path, lines)
    return scenario


def _check_references(scenario: Scenario, path: Path, lines: dict[tuple[Any, ...], int]) -> None:
    seen: set[str] = set()
    for index, step in enumerate(scenario.steps):
        ref = step.expect.same_content_as
        if ref is not None and ref not in seen:
            line = lines.get(("steps", index, "expect", "same_content_as"), 1)
            raise ScenarioError(f"{path}:{line}: field steps.{index}.expect.same_content_as: no earlier step "
                                f"is named {ref!r}")
        if (step.op == "validate") != (step.rule is not None):
            line = lines.get(("steps", index), 1)
            raise ScenarioError(f"{path}:{line}: field steps.{index}.rule: op validate needs `rule: name` or "
                                "`rule: version`, and only op validate takes one")
        if (step.op == "load") != (step.load is not None):
            line = lines.get(("steps", index), 1)
            raise ScenarioError(f"{path}:{line}: field steps.{index}.load: op load needs a `load:` block, "
                                "and only op load takes one")
        if step.op in ("push", "pull", "delete", "challenge") and step.package is None:
            line = lines.get(("steps", index), 1)
            raise ScenarioError(f"{path}:{line}: field steps.{index}.package: op {step.op} needs a package")
        if step.name:
            seen.add(step.name)


def _known_keys() -> set[str]:
    """Every key a scenario may use, at any depth (field names and their aliases): what "did you mean" offers."""
    keys: set[str] = set()
    for definition in [Scenario.model_json_schema(by_alias=True), *Scenario.model_json_schema(
            by_alias=True).get("$defs", {}).values()]:
        keys.update(definition.get("properties", {}))
    return keys


def is_scenario_file(path: Path) -> bool:
    """A scenario YAML, not one of the other files that live beside them (stage criteria, example sign-offs and
    known failures)."""
    return path.suffix == ".yaml" and path.name != "stages.yaml" and not path.name.startswith(
        ("signoffs", "known-failures"))


def scenario_dirs(extra: Sequence[str | Path] = ()) -> list[Path]:
    """Where a run's scenarios come from: the bundled `scenarios/`, then a team's own directories
    (`--scenario-dir`, `HARNESS_SCENARIO_DIRS`)."""
    dirs = [BUNDLED_DIR]
    for directory in extra:
        path = Path(directory).resolve()
        if path not in dirs:
            dirs.append(path)
    return dirs


def scenario_files(dirs: Sequence[Path]) -> Iterator[Path]:
    for directory in dirs:
        if directory.is_file():
            yield directory
            continue
        for path in sorted(directory.rglob("*.yaml")):
            if is_scenario_file(path):
                yield path


@dataclass(frozen=True)
class BrokenScenario:
    """A scenario file that does not load: its errors, and the name it declares (or its file's stem)."""

    path: Path
    name: str
    error: str


@dataclass
class ScenarioSet:
    """Every scenario file of a run, loaded once: the valid ones and the broken ones."""

    loaded: list[tuple[Path, Scenario]] = field(default_factory=list)
    broken: list[BrokenScenario] = field(default_factory=list)

    def names(self) -> dict[str, str]:
        """Scenario name → its stage."""
        return {scenario.name: scenario.stage.value for _, scenario in self.loaded}

    def blocking(self, selected: Sequence[str]) -> list[BrokenScenario]:
        """Broken files that stop a run: all of them when the whole stage runs; with `--scenarios`, only those
        whose name is selected. The others are reported and left out."""
        return [b for b in self.broken if not selected or b.name in selected]


def declared_name(path: Path) -> str:
    """The name a scenario file declares, read even when the file does not validate; else the file's stem."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, OSError, UnicodeDecodeError):
        return path.stem
    name = data.get("name") if isinstance(data, dict) else None
    return str(name) if isinstance(name, str) else path.stem


def read_scenarios(dirs: Sequence[Path]) -> ScenarioSet:
    """Every scenario under `dirs`, the broken ones kept with their errors. Two files of one name are an error
    (ScenarioError): a case id would not say which one ran."""
    found = ScenarioSet()
    for path in scenario_files(dirs):
        try:
            found.loaded.append((path, load_scenario(path)))
        except ScenarioError as exc:
            found.broken.append(BrokenScenario(path, declared_name(path), str(exc)))
    where: dict[str, list[Path]] = {}
    for path, scenario in found.loaded:
        where.setdefault(scenario.name, []).append(path)
    repeated = {name: paths for name, paths in where.items() if len(paths) > 1}
    if repeated:
        raise ScenarioError("scenario names must be unique; repeated: " + "; ".join(
            f"{name} ({', '.join(map(str, paths))})" for name, paths in sorted(repeated.items())))
    return found


def load_scenarios(directory: Path) -> list[tuple[Path, Scenario]]:
    """Every scenario under `directory` (sorted by path); a bad file raises ScenarioError."""
    found = read_scenarios([directory])
    if found.broken:
        raise ScenarioError(found.broken[0].error)
    return found.loaded


def check_selection(dirs: Sequence[Path], stage: str, names: list[str]) -> None:
    """Refuse scenario names that do not exist or belong to another stage (a typo must not select nothing)."""
    if not names:
        return
    found = read_scenarios(dirs)
    blocking = found.blocking(names)
    if blocking:  # a selected scenario's own file is broken: its errors, with file, line and field
        raise ScenarioError("\n".join(b.error for b in blocking))
    known = found.names()
    unknown = [n for n in names if n not in known]
    if unknown:
        hints = "".join(did_you_mean(n, known) for n in unknown)
        broken = [f"{b.path} does not load" for b in found.broken]
        raise ConfigError(f"--scenarios: unknown scenario {', '.join(map(repr, unknown))}{hints}; known: "
                          + ", ".join(sorted(known)) + (f" (and {'; '.join(broken)})" if broken else ""))
    included = stages_through(stage)
    elsewhere = [f"{n} (stage {known[n]})" for n in names if known[n] not in included]
    if elsewhere:
        raise ConfigError(f"--scenarios: not scenarios of stage {stage}: {', '.join(elsewhere)}; "
                          "add --stage to run them")


def json_schema() -> str:
    schema = Scenario.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "Package-registry rollout harness scenario"
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"
