"""Benchmark (issue 14's reliability figures): the reference server killed with SIGKILL in the middle of uploads of
every format, then restarted on the same data.

For each format with an upload: ACKED small versions are published (and processed) first; then one large upload per
format is started and the server is killed while they stream. After a restart on the same data directory it prints,
per format, how many acknowledged uploads came back intact (every pull compared with what was pushed, by content
for the formats whose download the registry builds), whether the interrupted upload left anything visible that
is not whole, and the database's `PRAGMA integrity_check`. Exit 1 when any acknowledged upload is lost or damaged,
any partial file is visible, or the database is not intact.

    python3 -m benchmarks.crash_recovery                       # every format, 3 acknowledged + 1 interrupted each
    python3 -m benchmarks.crash_recovery --formats generic,npm --acked 5 --size 64MiB
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path

from core import packages_api
from core.credentials import Credential
from core.format_types import Artifact
from core.vocabulary import AuthScheme, CredentialCase, TokenKind
from engine.config import parse_size
from engine.drivers.http import HttpDriver
from engine.gitlab_api import GitLabClient
from engine.publishing import prepare, wait_processed
from engine.reference import ReferenceServer
from formats import OPERATIONS


def _owner(token: str) -> Credential:
    return Credential(CredentialCase.PERSONAL_ACCESS_TOKEN, TokenKind.PERSONAL_ACCESS_TOKEN, token)


def _publish(driver: HttpDriver, owner: Credential, fmt: str, project: int, name: str, version: str,
             artifact: Artifact) -> bool:
    ops = OPERATIONS[fmt]
    prepare(driver, owner, ops, project, name, version, artifact)
    specs = ops.push(project, name, version, artifact)
    for spec in specs:
        obs = driver.send(spec, owner, AuthScheme.HEADER)
        if obs.status != spec.endpoint.success_status:
            return False
    wait_processed(driver, owner, ops, project, name, version)
    return True


def _intact(driver: HttpDriver, owner: Credential, fmt: str, project: int, name: str, version: str,
            artifact: Artifact) -> bool:
    ops = OPERATIONS[fmt]
    spec = ops.pull(project, name, version, artifact.file_name)
    if ops.served_built:
        obs = driver.send(replace(spec, keep_body=64 << 20), owner, AuthScheme.HEADER)
        return obs.status == 200 and ops.pulled_key(obs.body_excerpt) == ops.content_key(project, name, version,
                                                                                           artifact)
    obs = driver.send(spec, owner, AuthScheme.HEADER)
    return obs.status == 200 and obs.body_sha256 == artifact.sha256()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--formats", default=",".join(f for f, o in OPERATIONS.items() if o.no_upload is None))
    parser.add_argument("--acked", type=int, default=3, help="acknowledged uploads per format before the kill")
    parser.add_argument("--size", default="64MiB", help="size of each interrupted upload")
    parser.add_argument("--kill-after", type=float, default=1.0, help="seconds into the large uploads")
    args = parser.parse_args()
    formats = [f for f in args.formats.split(",") if f]
    size = parse_size(args.size)
    bad = 0
    with tempfile.TemporaryDirectory(prefix="bench-crash-") as data:
        server = ReferenceServer(Path(data)).start()
        client = GitLabClient(server.url, server.admin_token)
        group = client.create_group("crash", "crash")
        projects = {f: int(client.create_project(f"crash-{f}", group["id"])["id"]) for f in formats}
        owner, driver = _owner(server.admin_token), HttpDriver(server.url, timeout=600)
        acked: dict[str, list[tuple[str, str, Artifact]]] = {f: [] for f in formats}
        started = time.monotonic()
        for fmt in formats:
            for i in range(args.acked):
                name, version = f"crash-{fmt.replace('_', '-')}", f"1.0.{i}"
                artifact = OPERATIONS[fmt].artifact(name, version, "crash.bin", 4096, i)
                if _publish(driver, owner, fmt, projects[fmt], name, version, artifact):
                    acked[fmt].append((name, version, artifact))
        print(f"published {sum(len(v) for v in acked.values())} acknowledged uploads over {len(formats)} formats "
              f"in {time.monotonic() - started:.1f} s")

        def interrupted(fmt: str) -> None:
            name = f"crash-{fmt.replace('_', '-')}"
            artifact = OPERATIONS[fmt].artifact(name, "9.9.9", "big.bin", size, 99)
            try:
                _publish(driver, owner, fmt, projects[fmt], name, "9.9.9", artifact)
            except Exception:  # the server dies under it: that is the point
                pass

        threads = [threading.Thread(target=interrupted, args=(f,), daemon=True) for f in formats]
        for thread in threads:
            thread.start()
        time.sleep(args.kill_after)
        assert server.process is not None
        server.process.kill()  # SIGKILL: no shutdown handler runs
        server.process.wait()
        server.process = None
        for thread in threads:
            thread.join(timeout=120)
        print(f"killed the server with SIGKILL {args.kill_after:g} s into {len(formats)} uploads of {size} bytes")

        server.start()
        owner, driver = _owner(server.admin_token), HttpDriver(server.url, timeout=600)
        print(f"{'format':18} {'acked intact':>13} {'partial visible':>16}")
        for fmt in formats:
            ops = OPERATIONS[fmt]
            intact = sum(_intact(driver, owner, fmt, projects[fmt], n, v, a) for n, v, a in acked[fmt])
            listed = driver.send(packages_api.list_packages(projects[fmt], package_version="9.9.9"), owner,
                                 AuthScheme.HEADER).json()
            name = f"crash-{fmt.replace('_', '-')}"
            big = ops.artifact(name, "9.9.9", "big.bin", size, 99)  # the interrupted upload, made again alike
            partial = sum(not _intact(driver, owner, fmt, projects[fmt], name, "9.9.9", big)
                          for p in listed if p.get("status") == "default")
            bad += (len(acked[fmt]) - intact) + partial + (args.acked - len(acked[fmt]))
            print(f"{fmt:18} {intact:>6} / {len(acked[fmt]):<6} {partial:>16}")
        server.stop()
        database = Path(data) / "registry.sqlite3"
        check = sqlite3.connect(database).execute("PRAGMA integrity_check").fetchone()[0]
        print(f"database integrity_check: {check}")
        bad += check != "ok"
    print("result: every acknowledged upload intact, nothing partial visible" if not bad else f"result: {bad} problems")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
