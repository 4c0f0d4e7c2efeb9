"""Benchmark: stream one large Generic upload (and its download) through the reference server.

Prints throughput and the server's peak resident memory, which shows the upload streams instead of
being held in memory.  Usage: python -m benchmarks.upload_throughput [SIZE]   (default 1GiB)
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from core.credentials import Credential
from core.vocabulary import AuthScheme, CredentialCase, TokenKind
from engine.config import parse_size
from engine.drivers.http import HttpDriver
from engine.gitlab_api import GitLabClient
from engine.reference import ReferenceServer
from formats import generic


def main() -> int:
    size = parse_size(sys.argv[1] if len(sys.argv) > 1 else "1GiB")
    with tempfile.TemporaryDirectory(prefix="bench-upload-") as data, ReferenceServer(Path(data)) as server:
        client = GitLabClient(server.url, server.admin_token)
        group = client.create_group("bench", "bench")
        project = client.create_project("bench", group["id"])
        owner = Credential(CredentialCase.PERSONAL_ACCESS_TOKEN, TokenKind.PERSONAL_ACCESS_TOKEN, server.admin_token)
        driver = HttpDriver(server.url, timeout=600)
        rss_before = server.peak_rss_bytes()
        artifact = generic.GeneratedFile(size=size, seed=1)
        started = time.monotonic()
        push = driver.send(generic.push(project["id"], "bench", "1.0.0", "big.bin", artifact), owner,
                           AuthScheme.HEADER)
        push_s = time.monotonic() - started
        rss_after_push = server.peak_rss_bytes()
        started = time.monotonic()
        pull = driver.send(generic.pull(project["id"], "bench", "1.0.0", "big.bin"), owner, AuthScheme.HEADER)
        pull_s = time.monotonic() - started
        mib = size / (1 << 20)
        print(f"size                     {mib:.0f} MiB")
        print(f"push                     {push.status} in {push_s:.1f} s = {mib / push_s:.0f} MiB/s")
        print(f"pull                     {pull.status} in {pull_s:.1f} s = {mib / pull_s:.0f} MiB/s")
        print(f"checksum round trip      {'ok' if pull.body_sha256 == push.sent_sha256 else 'MISMATCH'}")
        print(f"server peak RSS          before {rss_before / (1 << 20):.0f} MiB, after push "
              f"{rss_after_push / (1 << 20):.0f} MiB, after pull {server.peak_rss_bytes() / (1 << 20):.0f} MiB")
        return 0 if push.status == 201 and pull.body_sha256 == push.sent_sha256 else 1


if __name__ == "__main__":
    sys.exit(main())
