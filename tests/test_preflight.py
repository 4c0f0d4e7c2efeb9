"""A target that is not GitLab says so before anything runs: `harness run`, `harness load` and `harness cleanup` exit 4
with the reason (not GitLab's API, or a refused owner token; a target that closes every connection), never a
traceback, never verdicts built on its 404s."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from core.exit_codes import ExitCode
from engine.gitlab_api import GitLabClient
from engine.preflight import NotGitLab, check_target
from engine.reference import ReferenceServer

ROOT = Path(__file__).resolve().parent.parent


class NpmLike(BaseHTTPRequestHandler):
    """A registry that is not GitLab: JSON for its own paths, 404 for GitLab's."""

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        body = b'{"error":"not_found"}'
        self.send_response(404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


class Hangs(BaseHTTPRequestHandler):
    """A server that closes every connection without an answer (a dead backend behind a balancer)."""

    def handle(self) -> None:
        self.connection.close()


@pytest.fixture(params=["not-gitlab", "closes-connections"])
def not_gitlab(request: pytest.FixtureRequest) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), NpmLike if request.param == "not-gitlab" else Hangs)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _harness(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "harness", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300, env=dict(os.environ, PYTHONPATH=str(ROOT), COLUMNS="200"))


def test_a_target_that_is_not_gitlab_is_named_as_such(not_gitlab: str, tmp_path: Path) -> None:
    tokens = tmp_path / "tokens.yaml"
    tokens.write_text("owner: glpat-aaaaaaaaaaaaaaaaaaaa\n")
    (tmp_path / "old" / "run-1").mkdir(parents=True)
    (tmp_path / "old" / "run-1" / "ledger.jsonl").write_text(
        '{"kind": "group", "id": 1, "path": "h-run-1", "created_at": "2026-01-01T00:00:00+00:00"}\n')
    for command in (["run", "--formats", "npm", "--clients", "none", "--workers", "0", "--out-dir",
                     str(tmp_path / "out")],
                    ["load", "--format", "npm", "--duration", "5s", "--out-dir", str(tmp_path / "load")],
                    ["cleanup", "run-1", "--out-dir", str(tmp_path / "old")]):
        result = _harness(*command, "--target", not_gitlab, "--token-file", str(tokens), cwd=tmp_path)
        said = result.stdout + result.stderr
        assert result.returncode == ExitCode.HARNESS, said
        assert ("this is not GitLab's API" in said and "GET /api/v4/version answered 404" in said) or (
            "GET /api/v4/version failed: connection failed" in said), said
        assert "Traceback" not in said
        for verdict in (tmp_path / "out").glob("*/verdict.json"):  # nothing judged
            assert json.loads(verdict.read_text())["cases"] == {}, said


def test_gitlab_refusing_the_owner_token_says_which_token(tmp_path: Path) -> None:
    with ReferenceServer(tmp_path / "data") as server:
        with GitLabClient(server.url, server.admin_token) as client:
            assert check_target(client) == "reference"
        with GitLabClient(server.url, "glpat-not-a-token-of-this-one") as client, \
                pytest.raises(NotGitLab, match="the target is GitLab, but it refuses the owner token"):
            check_target(client)
