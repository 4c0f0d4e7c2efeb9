"""The recording proxy between a real client and the target: bytes pass unchanged both ways, the transcript holds
what the registry answered with tokens redacted, and a target that does not answer is a 502 saying so."""

from __future__ import annotations

import hashlib
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from test_reference_server import ADMIN_TOKEN, Registry, running_server

from core.credentials import REDACTOR
from engine.clients.proxy import RecordingProxy
from reference_server.settings import ServerSettings

MIB = 1 << 20


@pytest.fixture
def registry(tmp_path: Path) -> Iterator[Registry]:
    with running_server(ServerSettings(data_dir=tmp_path / "data", admin_token=ADMIN_TOKEN)) as url:
        yield Registry(url, tmp_path / "data")


def test_large_bodies_pass_unchanged_and_the_transcript_says_what_happened(registry: Registry, tmp_path: Path) -> None:
    group = registry.group()
    project = registry.project(group["id"])
    token = registry.admin["PRIVATE-TOKEN"]
    REDACTOR.add(token)
    data = b"\x00" + hashlib.sha256(b"seed").digest() * (20 * MIB // 32)  # binary: described, not shown
    path = f"/api/v4/projects/{project['id']}/packages/generic/pkg/1.0.0/big.bin"
    with RecordingProxy(registry.url) as proxy:
        assert requests.put(proxy.url + path, data=data, headers=registry.admin, timeout=60).status_code == 201
        pulled = requests.get(proxy.url + path, headers=registry.admin, timeout=60)
        refused = requests.put(proxy.url + path, data=b"x", timeout=60)
        chunked = tmp_path / "small.bin"
        chunked.write_bytes(b"hello" * 1000)
        curl = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-H",
                               "Transfer-Encoding: chunked", "-H", f"PRIVATE-TOKEN: {token}", "-T", "-",
                               proxy.url + path.replace("big", "chunk")],
                              input=chunked.read_bytes(), capture_output=True, timeout=60)
    assert pulled.status_code == 200 and hashlib.sha256(pulled.content).digest() == hashlib.sha256(data).digest()
    assert refused.status_code == 401 and refused.headers["WWW-Authenticate"].startswith("Basic")
    assert curl.stdout == b"201"
    statuses = [(e.method, e.status) for e in proxy.exchanges]
    assert statuses == [("PUT", 201), ("GET", 200), ("PUT", 401), ("PUT", 201)]
    assert proxy.exchanges[0].request_body == f"<{len(data)} bytes>"
    assert proxy.exchanges[1].response_body == f"<{len(data)} bytes>"
    text = repr(proxy.exchanges)
    assert token not in text and "[REDACTED]" in text


def test_a_target_that_does_not_answer_is_a_502_in_the_transcript() -> None:
    with RecordingProxy("http://127.0.0.1:9") as proxy:  # the discard port: nothing listens
        answer = requests.get(proxy.url + "/api/v4/projects/1/packages", timeout=30)
    assert answer.status_code == 502 and "did not answer" in answer.text
    assert proxy.exchanges[0].status is None and proxy.exchanges[0].error
