"""`python -m reference_server`: prints its URL, serves, keeps the admin token in a file, refuses unknown faults."""

import subprocess
import sys
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]


def test_cli_prints_its_url_and_serves(tmp_path: Path) -> None:
    token_file = tmp_path / "admin-token"
    command = [sys.executable, "-m", "reference_server", "--port", "0", "--data-dir", str(tmp_path / "data"),
               "--admin-token-file", str(token_file), "--fault", "slow_list", "--size-limit", "generic=100"]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline().strip()
        prefix = "reference server listening on http://127.0.0.1:"
        assert line.startswith(prefix) and int(line.removeprefix(prefix)) > 0
        url = line.split(" on ", 1)[1]
        token = token_file.read_text().strip()
        assert token.startswith("glpat-") and token_file.stat().st_mode & 0o077 == 0
        user = requests.get(f"{url}/api/v4/user", headers={"PRIVATE-TOKEN": token}, timeout=10)
        assert user.status_code == 200 and user.json()["is_admin"] is True
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=15)
    assert token not in stderr  # nothing logs a token


def test_cli_refuses_an_unknown_fault(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "reference_server", "--data-dir", str(tmp_path), "--fault", "gremlins"]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert result.returncode == 2
    assert "unknown fault 'gremlins'" in result.stderr and "corrupt_download" in result.stderr
