"""Stage criteria and sign-offs: what "ready" means for each rollout stage, read and validated once.

`scenarios/stages.yaml` (schema `harness.stages/1`) holds every stage's criteria, each checked by named scenarios,
by every token kind, or signed off by a person in the sign-off file (schema `harness.signoffs/1`,
docs/signoffs.md). A bad file raises `ConfigError` naming the file and the field (exit code 2). Judging the
criteria against a run's cases is `engine.readiness`'s job.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlparse

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator, model_validator

from core.vocabulary import Stage
from engine.config import ConfigError  # bad configuration: the CLI exits with 2

DEFAULT_STAGES_FILE = Path(__file__).resolve().parent.parent / "scenarios" / "stages.yaml"


# ---------------------------------------------------------------------------------------------------------------
# The stage criteria file


class Criterion(BaseModel):
    """One checklist item. Exactly one of `checked_by`, `every_token_kind: true`, `sign_off: true`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1)
    title: str = Field(min_length=1)
    checked_by: list[str] | None = None
    drivers: Literal["any", "clients"] = "any"  # clients: only cases through real clients count (end to end)
    every_token_kind: bool = False
    sign_off: bool = False

    @field_validator("checked_by")
    @classmethod
    def _names_scenarios(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and not value:
            raise ValueError("checked_by must name at least one scenario")
        return value

    @model_validator(mode="after")
    def _one_kind(self) -> Criterion:
        given = [self.checked_by is not None, self.every_token_kind, self.sign_off]
        if sum(given) != 1:
            raise ValueError(
                "give exactly one of `checked_by: [scenarios]`, `every_token_kind: true`, `sign_off: true`"
            )
        return self

    @property
    def how(self) -> str:
        """How the criterion is checked, in words."""
        if self.checked_by is not None:
            return "checked by " + ", ".join(self.checked_by) + (" through real clients"
                                                                 if self.drivers == "clients" else "")
        if self.every_token_kind:
            return "every token kind passes and every negative credential is refused"
        return "needs a sign-off"


class StageDefinition(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    title: str
    source: str | None = None
    requires: Stage | None = None  # this stage's readiness includes every criterion of the stage it requires
    criteria: list[Criterion] = Field(min_length=1)


class StageCriteria(BaseModel):
    """The whole stage criteria file."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    schema_: Literal["harness.stages/1"] = Field(alias="schema")
    stages: dict[Stage, StageDefinition]
    _path: Path | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _unique_ids(self) -> StageCriteria:
        seen = Counter(c.id for stage in self.stages.values() for c in stage.criteria)
        twice = sorted(cid for cid, n in seen.items() if n > 1)
        if twice:
            raise ValueError(f"criterion ids must be unique; repeated: {', '.join(twice)}")
        return self

    @property
    def path(self) -> Path | None:
        return self._path

    def criterion_ids(self) -> set[str]:
        return {c.id for stage in self.stages.values() for c in stage.criteria}

    def chain(self, name: str) -> list[tuple[str, StageDefinition]]:
        """The stage and every stage it requires, earliest first (beta: experiment, beta)."""
        chain: list[tuple[str, StageDefinition]] = []
        current: str | None = name
        while current is not None:
            if any(n == current for n, _ in chain):
                raise ConfigError(f"{self._path or 'stage criteria'}: stage {current!r} requires itself")
            definition = self.stage(current)
            chain.insert(0, (current, definition))
            current = definition.requires.value if definition.requires else None
        return chain

    def stage(self, name: str) -> StageDefinition:
        try:
            return self.stages[Stage(name)]
        except (ValueError, KeyError):
            defined = ", ".join(s.value for s in self.stages)
            where = self._path or "stage criteria"
            raise ConfigError(f"{where}: stage {name!r} is not defined (defined: {defined})") from None


# ---------------------------------------------------------------------------------------------------------------
# The sign-off file

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class SignOff(BaseModel):
    """A person vouches for a criterion no command can check (docs written, dogfooding done, …)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    by: str = Field(min_length=1)
    date: dt.date
    link: str
    note: str | None = None

    @field_validator("date", mode="before")
    @classmethod
    def _iso_date(cls, value: Any) -> Any:
        if isinstance(value, dt.datetime):
            raise ValueError("must be a date YYYY-MM-DD, without a time")
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str) and _DATE.fullmatch(value):
            return value
        raise ValueError("must be a date YYYY-MM-DD")

    @field_validator("link")
    @classmethod
    def _http_url(cls, value: str) -> str:
        parsed = urlparse(value)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise ValueError("must be an http(s) URL (the issue, MR or page that shows it)")
        return value


class SignOffs(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    schema_: Literal["harness.signoffs/1"] = Field(default="harness.signoffs/1", alias="schema")
    signoffs: dict[str, SignOff] = Field(default_factory=dict)
    _path: Path | None = PrivateAttr(default=None)

    @field_validator("signoffs", mode="before")
    @classmethod
    def _none_is_empty(cls, value: Any) -> Any:
        return {} if value is None else value

    @property
    def path(self) -> Path | None:
        return self._path

    def get(self, criterion_id: str) -> SignOff | None:
        return self.signoffs.get(criterion_id)


# ---------------------------------------------------------------------------------------------------------------
# Loading


def _read_yaml(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        raise ConfigError(f"{path}: not valid YAML{where}: {getattr(exc, 'problem', None) or exc}") from exc


def _field_path(raw: Any, loc: Sequence[int | str]) -> str:
    """`stages.experiment.criteria[2] (experiment.metadata).checked_by`: the location, with criterion ids."""
    parts: list[str] = []
    node = raw
    for key in loc:
        if isinstance(key, int):
            label = f"[{key}]"
            node = node[key] if isinstance(node, list) and key < len(node) else None
            if isinstance(node, dict) and isinstance(node.get("id"), str):
                label += f" ({node['id']})"
            parts.append(label)
        else:
            parts.append(("." if parts else "") + str(key))
            node = node.get(key) if isinstance(node, dict) else None
    return "".join(parts) or "(top level)"


def _validation_error(path: Path, raw: Any, exc: ValidationError) -> ConfigError:
    lines = [f"{path}: invalid:"]
    for err in exc.errors():
        lines.append(f"  {_field_path(raw, err['loc'])}: {err['msg']}")
    return ConfigError("\n".join(lines))


def load_stages(path: Path = DEFAULT_STAGES_FILE) -> StageCriteria:
    """Read and validate the stage criteria file; a bad file raises ConfigError naming the file and the field."""
    raw = _read_yaml(path)
    try:
        stages = StageCriteria.model_validate(raw)
    except ValidationError as exc:
        raise _validation_error(path, raw, exc) from None
    stages._path = path
    return stages


def load_signoffs(path: Path, stages: StageCriteria) -> SignOffs:
    """Read and validate a sign-off file; ids that name no criterion in `stages` are an error."""
    raw = _read_yaml(path)
    try:
        signoffs = SignOffs.model_validate(raw)
    except ValidationError as exc:
        raise _validation_error(path, raw, exc) from None
    unknown = sorted(set(signoffs.signoffs) - stages.criterion_ids())
    if unknown:
        where = stages.path or "the stage criteria"
        raise ConfigError(f"{path}: signoffs: unknown criterion id(s) {', '.join(unknown)} (not in {where})")
    signoffs._path = path
    return signoffs


@cache
def _stages_of(path: Path) -> StageCriteria:
    return load_stages(path)


def stages_through(stage: str, path: Path = DEFAULT_STAGES_FILE) -> list[str]:
    """The stage and the stages it requires (`beta` → experiment, beta): a run of a stage runs all their scenarios.
    The file is read once per process, however many scenario files ask."""
    return [name for name, _ in _stages_of(path).chain(stage)]
