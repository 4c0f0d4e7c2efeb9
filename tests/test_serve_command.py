"""`harness serve` stops cleanly: SIGTERM or SIGINT to it stops the reference server it started, and the port is
free afterwards (issue 14: it used to leave the server running and listening)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[1]
SAFETY_BOUND_S = 120  # stops a hung server; not a speed check


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _answers(port: int) -> bool:
    try:
        requests.get(f"http://127.0.0.1:{port}/api/v4/version", timeout=2)
        return True
    except requests.ConnectionError:
        return False


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_serve_stops_the_reference_server_it_started(tmp_path: Path, stop: signal.Signals) -> None:
    port = _free_port()
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    log = tmp_path / "serve.log"  # a file, not a pipe: a server left running would hold a pipe open
    with log.open("w") as out:
        serve = subprocess.Popen([sys.executable, "-m", "harness", "serve", "--port", str(port),
                                  "--data-dir", str(tmp_path / "data")], cwd=tmp_path, env=env,
                                 stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + SAFETY_BOUND_S
        while not _answers(port):
            assert serve.poll() is None, f"harness serve ended early:\n{log.read_text()}"
            assert time.monotonic() < deadline, "the reference server never answered"
            time.sleep(0.2)
        serve.send_signal(stop)
        code = serve.wait(timeout=SAFETY_BOUND_S)
        assert not _answers(port), "the reference server still answers after harness serve stopped"
        assert _port_free(port), f"port {port} is still taken after harness serve stopped"
        assert code == 0, f"harness serve exited {code} on {stop.name}:\n{log.read_text()}"
    finally:
        if serve.poll() is None:
            serve.kill()
        if not _port_free(port):  # the old behaviour: stop what was left listening, so nothing outlives the test
            subprocess.run(["pkill", "-f", f"reference_server --host 127.0.0.1 --port {port} "], check=False)
