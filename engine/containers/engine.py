"""Connecting to the Docker engine, with an error that says how to get one when there is none.

Everything that touches containers goes through one `docker.DockerClient` made here: a short timeout for the
first ping (an absent engine must fail in seconds, not hang), then a long one for builds and runs.
"""

from __future__ import annotations

import os

import docker
import requests
from docker.errors import DockerException

PING_TIMEOUT_S = 5.0
CALL_TIMEOUT_S = 600.0  # one API call (a build step, a pull) may be silent for minutes

HOW_TO_GET_ONE = """To run the real clients in containers, start a Docker engine:
  - Debian/Ubuntu:  apt-get install -y --no-install-recommends docker.io debootstrap
  - then start it:  dockerd --iptables=false --bridge=none >/var/log/dockerd.log 2>&1 &
    (or `sudo systemctl start docker` where systemd runs, or run .ci/docker-engine which does both)
  - an engine elsewhere: export DOCKER_HOST=unix:///path/to/docker.sock (rootless: $XDG_RUNTIME_DIR/docker.sock)
Or run the clients installed on this host instead: harness run --clients host (or --clients none to skip them)."""


class EngineUnavailable(RuntimeError):
    """No Docker engine answered; the message says what was tried and how to get one."""


def _where() -> str:
    return os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"


def connect(timeout_s: float = PING_TIMEOUT_S) -> docker.DockerClient:
    """A client for the engine at DOCKER_HOST (or the default socket), checked with a ping."""
    try:
        client = docker.from_env(timeout=int(max(1, timeout_s)))
        client.ping()
    except (DockerException, requests.exceptions.RequestException, OSError) as exc:
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if "Permission denied" in detail:
            raise EngineUnavailable(
                f"the Docker engine at {_where()} refused this user ({detail}).\n"
                "Run as root, or add yourself to the docker group (usermod -aG docker $USER, then log in again).\n"
                "Or run the clients installed on this host instead: harness run --clients host") from None
        raise EngineUnavailable(f"no Docker engine answered at {_where()} ({detail}).\n{HOW_TO_GET_ONE}") from None
    client.api.timeout = CALL_TIMEOUT_S
    return client


def engine_version(client: docker.DockerClient) -> str:
    """'20.10.24+dfsg1 (API 1.41)': for run metadata and the report."""
    version = client.version()
    return f"{version.get('Version', '?')} (API {version.get('ApiVersion', '?')})"
