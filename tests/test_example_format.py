"""The example format (tests/example_format/, the worked example of docs/adding-a-format.md): a format that lives
outside the repository's own folders, found through HARNESS_FORMAT_DIRS, runs the experiment stage end to end and
is ready; everything but its own rules and routes is derived by the harness; and no shared file names it.

The format is imported only in subprocesses (`formats` is discovered once, when first imported, and this process has
imported it already without HARNESS_FORMAT_DIRS). Its rules module imports nothing but `core`, so the tests read the
expected rule texts from it directly.
"""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import requests
from helpers_run import CI_SIZES, ROOT, Run, clean_env, harness_run

EXAMPLE_DIR = ROOT / "tests" / "example_format"
RULES_FILE = EXAMPLE_DIR / "formats" / "example" / "rules.py"
OWN_FILES = ("tests/example_format/", "tests/test_example_format.py", "docs/adding-a-format.md")
MIB = 1 << 20


def example_rules() -> ModuleType:
    """The example's rules.py, loaded on its own (it imports only `core`)."""
    spec = importlib.util.spec_from_file_location("example_rules", RULES_FILE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def example_env() -> dict[str, str]:
    return {**clean_env(), "HARNESS_FORMAT_DIRS": str(EXAMPLE_DIR), **CI_SIZES}


def step(record: dict[str, Any], name: str) -> dict[str, Any]:
    return next(s for s in record["steps"] if s["name"] == name)


def test_the_example_format_is_ready_for_the_experiment_stage(tmp_path: Path) -> None:
    run: Run = harness_run(tmp_path, "--formats", "example", "--clients", "none", env=example_env())
    assert run.returncode == 0, run.explain()
    assert run.verdict is not None and run.verdict["by_format"] == {"example": "ready"}, run.explain()
    assert {r["outcome"] for r in run.records} <= {"passed", "not_applicable"}, run.explain()

    ids = {r["case_id"] for r in run.records}
    for case_id in ("small-push[example-personal_access_token-header-http]",
                    "pull[example-project_deploy_token-basic-http]",
                    "duplicate-rejected[example-job_token-header-http]",
                    "large-push[example-group_deploy_token-header-http]",
                    "metadata-many[example-personal_access_token-header-http]",
                    "delete[example-project_access_token-header-http]",
                    "over-limit[example-anonymous-none-http]",
                    "parallel-push[example-personal_access_token-header-http]",
                    "search-list[example-job_token-bearer-http]",
                    "basic-challenge[example-personal_access_token-basic-http]",
                    "metadata-load[example-personal_access_token-header-http]"):
        assert case_id in ids, f"{case_id} missing\n{run.explain()}"
    # Bearer comes from the example's endpoints alone (Generic's take only the header and Basic).
    assert {r["scheme"] for r in run.records} == {"header", "basic", "bearer", "none"}

    # The scenarios that cannot apply have no cases, for the reasons the matrix derives from the format.
    scenarios = {r["scenario"] for r in run.records}
    for skipped in ("duplicate-allowed", "duplicate-exception", "pull-duplicates", "list-versions",
                    "custom-endpoints", "group-level", "instance-level", "dist-tags"):
        assert skipped not in scenarios
    criteria = run.verdict["criteria"]
    assert criteria["experiment.custom_endpoints"] == {"example": "not_applicable"}
    assert all(status == {"example": "passed"} for criterion, status in criteria.items()
               if criterion != "experiment.custom_endpoints"), criteria
    summary = (run.run_dir / "summary.md").read_text()
    assert "custom-endpoints: the scenario is for generic only" in summary

    # Expected answers come from the example's rules: its duplicate status, its size limit.
    rules = example_rules().RULES
    duplicate = run.case("duplicate-rejected", "personal_access_token", "header", "example")
    assert step(duplicate, "2-push")["expected"]["status"] == rules.duplicates.refused_status == 409
    over = run.case("over-limit", "personal_access_token", "header", "example")
    assert step(over, "1-push")["expected"]["size"] == rules.size_limit + 1 == 512 * MIB + 1


def test_adding_the_example_format_touched_no_shared_file() -> None:
    """Every file of the repository but the example's own is free of it: its module paths, its API path, its
    class names."""
    markers = re.compile(r"formats[./]example|packages/example|example_format|ExampleOperations|EXAMPLE\b")
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    naming = []
    for name in tracked.splitlines():
        path = ROOT / name
        if name.startswith(OWN_FILES) or not path.is_file():
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        if markers.search(text):
            naming.append(name)
    assert naming == []


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """The bundled reference server with the example format, as `python -m reference_server` runs it: its URL and
    the admin's headers."""
    token_file = tmp_path / "admin-token"
    process = subprocess.Popen(
        [sys.executable, "-m", "reference_server", "--data-dir", str(tmp_path / "data"), "--port", "0",
         "--admin-token-file", str(token_file)],
        cwd=ROOT, env=example_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert "listening on" in line, line + (process.stderr.read() if process.stderr else "")
        yield line.rsplit(" ", 1)[1].strip(), {"PRIVATE-TOKEN": token_file.read_text().strip()}
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_the_examples_refusals_come_from_its_own_rules(server: tuple[str, dict[str, str]]) -> None:
    url, admin = server
    rules = example_rules().RULES
    group = requests.post(f"{url}/api/v4/groups", headers=admin, json={"name": "Grp", "path": "grp"}, timeout=30)
    assert group.status_code == 201, group.text
    project = requests.post(f"{url}/api/v4/projects", headers=admin, timeout=30,
                            json={"name": "proj", "namespace_id": group.json()["id"]})
    assert project.status_code == 201, project.text
    files = f"{url}/api/v4/projects/{project.json()['id']}/packages/example"

    def put(name: str, version: str, file_name: str) -> requests.Response:
        return requests.put(f"{files}/{name}/{version}/{file_name}", headers=admin, data=b"raw bytes", timeout=30)

    # Generic takes all three; the example's own rules refuse them, and say which rule.
    for answer, rule in ((put("Upper_Case", "1.0.0", "upper-case-1.0.0.raw"), rules.name_rule),
                         (put("pkg", "1.0", "pkg-1.0.raw"), rules.version_rule),
                         (put("pkg", "1.0.0", "pkg-1.0.0.bin"), rules.file_name_rule)):
        assert answer.status_code == rules.invalid_status == 400, answer.text
        assert rule in json.loads(answer.text)["message"]

    assert put("pkg", "1.0.0", "pkg-1.0.0.raw").status_code == 201
    again = put("pkg", "1.0.0", "pkg-1.0.0.raw")
    assert again.status_code == rules.duplicates.refused_status == 409, again.text
    assert rules.duplicates.refused_message in again.json()["message"]
