"""Benchmark: latency of each format's metadata document as one package grows to a few hundred versions.

The rollout guide's check ("push a few hundreds of packages and interact with the metadata endpoint; check for
slow responses") as numbers: for each format, versions of one package are published in parallel (through the
format's own request builders, as the conformance suite sends them) up to each size, then the metadata request is
sent sequentially. The first request after the last change is reported as `cold` (a server that caches the
document builds it then), the rest as p50 / p95 / max. Every answer is checked to list every version, so a cache
that misses a publish fails the run instead of looking fast.

    python3 -m benchmarks.metadata_latency --formats npm,pypi,maven,generic --sizes 25,50,100,200,400
    python3 -m benchmarks.metadata_latency --fault metadata_n_plus_one --sizes 25,50,100
    python3 -m benchmarks.metadata_latency --formats maven --under-load   # while `--workers` publishes run

Metadata requests: npm's packument, PyPI's simple page (HTML), Maven's artifact-level maven-metadata.xml, and for
Generic the Packages API list (`per_page=100`: at most 100 of the versions are in the page). With `--fault`, the
fitted exponent of warm latency over versions (log-log least squares) is printed too.
"""

from __future__ import annotations

import argparse
import math
import re
import statistics
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

from core import packages_api
from core.credentials import Credential
from core.vocabulary import AuthScheme, CredentialCase, TokenKind
from engine.drivers.base import Observation
from engine.drivers.http import HttpDriver
from engine.gitlab_api import GitLabClient
from engine.reference import ReferenceServer
from formats import OPERATIONS, RequestSpec

FORMATS = ("npm", "pypi", "maven", "generic")
PACKAGE = {"npm": "bench-pkg", "pypi": "bench-pkg", "maven": "bench-lib", "generic": "bench-pkg"}
# Parallel `mvn deploy`s each PUT the artifact-level maven-metadata.xml then its checksums; another deploy's PUT in
# between makes the checksum PUT a 409 (it is verified against the newest file). The served document is built from
# the versions, so it is right either way.
RACING_CHECKSUM = re.compile(r"/maven-metadata\.xml\.(sha1|md5|sha256|sha512)$")
LIST_PAGE = 100  # the Generic metadata request: the Packages API list, one page of this size


@dataclass(frozen=True)
class Sample:
    format_name: str
    versions: int
    cold_ms: float
    p50_ms: float
    p95_ms: float
    max_ms: float
    body_bytes: int


def version_of(format_name: str, index: int) -> str:
    return f"1.{index}" if format_name == "maven" else f"1.{index}.0"


def metadata_request(format_name: str, project_id: int) -> RequestSpec:
    if format_name == "generic":
        return packages_api.list_packages(project_id, per_page=LIST_PAGE)
    spec = OPERATIONS[format_name].metadata(project_id, PACKAGE[format_name])
    assert spec is not None
    return spec


def listed(format_name: str, answer: Observation) -> int:
    """How many versions the metadata answer lists (Generic: the list's X-Total)."""
    text = answer.body_excerpt.decode("utf-8", "replace")
    if format_name == "npm":
        return len(answer.json()["versions"])
    if format_name == "pypi":
        return text.count("<a ")
    if format_name == "maven":
        return len(re.findall(r"<version>", text))
    return int(answer.headers.get("x-total", "0"))


def percentile(values: Sequence[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(fraction * len(ordered)) - 1))]


def push_versions(driver: HttpDriver, owner: Credential, format_name: str, project_id: int, first: int, last: int,
                  workers: int, artifact_size: int) -> None:
    """Publish versions [first, last) of the format's package, `workers` at a time."""
    ops = OPERATIONS[format_name]
    name = PACKAGE[format_name]

    def one(index: int) -> None:
        version = version_of(format_name, index)
        artifact = ops.artifact(name, version, f"file-{index}.bin", artifact_size, index)
        for spec in ops.push(project_id, name, version, artifact):
            answer = driver.send(spec, owner, AuthScheme.HEADER)
            if answer.status == 409 and RACING_CHECKSUM.search(spec.path):
                continue  # a parallel deploy replaced maven-metadata.xml between its PUT and its checksum's
            if answer.status is None or answer.status >= 300:
                raise RuntimeError(f"{format_name} push of {version}: {spec.method} {spec.path} answered "
                                   f"{answer.status} {answer.body_excerpt[:200]!r}")

    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(one, range(first, last)))


def measure(driver: HttpDriver, owner: Credential, format_name: str, project_id: int, versions: int,
            requests: int) -> Sample:
    spec = metadata_request(format_name, project_id)
    durations, size = [], 0
    for _ in range(requests):
        answer = driver.send(spec, owner, AuthScheme.HEADER)
        if answer.status != 200:
            raise RuntimeError(f"{format_name} metadata answered {answer.status} {answer.body_excerpt[:200]!r}")
        if (count := listed(format_name, answer)) != versions:
            raise RuntimeError(f"{format_name} metadata lists {count} versions, {versions} were published")
        durations.append(answer.duration_ms)
        size = answer.body_size
    warm = durations[1:] or durations
    return Sample(format_name, versions, durations[0], statistics.median(warm), percentile(warm, 0.95), max(warm),
                  size)


def measure_under_load(driver: HttpDriver, owner: Credential, format_name: str, project_id: int, first: int,
                       last: int, workers: int, artifact_size: int) -> Sample:
    """Metadata latency while versions [first, last) are being published: p50/p95/max are of the requests sent
    during the publishes (sequentially, one at a time), `cold` is the first request after the last publish."""
    spec = metadata_request(format_name, project_id)
    failures: list[BaseException] = []
    done = threading.Event()

    def publish() -> None:
        try:
            push_versions(driver, owner, format_name, project_id, first, last, workers, artifact_size)
        except BaseException as error:  # noqa: BLE001 - raised again in the measuring thread
            failures.append(error)
        finally:
            done.set()

    publisher = threading.Thread(target=publish, name="publisher")
    publisher.start()
    durations: list[float] = []
    while not done.is_set():
        answer = driver.send(spec, owner, AuthScheme.HEADER)
        if answer.status != 200 and not (answer.status == 404 and first == 0):
            raise RuntimeError(f"{format_name} metadata answered {answer.status} {answer.body_excerpt[:200]!r}")
        durations.append(answer.duration_ms)
    publisher.join()
    if failures:
        raise failures[0]
    after = measure(driver, owner, format_name, project_id, last, 2)
    durations = durations or [after.p50_ms]
    return Sample(format_name, last, after.cold_ms, statistics.median(durations), percentile(durations, 0.95),
                  max(durations), after.body_bytes)


def fitted_exponent(samples: Sequence[Sample], value: Callable[[Sample], float]) -> float:
    """The slope of log(value) over log(versions), least squares."""
    xs = [math.log(s.versions) for s in samples]
    ys = [math.log(max(value(s), 1e-3)) for s in samples]
    mean_x, mean_y = statistics.fmean(xs), statistics.fmean(ys)
    spread = sum((x - mean_x) ** 2 for x in xs)
    return sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / spread if spread else math.nan


def record_profile(pid: int, out: Path, work: Callable[[], None]) -> None:
    """Run `work` while py-spy samples the server process into `out` (a flame graph; .txt: collapsed stacks)."""
    fmt = "raw" if out.suffix == ".txt" else "flamegraph"
    spy = subprocess.Popen(["py-spy", "record", "--pid", str(pid), "--rate", "250", "--format", fmt,
                            "--output", str(out), "--nonblocking"], stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE)
    try:
        work()
    finally:
        spy.send_signal(2)  # SIGINT: py-spy writes what it sampled and exits
        _, errors = spy.communicate(timeout=60)
    if spy.returncode not in (0, -2):
        print(f"py-spy failed ({spy.returncode}): {errors.decode(errors='replace').strip()}", file=sys.stderr)


def profiled(run: Callable[[], Sample], pid: int, directory: Path, format_name: str) -> Sample:
    """Measure under py-spy twice (a flame graph, then collapsed stacks); the cold request is not profiled."""
    directory.mkdir(parents=True, exist_ok=True)
    first = run()
    found: list[Sample] = []
    for suffix in (".svg", ".txt"):
        record_profile(pid, directory / f"{format_name}{suffix}", lambda: found.append(run()))
    return replace(found[-1], cold_ms=first.cold_ms)


def row(sample: Sample) -> str:
    return (f"{sample.format_name:8} {sample.versions:>8} {sample.cold_ms:>9.1f} {sample.p50_ms:>9.1f} "
            f"{sample.p95_ms:>9.1f} {sample.max_ms:>9.1f} {sample.body_bytes:>9}")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks.metadata_latency", description=__doc__.split("\n\n")[0])
    p.add_argument("--formats", default=",".join(FORMATS), help="comma-separated (default: all four)")
    p.add_argument("--sizes", default="25,50,100,200,400", help="version counts to measure at, ascending")
    p.add_argument("--requests", type=int, default=50, help="metadata requests per size (the first is 'cold')")
    p.add_argument("--workers", type=int, default=8, help="parallel publishes")
    p.add_argument("--artifact-size", type=int, default=1024, help="bytes per published file")
    p.add_argument("--fault", action="append", default=[], help="start the server with this fault (repeatable)")
    p.add_argument("--under-load", action="store_true",
                   help="measure while the versions up to each size are being published (p50/p95/max under load)")
    p.add_argument("--profile-dir", type=Path, help="py-spy the warm requests at the largest size into this directory"
                                                    " (<format>.svg and <format>.txt)")
    args = p.parse_args(argv)
    args.formats = [f.strip() for f in args.formats.split(",") if f.strip()]
    args.sizes = sorted(int(s) for s in args.sizes.split(",") if s.strip())
    args.fault = [f.strip() for item in args.fault for f in item.split(",") if f.strip()]
    if unknown := set(args.formats) - set(FORMATS):
        p.error(f"unknown formats {sorted(unknown)}; known: {', '.join(FORMATS)}")
    if args.requests < 2:
        p.error("--requests must be at least 2 (one cold, the rest warm)")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    samples: list[Sample] = []
    with tempfile.TemporaryDirectory(prefix="bench-metadata-") as data, \
            ReferenceServer(Path(data), faults=args.fault) as server:
        client = GitLabClient(server.url, server.admin_token)
        group = client.create_group("bench", "bench")
        owner = Credential(CredentialCase.PERSONAL_ACCESS_TOKEN, TokenKind.PERSONAL_ACCESS_TOKEN, server.admin_token)
        faults = f" with faults {', '.join(args.fault)}" if args.fault else ""
        how = ("requests sent one at a time while publishing" if args.under_load
               else f"{args.requests} sequential requests per size")
        print(f"reference server {server.url}{faults}; {how}, first after the last publish = cold")
        print(f"{'format':8} {'versions':>8} {'cold ms':>9} {'p50 ms':>9} {'p95 ms':>9} {'max ms':>9} {'bytes':>9}")
        with HttpDriver(server.url, timeout=600) as driver:
            for format_name in args.formats:
                project = client.create_project(f"bench-{format_name}", group["id"])
                published = 0
                for size in args.sizes:
                    if args.under_load:
                        sample = measure_under_load(driver, owner, format_name, project["id"], published, size,
                                                    args.workers, args.artifact_size)
                        published = size
                        samples.append(sample)
                        print(row(sample), flush=True)
                        continue
                    push_versions(driver, owner, format_name, project["id"], published, size, args.workers,
                                  args.artifact_size)
                    published = size

                    def run(fmt: str = format_name, pid: int = project["id"], n: int = size) -> Sample:
                        return measure(driver, owner, fmt, pid, n, args.requests)

                    if args.profile_dir and size == args.sizes[-1] and server.process is not None:
                        sample = profiled(run, server.process.pid, args.profile_dir, format_name)
                    else:
                        sample = run()
                    samples.append(sample)
                    print(row(sample), flush=True)
    if args.fault and len(args.sizes) > 1:
        ranges = [args.sizes] + ([small] if 1 < len(small := [n for n in args.sizes if n <= 100]) < len(args.sizes)
                                 else [])
        for format_name in args.formats:
            for sizes in ranges:
                mine = [s for s in samples if s.format_name == format_name and s.versions in sizes]
                print(f"{format_name}: log-log exponent of latency over {', '.join(map(str, sizes))} versions: "
                      f"p50 {fitted_exponent(mine, lambda s: s.p50_ms):.2f}, "
                      f"cold {fitted_exponent(mine, lambda s: s.cold_ms):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
