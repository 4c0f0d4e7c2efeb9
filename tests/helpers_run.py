"""Run `harness run` as a user does (a subprocess) and read back what it wrote: results, verdict, exit code.

Used by tests/test_checks_can_fail.py and tests/test_cli_run.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from engine.readiness import load_stages

ROOT = Path(__file__).resolve().parent.parent

# The sizes CI runs the conformance suite at (tests/conftest.py sets them for the README's test command): the large
# push and the metadata scenario prove the same things with smaller files and fewer packages.
CI_SIZES = {"HARNESS_LARGE_SIZE": "64MiB", "HARNESS_CLIENT_LARGE_SIZE": "16MiB", "HARNESS_METADATA_PACKAGES": "100"}

# Small enough that a narrow run takes a few seconds.
# Generic over HTTP unless a test asks for more: the harness's own tests check the harness, not every format.
QUICK = ["--workers", "0", "--large-size", "4MiB", "--metadata-packages", "10", "--formats", "generic",
         "--clients", "none"]

# Variables that would change what a run does if the developer's shell (or an outer pytest) has them set.
_SCRUBBED_PREFIXES = ("HARNESS_", "PYTEST_")
_SCRUBBED = {"CI_JOB_TOKEN"}


def clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(_SCRUBBED_PREFIXES) and k not in _SCRUBBED}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    return env


@dataclass
class Run:
    """One finished `harness run`."""

    args: list[str]
    returncode: int
    stdout: str
    stderr: str
    run_dir: Path
    records: list[dict[str, Any]] = field(default_factory=list)
    verdict: dict[str, Any] | None = None

    def explain(self) -> str:
        """Everything needed to understand a failed assertion."""
        lines = [f"harness {' '.join(self.args)}", f"exit code {self.returncode}",
                 f"verdict: {json.dumps(self.verdict, indent=1) if self.verdict else '(none)'}", "cases:"]
        lines += [f"  {r['case_id']}: {r['outcome']}: {r['reason'][:300]}" for r in self.records]
        lines += ["stderr (end):", self.stderr[-3000:]]
        return "\n".join(lines)

    def case(self, scenario: str, credential: str, scheme: str, format: str = "generic",
             role: str | None = None) -> dict[str, Any]:
        for record in self.records:
            if (record["scenario"], record["credential"], record["scheme"], record["format"], record.get("role")) == (
                    scenario, credential, scheme, format, role):
                return record
        raise AssertionError(f"no case {scenario}[{format}-{credential}{'-' + role if role else ''}-{scheme}] in the "
                             f"run\n{self.explain()}")

    def with_outcome(self, outcome: str) -> list[dict[str, Any]]:
        return [r for r in self.records if r["outcome"] == outcome]


SAFETY_BOUND_S = 1800  # stops a run that hangs; not a speed check (a busy machine may take several times longer)


def harness_run(tmp_path: Path, *args: str, run_id: str = "run", env: dict[str, str] | None = None) -> Run:
    """`python -m harness.cli run --out-dir tmp_path/out --run-id RUN_ID ARGS…`, from tmp_path."""
    out = tmp_path / "out"
    argv = ["run", "--out-dir", str(out), "--run-id", run_id, *args]
    result = subprocess.run([sys.executable, "-m", "harness.cli", *argv], cwd=tmp_path, env=env or clean_env(),
                            capture_output=True, text=True, timeout=SAFETY_BOUND_S)
    run_dir = out / run_id
    records = []
    if (run_dir / "results.jsonl").exists():
        records = [json.loads(line) for line in (run_dir / "results.jsonl").read_text().splitlines() if line]
    verdict_file = run_dir / "verdict.json"
    verdict = json.loads(verdict_file.read_text()) if verdict_file.exists() else None
    return Run(argv, result.returncode, result.stdout, result.stderr, run_dir, records, verdict)


def sign_off_everything(tmp_path: Path, stage: str = "experiment") -> Path:
    """A sign-off file vouching for every criterion of `stage` and of the stages it requires.

    A narrow run leaves most criteria unchecked (verdict `needs_sign_off`); with every criterion signed off,
    the verdict is `ready` unless a case failed, since a sign-off never overrides a failure.
    """
    stages = load_stages()
    signoffs = {c.id: {"by": "harness test", "date": "2024-01-01", "link": "https://example.com/signoff"}
                for _, definition in stages.chain(stage) for c in definition.criteria}
    path = tmp_path / "signoffs.yaml"
    path.write_text(yaml.safe_dump({"schema": "harness.signoffs/1", "signoffs": signoffs}))
    return path
