"""Benchmark (issue 14's reliability figures): a bounded soak of the reference server, its memory sampled.

Starts the reference server, runs `harness load` against it (--users readers of the metadata document and the
downloads, every token kind, for --duration after the scenario's warm-up) and samples the server's resident memory
(VmRSS of its process) every --every seconds, from before the seeding to the end. Prints the samples as a table,
then the first, peak and last RSS and the slope over the measured window (MiB per minute, least squares), and the
load's own verdict. Memory that keeps growing under a steady load is a leak: exit 1 when the slope over the last
half of the window exceeds --max-slope MiB/min, or the load failed.

    python3 -m benchmarks.soak                                   # 10 minutes, 100 users, npm
    python3 -m benchmarks.soak --duration 2m --users 50 --format pypi
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from engine.reference import ReferenceServer

ROOT = Path(__file__).resolve().parent.parent


def _rss_mib(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def _slope(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of MiB over minutes."""
    if len(points) < 2:
        return 0.0
    xs, ys = [t / 60 for t, _ in points], [m for _, m in points]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    den = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / den if den else 0.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", default="10m")
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--format", default="npm")
    parser.add_argument("--every", type=float, default=5.0, help="seconds between memory samples")
    parser.add_argument("--max-slope", type=float, default=2.0, help="MiB per minute over the window's last half")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-soak-") as data, ReferenceServer(Path(data) / "server") as server:
        assert server.process is not None
        pid, samples, stop = server.process.pid, [], threading.Event()
        started = time.monotonic()

        def sample() -> None:
            while not stop.is_set():
                rss = _rss_mib(pid)
                if rss is not None:
                    samples.append((time.monotonic() - started, rss))
                stop.wait(args.every)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        tokens = Path(data) / "tokens.yaml"
        tokens.write_text(f"owner: {server.admin_token}\n")
        load = subprocess.run(
            [sys.executable, "-m", "harness", "load", "--target", server.url, "--token-file", str(tokens),
             "--format", args.format, "--users", str(args.users), "--duration", args.duration,
             "--out-dir", str(Path(data) / "out"), "--run-id", "soak"],
            cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)), capture_output=True, text=True)
        stop.set()
        sampler.join()
    print(f"{'t (s)':>7} {'RSS MiB':>8}")
    step = max(1, len(samples) // 40)
    for t, rss in samples[::step]:
        print(f"{t:>7.0f} {rss:>8.1f}")
    if not samples:
        print("no memory samples")
        return 1
    late = samples[len(samples) // 2:]
    slope = _slope(late)
    print(f"RSS first {samples[0][1]:.1f} MiB, peak {max(m for _, m in samples):.1f} MiB, last {samples[-1][1]:.1f} "
          f"MiB over {samples[-1][0]:.0f} s; slope over the last half {slope:+.2f} MiB/min (limit {args.max_slope})")
    said = (load.stdout + load.stderr).strip().splitlines() or ["(no output)"]
    print("load:", " | ".join(line.strip() for line in said[-3:])[:600], f"(exit {load.returncode})")
    return 0 if load.returncode == 0 and slope <= args.max_slope else 1


if __name__ == "__main__":
    sys.exit(main())
