"""A selection that leaves no case is refused (exit 2) with the filters that left nothing, before a server starts
or a run folder fills with a report of nothing."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.exit_codes import ExitCode
from engine.config import ConfigError, Settings
from engine.matrix import check_not_empty
from engine.scenario import read_scenarios

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"


def test_a_client_of_another_format_selects_nothing() -> None:
    with pytest.raises(ConfigError, match=r"no cases to run \(--formats generic; --drivers npm\)"):
        check_not_empty(read_scenarios([SCENARIOS]), Settings(formats=["generic"], drivers=["npm"]))


def test_a_scenario_no_selected_format_has_selects_nothing() -> None:
    with pytest.raises(ConfigError, match=r"--scenarios dist-tags; --formats generic"):
        check_not_empty(read_scenarios([SCENARIOS]), Settings(formats=["generic"], scenarios=["dist-tags"]))


def test_a_selection_with_cases_passes() -> None:
    check_not_empty(read_scenarios([SCENARIOS]),
                    Settings(formats=["generic"], scenarios=["small-push"], clients="none"))


def test_the_cli_refuses_it_with_exit_2(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "harness", "run", "--drivers", "npm", "--formats", "generic",
                             "--out-dir", str(tmp_path / "out")], cwd=tmp_path, capture_output=True, text=True,
                            timeout=600, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert result.returncode == ExitCode.CONFIG
    assert "the selection has no cases to run" in result.stdout + result.stderr
