"""Run settings, defined once: each option can come from a flag, an environment variable or a config file.

Precedence: command-line flag > environment variable (`HARNESS_<NAME>`) > config file (`harness.yaml`, or
the file named by `--config` / `HARNESS_CONFIG`) > default. The same option table feeds the `harness` CLI
and the pytest plugin (`--harness-<name>`), so `harness run` and `pytest scenarios` accept the same things.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from core.faults import Fault
from core.suggestions import did_you_mean
from core.vocabulary import AuthScheme, CredentialCase, Stage
from formats import FORMATS


class ConfigError(Exception):
    """Bad configuration: exit code 2. The message says which option and what is accepted."""


_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGT]?i?B?)?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "b": 1, "k": 1000, "kb": 1000, "kib": 1 << 10, "m": 10**6, "mb": 10**6, "mib": 1 << 20,
          "g": 10**9, "gb": 10**9, "gib": 1 << 30, "t": 10**12, "tb": 10**12, "tib": 1 << 40}


def parse_size(text: str | int) -> int:
    """'256MiB' → 268435456; '5GiB', '1000', '1.5GB' work too."""
    if isinstance(text, int):
        return text
    match = _SIZE.match(str(text))
    unit = (match.group(2) or "").lower() if match else None
    if not match or unit not in _UNITS:
        raise ValueError(f"{text!r} is not a size (examples: 4096, 256MiB, 5GiB)")
    return int(float(match.group(1)) * _UNITS[unit])


def _csv(values: type | Callable[[str], Any]) -> Callable[[Any], list[Any]]:
    def parse(text: Any) -> list[Any]:
        items = text if isinstance(text, list) else [t for t in str(text).split(",") if t.strip()]
        return [values(str(t).strip()) for t in items]

    return parse


def _choice(choices: list[str]) -> Callable[[Any], str]:
    def parse(text: Any) -> str:
        if str(text) not in choices:
            raise ValueError(f"{text!r} is not one of {', '.join(choices)}{did_you_mean(str(text), choices)}")
        return str(text)

    return parse


def _one_of(choices: list[str]) -> Callable[[str], str]:
    return _choice(choices)


def parse_size_limits(text: Any) -> dict[str, int]:
    """'generic=10MiB,npm=500MiB' → {'generic': 10485760, 'npm': 524288000}."""
    if isinstance(text, dict):
        return {k: parse_size(v) for k, v in text.items()}
    limits = {}
    for item in str(text).split(","):
        if not item.strip():
            continue
        name, _, size = item.partition("=")
        if name.strip() not in FORMATS or not size:
            raise ValueError(f"{item!r}: expected FORMAT=SIZE with FORMAT one of {', '.join(FORMATS)}")
        limits[name.strip()] = parse_size(size)
    return limits


def _directories(text: Any) -> list[str]:
    """Directories separated by the path separator (':'), as HARNESS_FORMAT_DIRS; each must exist."""
    items = text if isinstance(text, list) else [t for t in str(text).split(os.pathsep) if t.strip()]
    for item in items:
        if not Path(str(item)).is_dir():
            raise ValueError(f"{item!r} is not a directory")
    return [str(Path(str(item)).resolve()) for item in items]


def _whole_number(text: Any) -> int:
    try:
        value = int(str(text))
    except ValueError:
        raise ValueError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise ValueError(f"{text!r}: at least 1")
    return value


@dataclass(frozen=True)
class Option:
    name: str  # attribute name; flag is --name-with-dashes, env is HARNESS_NAME
    parse: Callable[[Any], Any]
    default: Any
    help: str
    metavar: str = "VALUE"


CREDENTIALS = [c.value for c in CredentialCase]
FAULT_NAMES = [f.value for f in Fault]
OPTIONS: list[Option] = [
    Option("target", str, None, "URL of a GitLab-compatible instance; default: start the bundled reference server",
           "URL"),
    Option("project", str, None, "with --target: use this existing project (ID or path) instead of creating one "
           "per case", "ID"),
    Option("token_file", str, None, "YAML file of tokens for the target (see docs/token-file.md)", "FILE"),
    Option("stage", _choice([s.value for s in Stage]), "experiment", "rollout stage whose scenarios run", "STAGE"),
    Option("formats", _csv(_one_of(list(FORMATS))), list(FORMATS), "formats to run (comma-separated)", "LIST"),
    Option("token_kinds", _csv(_one_of(CREDENTIALS)), CREDENTIALS,
           "credential cases to run (comma-separated token kinds and negative cases)", "LIST"),
    Option("schemes", _csv(_one_of([s.value for s in AuthScheme if s is not AuthScheme.NONE])),
           ["header", "basic", "bearer", "token"], "auth schemes to run (comma-separated)", "LIST"),
    Option("scenarios", _csv(str), [], "scenario names to run (comma-separated; default: all of the stage)", "LIST"),
    Option("scenario_dirs", _directories, [], "directories of a team's own scenario YAML files, run beside the "
           "bundled ones (':'-separated; the flag --scenario-dir repeats)", "DIRS"),
    Option("large_size", parse_size, parse_size("256MiB"), "size of the large-push file", "SIZE"),
    Option("client_large_size", parse_size, parse_size("64MiB"),
           "size of the large-push file through real clients (npm alone takes about 50 s for 256 MiB)", "SIZE"),
    Option("metadata_packages", _whole_number, 200, "packages pushed for the metadata scenario", "N"),
    Option("size_budget", parse_size, parse_size("8GiB"),
           "largest file a run may push (a push at a format's size limit above it is not run, and says so)", "SIZE"),
    Option("processing_timeout", _whole_number, 60,
           "seconds a pushed package may stay 'processing' (formats GitLab processes in the background)", "SECONDS"),
    Option("size_limits", parse_size_limits, {}, "reference server: per-format file size limits, e.g. generic=5GiB",
           "F=SIZE,..."),
    Option("faults", _csv(_one_of(FAULT_NAMES)), [],
           "reference server: inject faults (see core/faults.py)", "LIST"),
    Option("signoff_file", str, None, "YAML file of sign-offs for criteria no command can check", "FILE"),
    Option("known_failures", str, None, "YAML file of the target's known failures (case, issue, expiry; "
           "docs/known-failures.md)", "FILE"),
    Option("out_dir", str, "reports/out", "where run folders are written", "DIR"),
    Option("run_id", str, None, "name of the run folder (default: date, time and a random suffix)", "ID"),
    Option("drivers", _csv(str), ["all"], "drivers to run: http and real clients (npm, pnpm, pip, twine, uv, mvn, "
           "curl), comma-separated, or 'all'", "LIST"),
    Option("clients", _choice(["container", "host", "none"]), "container",
           "where real clients run: in containers (Docker engine), on this host, or not at all", "WHERE"),
    Option("gate", _choice(["stage", "selection"]), "stage",
           "what the exit code judges: the whole stage (a criterion no case checked needs sign-off), or only the "
           "selected cases (0 when every one passed; for subset runs in CI)", "WHAT"),
    Option("workers", str, "auto", "parallel pytest-xdist workers ('auto', or a number; 0 = in-process)", "N"),
]
OPTION_BY_NAME = {o.name: o for o in OPTIONS}


@dataclass
class Settings:
    target: str | None = None
    project: str | None = None
    token_file: str | None = None
    stage: str = "experiment"
    formats: list[str] = field(default_factory=lambda: list(FORMATS))
    token_kinds: list[str] = field(default_factory=lambda: list(CREDENTIALS))
    schemes: list[str] = field(default_factory=lambda: ["header", "basic", "bearer", "token"])
    scenarios: list[str] = field(default_factory=list)
    scenario_dirs: list[str] = field(default_factory=list)
    large_size: int = 256 << 20
    client_large_size: int = 64 << 20
    metadata_packages: int = 200
    size_budget: int = 8 << 30
    processing_timeout: int = 60
    size_limits: dict[str, int] = field(default_factory=dict)
    faults: list[str] = field(default_factory=list)
    signoff_file: str | None = None
    known_failures: str | None = None
    out_dir: str = "reports/out"
    run_id: str | None = None
    drivers: list[str] = field(default_factory=lambda: ["all"])
    clients: str = "container"
    gate: str = "stage"
    workers: str = "auto"

    def wants_driver(self, name: str) -> bool:
        return "all" in self.drivers or name in self.drivers

    def as_dict(self) -> dict[str, Any]:
        return {o.name: getattr(self, o.name) for o in OPTIONS}


def read_yaml_mapping(path: str, what: str, error: type[Exception], example: str) -> dict[str, Any]:
    """A YAML file that must hold a mapping; every problem names the file and says what was expected."""
    file = Path(path)
    if not file.is_file():
        raise error(f"{what} {path} does not exist")
    try:
        data = yaml.safe_load(file.read_text()) or {}
    except yaml.YAMLError as exc:
        raise error(f"{what} {path} is not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise error(f"{what} {path}: expected a mapping such as {example!r}")
    return data


def _parse(option: Option, value: Any, source: str) -> Any:
    try:
        return option.parse(value)
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"{source}: {exc}") from None


def load_settings(flags: dict[str, Any], environ: dict[str, str] | None = None,
                  config_path: str | None = None) -> Settings:
    """Merge defaults, the config file, HARNESS_* variables and flags (None means 'not given'). Driver names are
    checked against the real clients by `engine.matrix.check_drivers` (the clients sit above the settings)."""
    environ = dict(os.environ) if environ is None else environ
    values: dict[str, Any] = {o.name: o.default for o in OPTIONS}

    path = config_path or environ.get("HARNESS_CONFIG") or ("harness.yaml" if Path("harness.yaml").exists() else None)
    if path:
        data = read_yaml_mapping(path, "config file", ConfigError, "large-size: 1GiB")
        for key, value in data.items():
            name = str(key).replace("-", "_")
            if name not in OPTION_BY_NAME:
                known = [o.name.replace("_", "-") for o in OPTIONS]
                raise ConfigError(f"config file {path}: unknown option {key!r}{did_you_mean(str(key), known)}; "
                                  "known: " + ", ".join(known))
            values[name] = _parse(OPTION_BY_NAME[name], value, f"config file {path}, option {key}")

    for option in OPTIONS:
        env_name = "HARNESS_" + option.name.upper()
        if environ.get(env_name):
            values[option.name] = _parse(option, environ[env_name], f"environment variable {env_name}")

    for name, value in flags.items():
        if value is not None and name in OPTION_BY_NAME:
            values[name] = _parse(OPTION_BY_NAME[name], value, "--" + name.replace("_", "-"))

    settings = Settings(**values)
    if settings.target and (settings.faults or settings.size_limits):
        raise ConfigError("--faults and --size-limits configure the bundled reference server; with --target they "
                          "would be silently ignored. Drop them, or drop --target.")
    if settings.project and not settings.target:
        raise ConfigError("--project needs --target: the reference server makes its own projects")
    if settings.target and not settings.token_file and not environ.get("HARNESS_OWNER_TOKEN"):
        raise ConfigError("--target needs --token-file (or HARNESS_OWNER_TOKEN): the harness cannot create "
                          "anything on a real instance without an owner token. See docs/token-file.md.")
    return settings
