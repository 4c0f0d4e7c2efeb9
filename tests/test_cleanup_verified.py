"""Clean-up verified (issue 14): against a target whose DELETEs answer success and do nothing, the harness does not
report 0 leftovers: every deletion and revocation is read back, and what is left is listed with how to remove it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from core.faults import Fault
from engine.gitlab_api import GitLabClient
from engine.reference import ReferenceServer

ROOT = Path(__file__).resolve().parent.parent


def test_a_target_that_deletes_nothing_leaves_leftovers_the_run_names(tmp_path: Path) -> None:
    faults = [Fault.GROUP_DELETE_DOES_NOTHING.value, Fault.REVOKE_DOES_NOTHING.value]
    with ReferenceServer(tmp_path / "target-data", faults=faults) as target:
        tokens = tmp_path / "tokens.yaml"
        tokens.write_text(f"owner: {target.admin_token}\n")
        result = subprocess.run(
            [sys.executable, "-m", "harness", "run", "--target", target.url, "--token-file", str(tokens),
             "--out-dir", str(tmp_path / "out"), "--run-id", "leaky", "--workers", "0", "--clients", "none",
             "--formats", "generic", "--scenarios", "small-push", "--token-kinds", "personal_access_token",
             "--schemes", "header", "--gate", "selection"],
            cwd=tmp_path, capture_output=True, text=True, timeout=600, env=dict(os.environ, PYTHONPATH=str(ROOT)))
        verdict = json.loads((tmp_path / "out" / "leaky" / "verdict.json").read_text())
        leftovers = verdict["leftovers"]
        assert any(line.startswith("group ") and "still there after its deletion was accepted" in line
                   and "remove it with DELETE /api/v4/groups/" in line for line in leftovers), result.stderr
        assert any(line.startswith("personal access token ") and "still active" in line for line in leftovers)
        ledger_groups = [json.loads(line) for line in (tmp_path / "out" / "leaky" / "ledger.jsonl").read_text()
                         .splitlines() if json.loads(line)["kind"] == "group"]
        with GitLabClient(target.url, target.admin_token) as client:  # the leftovers are real: the group is there
            assert client.get_group(ledger_groups[0]["id"])["id"] == ledger_groups[0]["id"]
