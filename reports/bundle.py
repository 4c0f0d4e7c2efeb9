"""`harness report bundle`: one `.tar.gz` with a run's evidence, for the rollout issue.

The bundle holds the run's reports and records (report.html, summary.md, results.jsonl, junit.xml, verdict.json,
run.json), its load reports (load.html, load.md, load.json; not the raw timeline or Locust's log), and three
generated files: TARGET.yaml (what was tested), HARNESS.yaml (what tested it: versions and a digest of the
scenario set) and README.md (what the bundle is, the verdict, and the command that reproduces the run).

Nothing secret may leave: every member is scanned for GitLab token patterns before the archive is written, and
a match refuses the whole bundle (`SecretFound`, exit code 4), naming the file and line but never the token.
"""

from __future__ import annotations

import hashlib
import io
import json
import platform
import re
import shlex
import subprocess
import tarfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS_DIR = ROOT / "scenarios"
RUN_FILES = ("report.html", "summary.md", "results.jsonl", "junit.xml", "verdict.json", "run.json")
LOAD_FILES = ("load.html", "load.md", "load.json")
# GitLab personal/project access tokens, deploy tokens and CI job tokens, as the reference server mints them too.
TOKEN_PATTERN = re.compile(rb"(glpat|gldt|glcbt)-[0-9A-Za-z_\-]{10,}")
# `harness run` passes these to pytest for its own bookkeeping: they are not part of what the run checked.
INTERNAL_OPTIONS = {"run-id", "progress", "out-dir"}
VALUELESS_OPTIONS = {"progress"}
DIGEST_METHOD = ("sha256 over every scenarios/**/*.yaml file in sorted order of its path relative to scenarios/, "
                 "each as the UTF-8 path, a NUL byte, the file's bytes, a NUL byte")


class SecretFound(Exception):
    """A member of the bundle holds what looks like a token: the bundle is refused."""


@dataclass(frozen=True)
class Bundle:
    path: Path
    size: int
    members: list[str]


# ---------------------------------------------------------------------------------------------------------------
# The scenario set's digest


def scenario_digest(directory: Path | Sequence[Path] = SCENARIOS_DIR) -> tuple[str, list[dict[str, str]]]:
    """The digest of a scenario set (see DIGEST_METHOD), and every file with its own sha256. The bundled files
    are named relative to `scenarios/`; a team's own (`--scenario-dir`) by their absolute path."""
    directories = [directory] if isinstance(directory, Path) else list(directory)
    files = sorted((_listed_as(p, directories[0], d), p) for d in directories
                   for p in ([d] if d.is_file() else d.rglob("*.yaml")) if p.is_file())
    whole = hashlib.sha256()
    listing = []
    for relative, path in files:
        content = path.read_bytes()
        whole.update(relative.encode() + b"\0" + content + b"\0")
        listing.append({"path": relative, "sha256": hashlib.sha256(content).hexdigest()})
    return "sha256:" + whole.hexdigest(), listing


def _listed_as(path: Path, bundled: Path, directory: Path) -> str:
    return path.relative_to(bundled).as_posix() if directory == bundled else path.resolve().as_posix()


# ---------------------------------------------------------------------------------------------------------------
# The command that reproduces a run


def _options_from_command(command: str) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """`--harness-<option> value` pairs of the run's inner pytest command line, and its -k/-m selection."""
    words = command.split()
    options: dict[str, str] = {}
    selection: list[tuple[str, str]] = []
    i = 0
    while i < len(words):
        word = words[i]
        if word.startswith("--harness-"):
            name, _, value = word.removeprefix("--harness-").partition("=")
            if not value and name not in VALUELESS_OPTIONS and i + 1 < len(words):
                value, i = words[i + 1], i + 1
            options[name] = value
        elif word in ("-k", "-m") and i + 1 < len(words):
            # Recorded unquoted (`-k not slow`): the expression runs up to the next option.
            expression = []
            while i + 1 < len(words) and not words[i + 1].startswith("-"):
                expression.append(words[i + 1])
                i += 1
            selection.append((word, " ".join(expression)))
        i += 1
    return options, selection


def reproduce_command(meta: dict[str, Any], verdict: dict[str, Any]) -> str:
    """`python3 -m harness run …` with the run's stage, formats, selection and target.

    run.json's `command` is the inner pytest command line, whose `--harness-<option> value` pairs are the options
    the run was given on its command line; options that came from `HARNESS_*` variables or a config file are not
    recorded there (the README of the bundle says so)."""
    given, selection = _options_from_command(str(meta.get("command") or ""))
    options: dict[str, str] = {"stage": str(verdict.get("stage") or meta.get("stage") or given.get("stage")
                                            or "experiment")}
    formats = meta.get("formats") or list(verdict.get("by_format") or [])
    if formats:
        options["formats"] = ",".join(formats)
    if meta.get("target_kind") == "external" and meta.get("target"):
        options["target"] = str(meta["target"])
    for name, value in given.items():
        if name in INTERNAL_OPTIONS or name in options:
            continue
        if name == "target" and meta.get("target_kind") is not None:
            continue  # decided above: a real target is kept, the reference server's loopback port is not
        options[name] = value
    words = ["python3", "-m", "harness", "run"]
    for name, value in options.items():
        words += [f"--{name}", value]
    for flag, value in selection:
        words += [flag, value]
    return " ".join(shlex.quote(w) for w in words)


# ---------------------------------------------------------------------------------------------------------------
# The generated files


def _faults(meta: dict[str, Any]) -> list[str]:
    given, _ = _options_from_command(str(meta.get("command") or ""))
    return [f for f in given.get("faults", "").split(",") if f]


def target_yaml(meta: dict[str, Any], verdict: dict[str, Any]) -> dict[str, Any]:
    external = meta.get("target_kind") == "external"
    target: dict[str, Any] = {
        "product": "GitLab-compatible registry" if external else "bundled reference server",
        "version": None if external else meta.get("harness_version"),
        "version_note": ("not recorded by the run (a GitLab instance tells it at GET /api/v4/version)" if external
                         else "the reference server ships with the harness: its version is the harness version"),
        "url": meta.get("target"),
    }
    if not external:
        target["url_note"] = "a loopback port of the server started for this run only"
        target["faults_injected"] = _faults(meta)
    target.update({
        "stage": verdict.get("stage") or meta.get("stage"),
        "formats": list(meta.get("formats") or verdict.get("by_format") or []),
        "verdict": verdict.get("verdict"),
        "verdict_by_format": verdict.get("by_format", {}),
        "run_id": meta.get("run_id"),
        "started_at": meta.get("started_at"),
        "duration_s": meta.get("duration_s"),
        "clients": {name: {k: info.get(k) for k in ("mode", "image", "image_id", "image_source", "version", "reason")
                           if info.get(k) is not None}
                    for name, info in (meta.get("clients") or {}).items() if isinstance(info, dict)},
    })
    return target


def _git_commit() -> dict[str, Any] | None:
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=10)
        if head.returncode != 0:
            return None
        status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                                capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    return {"commit": head.stdout.strip(), "uncommitted_changes": bool(status.stdout.strip())}


def harness_yaml(meta: dict[str, Any], scenarios_dir: Path = SCENARIOS_DIR) -> dict[str, Any]:
    digest, files = scenario_digest(scenarios_dir)
    recorded = meta.get("scenario_digest")
    if recorded:  # the run recorded the digest of the scenarios it ran
        digest, files = recorded, meta.get("scenario_files") or files
        taken = "by the run itself (run.json)"
    else:
        taken = ("when the bundle was made (this run recorded no digest): it proves the run's scenario set only if "
                 "the scenarios did not change in between")
    data: dict[str, Any] = {
        "harness_version": meta.get("harness_version"),
        "python_version": meta.get("python_version") or platform.python_version(),
        "scenarios": {"digest": digest, "method": DIGEST_METHOD, "taken": taken, "files": files},
    }
    git = _git_commit()
    if git is not None:
        data["git"] = git
    return data


def readme(meta: dict[str, Any], verdict: dict[str, Any], members: list[str]) -> str:
    stage = str(verdict.get("stage") or meta.get("stage") or "?")
    verdict_word = str(verdict.get("verdict", "unknown")).replace("_", " ")
    target = ("the bundled reference server" if meta.get("target_kind") != "external"
              else f"{meta.get('target')}")
    faults = _faults(meta)
    lines = [
        f"# Readiness bundle: run `{meta.get('run_id')}`",
        "",
        f"The evidence of one `harness run` of the **{stage}** stage against {target}, "
        f"formats {', '.join(meta.get('formats') or []) or '(unknown)'}, started {meta.get('started_at', '?')}.",
        "",
        f"**{stage}: {verdict_word}** — {verdict.get('why', '')}",
        "",
        f"Exit code {verdict.get('exit_code', '?')}; cases: "
        + ", ".join(f"{n} {o.replace('_', ' ')}" for o, n in (verdict.get("cases") or {}).items()) + ".",
        "",
    ]
    if faults:
        lines += [f"Faults were injected into the reference server on purpose: {', '.join(faults)}.", ""]
    lines += [
        "## Reproduce",
        "",
        "From a checkout of the harness at the version in HARNESS.yaml:",
        "",
        "```sh",
        reproduce_command(meta, verdict),
        "```",
        "",
        "Options given through `HARNESS_*` variables or a config file are not recorded by a run, so they are not "
        "in this line. Against a real target, pass the same `--token-file` with tokens of your own.",
        "",
        "## Contents",
        "",
        "| file | what |",
        "| --- | --- |",
    ]
    what = {
        "report.html": "the readiness report: open it in a browser",
        "summary.md": "the same verdicts and failures, to paste into the rollout issue",
        "results.jsonl": "one record per case (schema `harness.result/1`)",
        "junit.xml": "the cases as JUnit",
        "verdict.json": "the verdict, its reasons and the exit code",
        "run.json": "run metadata: target, formats, clients, timings, the command",
        "TARGET.yaml": "what was tested: product, version, URL, formats, stage, clients and their images",
        "HARNESS.yaml": "what tested it: harness and Python versions, a digest of the scenario set",
        "README.md": "this file",
    }
    loads = {"load.html": "a load's report (page with charts)", "load.md": "a load's numbers",
             "load.json": "a load's results: percentiles and throughput per task"}
    for name in members:
        description = loads.get(name.rsplit("/", 1)[-1], "") if name.startswith("load/") else what.get(name, "")
        lines.append(f"| `{name}` | {description} |")
    lines += ["", "Tokens are redacted in every file; the bundle was scanned for token patterns before it was made.",
              ""]
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------------------------
# Scanning and writing


def scan_for_tokens(name: str, content: bytes) -> None:
    """Raise SecretFound naming the member and line when `content` holds what looks like a GitLab token."""
    match = TOKEN_PATTERN.search(content)
    if match is not None:
        line = content.count(b"\n", 0, match.start()) + 1
        kind = match.group(1).decode()
        raise SecretFound(f"{name}, line {line}: holds what looks like a token ({kind}-…); "
                          "refusing to make the bundle")


def collect(run_dir: Path) -> dict[str, bytes]:
    """The run's own files that go into the bundle, by their name inside it."""
    members: dict[str, bytes] = {}
    for name in RUN_FILES:
        path = run_dir / name
        if path.is_file():
            members[name] = path.read_bytes()
    for load_dir in sorted(p for p in (run_dir / "load").glob("*") if p.is_dir()):
        for name in LOAD_FILES:
            path = load_dir / name
            if path.is_file():
                members[f"load/{load_dir.name}/{name}"] = path.read_bytes()
    return members


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def make_bundle(run_dir: Path, output: Path | None = None, scenarios_dir: Path = SCENARIOS_DIR) -> Bundle:
    """Write the bundle of `run_dir` (default `<out-dir>/<run-id>-bundle.tar.gz`); raise SecretFound, and write
    nothing, when a member holds a token."""
    meta, verdict = _read_json(run_dir / "run.json"), _read_json(run_dir / "verdict.json")
    meta.setdefault("run_id", run_dir.name)
    run_id = str(meta["run_id"])
    members = collect(run_dir)
    generated = {
        "TARGET.yaml": yaml.safe_dump(target_yaml(meta, verdict), sort_keys=False, width=200).encode(),
        "HARNESS.yaml": yaml.safe_dump(harness_yaml(meta, scenarios_dir), sort_keys=False, width=200).encode(),
    }
    names = ["README.md", *generated, *members]
    generated["README.md"] = readme(meta, verdict, names).encode()
    everything = {**{n: generated[n] for n in ("README.md", "TARGET.yaml", "HARNESS.yaml")}, **members}
    for name, content in everything.items():
        scan_for_tokens(name, content)
    output = output or run_dir.parent / f"{run_id}-bundle.tar.gz"
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(output.name + ".partial")
    top = f"{run_id}-bundle"
    now = int(time.time())
    with tarfile.open(partial, "w:gz") as tar:
        for name, content in everything.items():
            info = tarfile.TarInfo(f"{top}/{name}")
            info.size, info.mode, info.mtime = len(content), 0o644, now
            tar.addfile(info, io.BytesIO(content))
    partial.replace(output)
    return Bundle(output, output.stat().st_size, list(everything))
