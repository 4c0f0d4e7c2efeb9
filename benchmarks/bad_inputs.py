"""Benchmark (issue 14's reliability figures): generated bad inputs against every format's upload, and how the
reference server answers them. A registry must refuse bad input with a 4xx and keep working: a 5xx is a crash
path, and any one fails the benchmark.

Per format (with an upload) it sends --count inputs, in five kinds: names and versions that break the format's rules
(its patterns' characters mutated with what a typo or a hostile client sends), file names (path traversal,
control characters, very long), bodies (truncated, random, empty) and headers (garbage content types, very long
values). Inputs are derived from a fixed seed, so a 5xx reproduces; "not sent" counts the inputs the format's
request builder or the HTTP client itself refuses to form. It prints the counts by answer class and the
first 5xx of each format with its input. Exit 1 when any answer is a 5xx or no answer came.

    python3 -m benchmarks.bad_inputs                   # every format, 1000 inputs each
    python3 -m benchmarks.bad_inputs --formats npm --count 200
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

from core.credentials import Credential
from core.format_types import Artifact, BytesArtifact, FormatOperations
from core.vocabulary import AuthScheme, CredentialCase, TokenKind
from engine.drivers.http import HttpDriver
from engine.gitlab_api import GitLabClient
from engine.publishing import PublishProblem, prepare
from engine.reference import ReferenceServer
from engine.validation import FORBIDDEN
from formats import OPERATIONS

KINDS = {"name": 0.3, "version": 0.3, "file name": 0.2, "body": 0.1, "header": 0.1}
HOSTILE: list[str] = [*FORBIDDEN, "\t", "\x00", "\x7f", "../", "..%2f", "%00", "\u202e", "😀"]


def _mutated(rng: random.Random, value: str) -> str:
    """`value` with hostile characters put in, cut, doubled or made very long."""
    choice = rng.randrange(6)
    cut = rng.randrange(len(value) + 1)
    if choice == 0:
        return value[:cut] + str(rng.choice(HOSTILE)) + value[cut:]
    if choice == 1:
        return "".join(rng.choice(HOSTILE) for _ in range(rng.randrange(1, 6)))
    if choice == 2:
        return value * rng.randrange(20, 80)
    if choice == 3:
        return ""
    if choice == 4:
        return str(rng.choice(HOSTILE)) + value
    return value.upper() + str(rng.choice(HOSTILE)) * 3


Input = tuple[str, str, str, Artifact, dict[str, str]]  # kind, name, version, file, extra headers


def _inputs(rng: random.Random, ops: FormatOperations, count: int) -> Iterator[Input]:
    for index in range(count):
        kind = rng.choices(list(KINDS), weights=list(KINDS.values()))[0]
        name, version = f"bad-input-{index % 7}", f"1.{index % 5}.0"
        headers: dict[str, str] = {}
        if kind == "name":
            name = _mutated(rng, name)
        elif kind == "version":
            version = _mutated(rng, version)
        try:
            artifact = ops.artifact(name, version, "bad.bin", 512, index)
            b"".join(artifact.chunks())  # a file the format cannot even form fails here, not mid-request
        except Exception:  # the format's own builder refuses the value: send a raw file under that name instead
            artifact = BytesArtifact(f"{name}-{version}.bin", b"x" * 64)
        if kind == "file name":
            artifact = BytesArtifact(_mutated(rng, artifact.file_name), b"".join(artifact.chunks()))
        elif kind == "body":
            data = b"".join(artifact.chunks())
            artifact = BytesArtifact(artifact.file_name, rng.choice([data[: rng.randrange(len(data) + 1)],
                                                                     rng.randbytes(rng.randrange(1, 4096)), b""]))
        elif kind == "header":
            headers = {rng.choice(["Content-Type", "Accept", "X-Custom", "Content-Disposition"]):
                       rng.choice(["\u00e9t\u00e9", "a" * 8000, "multipart/form-data; boundary=", ";;;", "\x01"])}
        yield kind, name, version, artifact, headers


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--formats", default=",".join(f for f, o in OPERATIONS.items() if o.no_upload is None))
    parser.add_argument("--count", type=int, default=1000, help="bad inputs per format")
    parser.add_argument("--seed", type=int, default=14)
    args = parser.parse_args()
    failed = 0
    with tempfile.TemporaryDirectory(prefix="bench-bad-") as data, ReferenceServer(Path(data)) as server:
        client = GitLabClient(server.url, server.admin_token)
        group = client.create_group("bad", "bad")
        owner = Credential(CredentialCase.PERSONAL_ACCESS_TOKEN, TokenKind.PERSONAL_ACCESS_TOKEN, server.admin_token)
        driver = HttpDriver(server.url, timeout=30)
        print(f"{'format':18} {'inputs':>7} {'not sent':>9} {'2xx':>6} {'4xx':>6} {'5xx':>5} {'none':>5} {'s':>6}")
        for fmt in [f for f in args.formats.split(",") if f]:
            ops, rng = OPERATIONS[fmt], random.Random(f"{args.seed}-{fmt}")
            project = int(client.create_project(f"bad-{fmt}", group["id"])["id"])
            answers: Counter[str] = Counter()
            first_5xx = ""
            started = time.monotonic()
            for kind, name, version, artifact, headers in _inputs(rng, ops, args.count):
                try:
                    set_up = prepare(driver, owner, ops, project, name, version, artifact)  # Composer's commit
                    specs = ops.push(project, name, version, artifact)
                except PublishProblem as problem:  # the set-up was refused: that answer counts
                    set_up = [problem.observation] if problem.observation else []
                    specs = []
                except Exception:  # the request cannot even be formed (a URL the builder refuses)
                    answers["unbuildable"] += 1
                    continue
                for obs in set_up:
                    answers[f"{obs.status // 100}xx" if obs.status else "none"] += 1
                for spec in specs:
                    obs = driver.send(replace(spec, headers={**spec.headers, **headers}), owner, AuthScheme.HEADER)
                    cls = "none" if obs.status is None else f"{obs.status // 100}xx"
                    if cls == "none" and obs.error and "Invalid header" in obs.error:
                        cls = "unsendable"  # the client itself refuses the header: nothing reached the server
                    answers[cls] += 1
                    if cls in ("5xx", "none") and not first_5xx:
                        first_5xx = f"{kind} {name!r} {version!r} {artifact.file_name!r} → {obs.status} {obs.error}"
                    if cls != "2xx":
                        break
            seconds = time.monotonic() - started
            not_sent = answers["unbuildable"] + answers["unsendable"]
            print(f"{fmt:18} {args.count:>7} {not_sent:>9} {answers['2xx']:>6} {answers['4xx']:>6} "
                  f"{answers['5xx']:>5} {answers['none']:>5} {seconds:>6.1f}")
            if first_5xx:
                print(f"  first 5xx: {first_5xx[:300]}")
            failed += answers["5xx"] + answers["none"]
        server.check_alive()
    print("result: no 5xx" if not failed else f"result: {failed} answers were 5xx or none")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
