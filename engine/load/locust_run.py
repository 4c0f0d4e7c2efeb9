"""Run Locust in its own processes: one standalone process, or a master with N local workers (and any number of
workers joining from other machines with `harness load-worker`). Locust's own master/worker protocol carries the
load; this module only starts, watches and stops the processes, bounded in time, and reads the timeline the
master writes (engine/load/locustfile.py).
"""

from __future__ import annotations

import json
import os
import resource
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.credentials import REDACTOR

LOCUSTFILE = Path(__file__).resolve().parent / "locustfile.py"
DEFAULT_MASTER_PORT = 5557
WORKER_WAIT_S = 60  # how long the master waits for its workers before giving up
GRACE_S = 30  # after the run time: spawn, stop and the last reports; then the processes are stopped
LOG_TAIL_LINES = 15

Tick = Callable[[float, dict[str, Any] | None], None]  # (seconds elapsed, the timeline so far)


class LoadRunError(RuntimeError):
    """Locust could not run (bad install, workers that never came, a crash); the message has the log's end."""


def locust_command() -> list[str]:
    return [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE)]


def worker_command(master_host: str, master_port: int) -> list[str]:
    """The command that joins a worker to a master; `harness load-worker` runs it on another machine."""
    return [*locust_command(), "--worker", "--master-host", master_host, "--master-port", str(master_port),
            "--loglevel", "WARNING"]


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


@dataclass
class LocustOptions:
    host: str  # the target's base URL
    users: int
    spawn_rate: float
    run_time_s: float  # warm-up + measured window
    workers: int = 0  # 0: one standalone process; N: a master and N local worker processes
    remote_workers: int = 0  # more workers the master waits for (`harness load-worker` on other machines)
    master_bind: str = "127.0.0.1"
    master_port: int | None = None  # None: a free port (DEFAULT_MASTER_PORT when remote workers are expected)


@dataclass
class LocustRun:
    timeline: dict[str, Any] | None
    returncode: int | None
    interrupted: bool
    master_address: str | None
    logs: list[Path] = field(default_factory=list)
    wall_s: float = 0.0
    cpu_s: float = 0.0  # CPU time of every Locust process this machine ran: is Locust itself the bottleneck?

    def log_tail(self) -> str:
        lines: list[str] = []
        for log in self.logs:
            try:
                text = log.read_text(errors="replace").splitlines()[-LOG_TAIL_LINES:]
            except OSError:
                continue
            lines += [f"--- {log.name}", *text]
        return REDACTOR("\n".join(lines))


def _read_timeline(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text())  # type: ignore[no-any-return]
    except (OSError, ValueError):
        return None


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)  # processes this one has waited for
    return usage.ru_utime + usage.ru_stime


def _stop(processes: list[subprocess.Popen[bytes]], sig: int) -> None:
    for process in processes:
        if process.poll() is None:
            try:
                process.send_signal(sig)
            except ProcessLookupError:
                pass


def run_locust(plan: dict[str, Any], options: LocustOptions, out_dir: Path, on_tick: Tick | None = None
               ) -> LocustRun:
    """Run the load and return the master's timeline. Ctrl-C stops Locust gracefully: what it measured is kept."""
    out_dir.mkdir(parents=True, exist_ok=True)
    timeline_path = out_dir / "timeline.json"
    timeline_path.unlink(missing_ok=True)
    env = dict(os.environ, LOCUST_HARNESS_PLAN=json.dumps(plan), LOCUST_HARNESS_TIMELINE=str(timeline_path),
               PYTHONUNBUFFERED="1")
    distributed = options.workers > 0 or options.remote_workers > 0
    port = options.master_port or (DEFAULT_MASTER_PORT if options.remote_workers else free_port(options.master_bind))
    main = [*locust_command(), "--headless", "--host", options.host, "--users", str(options.users),
            "--spawn-rate", f"{options.spawn_rate:g}", "--run-time", f"{max(1, round(options.run_time_s))}s",
            "--stop-timeout", "2", "--exit-code-on-error", "0", "--only-summary"]
    if distributed:
        main += ["--master", "--master-bind-host", options.master_bind, "--master-bind-port", str(port),
                 "--expect-workers", str(options.workers + options.remote_workers),
                 "--expect-workers-max-wait", str(WORKER_WAIT_S)]
    processes: list[subprocess.Popen[bytes]] = []
    logs = [out_dir / "locust-master.log" if distributed else out_dir / "locust.log"]
    with logs[0].open("wb") as log:
        processes.append(subprocess.Popen(main, env=env, stdout=log, stderr=subprocess.STDOUT,
                                          stdin=subprocess.DEVNULL))
    worker_env = {k: v for k, v in env.items() if k != "LOCUST_HARNESS_PLAN"}  # workers get the plan from the master
    connect = "127.0.0.1" if options.master_bind in ("0.0.0.0", "::", "") else options.master_bind
    for index in range(options.workers):
        logs.append(out_dir / f"locust-worker-{index + 1}.log")
        with logs[-1].open("wb") as log:
            processes.append(subprocess.Popen(worker_command(connect, port), env=worker_env, stdout=log,
                                              stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL))
    master = processes[0]
    cpu_before = _children_cpu()
    deadline = time.monotonic() + options.run_time_s + GRACE_S + (WORKER_WAIT_S if distributed else 0)
    started = time.monotonic()
    interrupted = False
    try:
        while master.poll() is None:
            if time.monotonic() > deadline:
                _stop(processes, signal.SIGINT)
                break
            time.sleep(1.0)
            if on_tick:
                on_tick(time.monotonic() - started, _read_timeline(timeline_path))
    except KeyboardInterrupt:
        interrupted = True
        _stop(processes, signal.SIGINT)  # Locust stops the users and writes its last numbers
    try:
        master.wait(timeout=GRACE_S)
    except subprocess.TimeoutExpired:
        _stop(processes, signal.SIGKILL)
    for process in processes[1:]:
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    master.wait()
    timeline = _read_timeline(timeline_path)
    run = LocustRun(timeline, master.returncode, interrupted,
                    f"{options.master_bind}:{port}" if distributed else None, logs,
                    wall_s=round(time.monotonic() - started, 1), cpu_s=round(_children_cpu() - cpu_before, 1))
    if timeline is None and not interrupted:
        raise LoadRunError(f"Locust wrote no numbers (exit code {master.returncode}).\n{run.log_tail()}\n"
                           "What to do: read the log above; check that locust is installed (pip install -e .) and, "
                           "with workers, that they can reach the master's port.")
    return run
