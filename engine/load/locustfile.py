"""The Locust side of `harness load`. It runs only inside Locust's own processes (gevent's monkey-patching stays out
of the harness), standalone, as the master or as a worker.

The load plan (engine/load/plan.py) reaches it as the custom option `--harness-plan` (JSON, given to the master
through the environment variable LOCUST_HARNESS_PLAN, so tokens never sit on a command line); Locust's master sends
custom options to its workers with every spawn message, so a worker on another machine needs nothing but the
master's address. Each request is one of the plan's, built by the formats' own operations with the auth headers
of one of the plan's credentials (every token kind the endpoint permits).

The master (or the standalone process) samples Locust's raw response-time histograms every second and writes what
each second added to the file named by `--harness-timeline`, so a run stopped at any point leaves its numbers.
"""

from __future__ import annotations

import json
import os
import random
import time
from collections.abc import Callable
from typing import Any, TypeVar

import gevent
from locust import FastHttpUser, events, runners, task
from locust.env import Environment
from locust.runners import WorkerRunner

runners.WORKER_REPORT_INTERVAL = 1.0  # workers report every second: the master's timeline keeps 1 s resolution
SAMPLE_INTERVAL_S = 1.0
WRITE_EVERY_S = 2.0
Handler = TypeVar("Handler", bound=Callable[..., None])


def _listener(hook: Any) -> Callable[[Handler], Handler]:
    """Subscribe the decorated function to a locust event hook (locust's own `add_listener` is untyped)."""

    def register(handler: Handler) -> Handler:
        hook.add_listener(handler)
        return handler

    return register


@_listener(events.init_command_line_parser)
def _options(parser: Any) -> None:
    parser.add_argument("--harness-plan", env_var="LOCUST_HARNESS_PLAN", default="", include_in_web_ui=False,
                        help="the load plan as JSON (written by harness load)")
    parser.add_argument("--harness-timeline", env_var="LOCUST_HARNESS_TIMELINE", default="",
                        include_in_web_ui=False, help="where the master writes its per-second histograms")


class _Plan:
    """The parsed plan: weighted tasks, each a list of requests and the credentials it permits."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.tasks: list[dict[str, Any]] = data["tasks"]
        self.weights = [t["weight"] for t in self.tasks]
        self.credentials: list[dict[str, str]] = data["credentials"]
        self.think_time_s = float(data.get("think_time_s", 0))


_PLANS: dict[str, _Plan] = {}


def _plan(environment: Environment) -> _Plan:
    text = getattr(environment.parsed_options, "harness_plan", "") if environment.parsed_options else ""
    if not text:
        raise RuntimeError("no load plan: start Locust through `harness load` (or `harness load-worker`)")
    if text not in _PLANS:
        _PLANS.clear()
        _PLANS[text] = _Plan(json.loads(text))
    return _PLANS[text]


class RegistryUser(FastHttpUser):
    """A client of the registry: metadata documents and downloads, with one credential of the plan."""

    host = "http://127.0.0.1"  # replaced by --host, which harness load always gives

    def on_start(self) -> None:
        self.plan = _plan(self.environment)
        self.slot = random.randrange(1 << 30)  # which credential this user carries, where the endpoint permits it

    def wait_time(self) -> float:
        return self.plan.think_time_s

    @task
    def request(self) -> None:
        chosen = random.choices(self.plan.tasks, self.plan.weights)[0]
        spec = random.choice(chosen["requests"])
        permitted = chosen["credentials"]
        headers = {**spec["headers"], **self.plan.credentials[permitted[self.slot % len(permitted)]]["headers"]}
        with self.client.request(spec["method"], spec["path"], headers=headers, name=chosen["name"],
                                 catch_response=True) as response:
            if response.status_code != spec["status"]:
                text = (response.text or "")[:120].replace("\n", " ") if response.content else ""
                response.failure(f"{spec['method']} answered {response.status_code}, expected {spec['status']}: "
                                 f"{text}")
            elif spec.get("size") is not None and len(response.content or b"") != spec["size"]:
                response.failure(f"served {len(response.content or b'')} bytes, expected {spec['size']}")


class _Timeline:
    """Per-second deltas of every request name's counts and histogram, written to a JSON file as they come."""

    def __init__(self, environment: Environment, path: str) -> None:
        self.environment = environment
        self.path = path
        self.started = time.time()
        self.samples: list[dict[str, Any]] = []
        self.last: dict[str, tuple[int, int, dict[int, int]]] = {}
        self.finished = False
        self.workers = 0  # the most workers connected at once (they leave as the master quits)

    def sample(self) -> None:
        entries: dict[str, Any] = {}
        for (name, _method), entry in list(self.environment.stats.entries.items()):
            before = self.last.get(name, (0, 0, {}))
            histogram = dict(entry.response_times)
            delta = {str(k): v - before[2].get(k, 0) for k, v in histogram.items() if v != before[2].get(k, 0)}
            added = entry.num_requests - before[0]
            if added or delta:
                entries[name] = {"n": added, "fail": entry.num_failures - before[1], "hist": delta}
            self.last[name] = (entry.num_requests, entry.num_failures, histogram)
        runner = self.environment.runner
        self.workers = max(self.workers, len(getattr(runner, "clients", {}) or {}))
        self.samples.append({"t": round(time.time() - self.started, 3), "entries": entries,
                             "users": runner.user_count if runner else 0})

    def write(self) -> None:
        runner = self.environment.runner
        errors = [{"name": e.name, "method": e.method, "error": str(e.error), "occurrences": e.occurrences}
                  for e in self.environment.stats.errors.values()]
        self.workers = max(self.workers, len(getattr(runner, "clients", {}) or {}))
        data = {"started": self.started, "interval_s": SAMPLE_INTERVAL_S, "samples": self.samples, "errors": errors,
                "workers": self.workers, "finished": self.finished}
        temporary = self.path + ".tmp"
        with open(temporary, "w") as out:
            json.dump(data, out)
        os.replace(temporary, self.path)

    def loop(self) -> None:
        last_write = time.monotonic()
        while not self.finished:
            gevent.sleep(SAMPLE_INTERVAL_S)
            self.sample()
            if time.monotonic() - last_write >= WRITE_EVERY_S:
                self.write()
                last_write = time.monotonic()

    def close(self) -> None:
        if not self.finished:
            self.sample()
            self.finished = True
            self.write()


_TIMELINE: list[_Timeline] = []


@_listener(events.test_start)
def _start_timeline(environment: Environment, **_: Any) -> None:
    path = getattr(environment.parsed_options, "harness_timeline", "") if environment.parsed_options else ""
    if isinstance(environment.runner, WorkerRunner) or not path or _TIMELINE:
        return
    timeline = _Timeline(environment, path)
    _TIMELINE.append(timeline)
    gevent.spawn(timeline.loop)


@_listener(events.test_stop)
def _stop_timeline(environment: Environment, **_: Any) -> None:
    for timeline in _TIMELINE:
        timeline.close()


@_listener(events.quitting)
def _quit_timeline(environment: Environment, **_: Any) -> None:
    for timeline in _TIMELINE:
        timeline.close()
