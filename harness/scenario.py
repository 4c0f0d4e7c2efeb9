"""The scenario model: what a YAML scenario may say, validated with the file, line and field named.

The JSON Schema published at scenarios/scenario.schema.json is generated from these models
(`harness schema`), so editors validate and complete scenario YAML with the same rules.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from formats import FORMATS
from harness.config import parse_size
from harness.vocabulary import AuthScheme, CredentialCase, Stage

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "scenarios" / "scenario.schema.json"


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
    refusal: Literal["duplicate", "too_large"] | None = Field(
        None, description="the push must be refused as the format's rules say: a duplicate, or a file over the "
                          "size limit (the status comes from formats/<name>.py)")
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
    tags: dict[str, str] = Field(default_factory=dict, description="tags: tag → the version it must point at")
    no_tags: list[str] = Field(default_factory=list, description="tags: tags that must not exist")
    max_ms: float | None = Field(None, description="threshold: slowest request of the step, in milliseconds")
    p95_ms: float | None = Field(None, description="threshold: 95th percentile of the step's requests, in ms")


SizeSpec = int | str


class Step(_Strict):
    name: str | None = Field(None, description="a name later steps can refer to")
    op: Literal["push", "pull", "metadata", "list", "search", "delete", "push_many", "challenge", "tag", "untag",
                "tags"]
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
    expect: Expect = Field(default_factory=Expect)

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


class Scenario(_Strict):
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    stage: Stage
    description: str
    formats: list[str] | Literal["all"] = "all"
    credentials: list[CredentialCase] | Literal["all"] = "all"
    schemes: list[AuthScheme] | Literal["all"] = "all"
    group_settings: GroupSettings | None = None
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


def _describe_all(errors: list[dict[str, Any]], path: Path, lines: dict[tuple[Any, ...], int]) -> list[str]:
    """One message per place in the file: the alternatives of a union are merged, and an error about a
    whole field is dropped when a more precise one points inside it."""
    by_place: dict[tuple[Any, ...], list[str]] = {}
    for error in errors:
        place = _yaml_path(tuple(error["loc"]), lines)
        message = f"unknown key {error['loc'][-1]!r}" if error["type"] == "extra_forbidden" else error["msg"]
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
        if step.op in ("push", "pull", "delete", "challenge") and step.package is None:
            line = lines.get(("steps", index), 1)
            raise ScenarioError(f"{path}:{line}: field steps.{index}.package: op {step.op} needs a package")
        if step.name:
            seen.add(step.name)


def load_scenarios(directory: Path) -> list[tuple[Path, Scenario]]:
    """Every scenario under `directory` (sorted by path); the first bad file raises ScenarioError."""
    found = []
    for path in sorted(directory.rglob("*.yaml")):
        if path.name == "stages.yaml" or path.name.startswith("signoffs"):
            continue
        found.append((path, load_scenario(path)))
    names = [s.name for _, s in found]
    duplicated = {n for n in names if names.count(n) > 1}
    if duplicated:
        raise ScenarioError(f"scenario names must be unique; repeated: {', '.join(sorted(duplicated))}")
    return found


def check_selection(directory: Path, stage: str, names: list[str]) -> None:
    """Refuse scenario names that do not exist or belong to another stage (a typo must not select nothing)."""
    if not names:
        return
    from harness.config import ConfigError

    known = {scenario.name: scenario.stage.value for _, scenario in load_scenarios(directory)}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ConfigError(f"--scenarios: unknown scenario {', '.join(map(repr, unknown))}; known: "
                          + ", ".join(sorted(known)))
    elsewhere = [f"{n} (stage {known[n]})" for n in names if known[n] != stage]
    if elsewhere:
        raise ConfigError(f"--scenarios: not scenarios of stage {stage}: {', '.join(elsewhere)}; "
                          "add --stage to run them")


def json_schema() -> str:
    schema = Scenario.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "Package-registry rollout harness scenario"
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"
