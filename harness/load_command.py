"""`harness load` and `harness load-worker`: the metadata load on its own, against the bundled reference server or
a target, with progress on the terminal and a load report per format."""

from __future__ import annotations

import argparse
import datetime as dt
import secrets
import subprocess
import tempfile
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from core.credentials import Credential
from core.exit_codes import ExitCode
from core.vocabulary import CredentialCase
from engine.config import ConfigError
from engine.ledger import cleanup
from engine.load import analysis
from engine.load.job import LOAD_CREDENTIALS, LOAD_SCHEMES, Display, LoadOutcome, LoadRequest, run_load
from engine.load.locust_run import DEFAULT_MASTER_PORT, LoadRunError, worker_command
from engine.provisioning import provision_case, provision_run, read_token_file, subject_credential
from engine.reference import ReferenceServer
from engine.scenario import LoadSpec, ScenarioError, load_scenarios, parse_duration
from formats import FORMATS
from reports.load_report import write_load_report

ROOT = Path(__file__).resolve().parent.parent
console = Console(stderr=True, soft_wrap=True)


def add_parsers(commands: Any) -> None:
    load = commands.add_parser(
        "load", help="seed a few hundred packages and drive the metadata endpoint with Locust; write a load report",
        description="Seed the target (many versions of one package, many packages), measure the metadata endpoint's "
                    "growth curve, then run Locust users (every token kind) for a bounded time and judge the numbers "
                    "against the scenario's thresholds. Exit 0 passed, 3 a threshold or finding, 2 bad input, "
                    "4 the harness broke, 130 interrupted (numbers kept).")
    load.add_argument("--scenario", default="metadata-load", help="a scenario with a `load` step")
    load.add_argument("--format", dest="formats", default="npm",
                      help=f"formats, comma-separated ({', '.join(FORMATS)})")
    load.add_argument("--target", default=None, help="base URL of the registry (default: the bundled reference server)")
    load.add_argument("--token-file", default=None, help="tokens for --target (docs/token-file.md)")
    load.add_argument("--users", type=int, help="concurrent users (default: the scenario's)")
    load.add_argument("--spawn-rate", type=float, help="users started per second")
    load.add_argument("--duration", help="measured window, e.g. 60s, 2m")
    load.add_argument("--warmup", help="warm-up before the measured window, e.g. 10s")
    load.add_argument("--versions", type=int, help="versions of the big package")
    load.add_argument("--packages", type=int, help="distinct packages")
    load.add_argument("--growth-sizes", help="versions to measure the growth curve at, e.g. 25,50,100,200,400")
    load.add_argument("--think-time", help="pause between a user's requests, e.g. 0, 100ms")
    load.add_argument("--workers", type=int, default=0, help="local Locust worker processes (0: one process)")
    load.add_argument("--remote-workers", type=int, default=0,
                      help="more workers to wait for, joined with `harness load-worker --master HOST` elsewhere")
    load.add_argument("--master-bind", default="127.0.0.1", metavar="HOST[:PORT]",
                      help=f"where the master listens for workers (port default {DEFAULT_MASTER_PORT} with remote "
                           "workers, else a free one)")
    load.add_argument("--baseline", type=Path, help="an earlier load.json to compare with")
    load.add_argument("--regression-margin", type=float, help="fraction worse than the baseline that is a finding")
    load.add_argument("--fault", action="append", default=[], help="reference server only: inject a named fault")
    load.add_argument("--out-dir", default="reports/out", help="where the load's directory is written")
    load.add_argument("--run-id", default=None)

    worker = commands.add_parser("load-worker", help="join a `harness load` master as a Locust worker",
                                 description="Run one Locust worker that takes its plan and users from a master "
                                             "started with `harness load --remote-workers N --master-bind 0.0.0.0`.")
    worker.add_argument("--master", required=True, metavar="HOST[:PORT]",
                        help=f"the master's address (port default {DEFAULT_MASTER_PORT})")


def _host_port(text: str, default_port: int | None) -> tuple[str, int | None]:
    host, _, port = text.rpartition(":") if ":" in text else (text, "", "")
    if not port:
        return text, default_port
    if not port.isdigit():
        raise ConfigError(f"{text!r}: expected HOST or HOST:PORT")
    return host, int(port)


def load_worker(args: argparse.Namespace) -> int:
    host, port = _host_port(args.master, DEFAULT_MASTER_PORT)
    assert port is not None
    console.print(f"joining the load master at {host}:{port} (Ctrl-C to leave)")
    try:
        return subprocess.call(worker_command(host, port))
    except KeyboardInterrupt:
        return 0


def load_spec(scenario_name: str) -> LoadSpec:
    try:
        scenarios = load_scenarios(ROOT / "scenarios")
    except ScenarioError as exc:
        raise ConfigError(str(exc)) from None
    for _, scenario in scenarios:
        if scenario.name == scenario_name:
            for step in scenario.steps:
                if step.load is not None:
                    return step.load
            raise ConfigError(f"--scenario {scenario_name}: it has no `op: load` step")
    with_load = sorted(s.name for _, s in scenarios if any(step.load for step in s.steps))
    raise ConfigError(f"--scenario {scenario_name!r}: no such scenario; scenarios with a load: {', '.join(with_load)}")


def _overridden(spec: LoadSpec, args: argparse.Namespace) -> LoadSpec:
    changes: dict[str, Any] = {}
    for name in ("users", "spawn_rate", "versions", "packages", "regression_margin"):
        if getattr(args, name) is not None:
            changes[name] = getattr(args, name)
    for name in ("duration", "warmup", "think_time"):
        value = getattr(args, name)
        if value is not None:
            try:
                parse_duration(value)
            except ValueError as exc:
                raise ConfigError(f"--{name.replace('_', '-')}: {exc}") from None
            changes[name] = value
    if args.growth_sizes:
        try:
            sizes = [int(s) for s in args.growth_sizes.split(",") if s.strip()]
        except ValueError:
            raise ConfigError("--growth-sizes: whole numbers, comma-separated (e.g. 25,50,100)") from None
        changes["growth"] = {**(spec.growth.model_dump() if spec.growth else {}), "sizes": sizes}
    try:
        return LoadSpec.model_validate({**spec.model_dump(), **changes})
    except Exception as exc:
        raise ConfigError(f"load options: {exc}") from None


class TerminalDisplay(Display):
    """Seeding as a bar with counts; the load as a bar over its run time with live throughput and latency."""

    def __init__(self, format_name: str) -> None:
        self.progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                                 TextColumn("{task.fields[live]}"), TimeElapsedColumn(), console=console)
        self.format_name = format_name
        self.seed_task: TaskID | None = None
        self.load_task: TaskID | None = None
        self.progress.start()

    def seeding(self, what: str, done: int, total: int) -> None:
        if self.seed_task is None:
            self.seed_task = self.progress.add_task(f"{self.format_name} seeding", total=total, live="")
        if what.startswith("growth"):
            self.progress.console.print(f"  {self.format_name} {what}")
        self.progress.update(self.seed_task, completed=done, live=what if not what.startswith("growth") else "")

    def loading(self, elapsed: float, total: float, live: analysis.EndpointStats | None) -> None:
        if self.load_task is None:
            self.load_task = self.progress.add_task(f"{self.format_name} load (s)", total=round(total), live="")
        text = ""
        if live is not None and live.requests:
            text = (f"{live.rps:g} req/s  p50 {live.p50_ms:g} ms  p95 {live.p95_ms:g} ms  "
                    f"errors {live.failures}")
        self.progress.update(self.load_task, completed=min(round(elapsed), round(total)), live=text)

    def finish(self) -> None:
        self.progress.stop()


def load(args: argparse.Namespace) -> int:
    formats = [f.strip() for f in args.formats.split(",") if f.strip()]
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise ConfigError(f"--format: unknown {', '.join(unknown) or '(none)'}; known: {', '.join(FORMATS)}")
    if args.workers < 0 or args.remote_workers < 0:
        raise ConfigError("--workers and --remote-workers are 0 or more")
    if args.fault and args.target:
        raise ConfigError("--fault works only with the bundled reference server (leave out --target)")
    spec = _overridden(load_spec(args.scenario), args)
    master_host, master_port = _host_port(args.master_bind, None)
    run_id = args.run_id or dt.datetime.now().strftime("load-%Y%m%d-%H%M%S-") + secrets.token_hex(2)
    run_dir = Path(args.out_dir) / run_id
    run_dir.mkdir(parents=True, exist_ok=True)
    token_file = read_token_file(args.token_file)
    outcomes: dict[str, LoadOutcome] = {}
    with ExitStack() as stack:
        if args.target:
            owner = token_file.get("owner")
            if not owner:
                raise ConfigError("--target needs a token file with an 'owner' token (api scope, maintainer)")
            url, reference = args.target.rstrip("/"), False
        else:
            data = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="harness-load-")))
            server = stack.enter_context(ReferenceServer(data, faults=args.fault,
                                                         log_path=run_dir / "reference-server.log"))
            url, owner, reference = server.url, server.admin_token, True
        console.print(f"[bold]harness load[/] {run_id}: {', '.join(formats)} against "
                      f"{args.target or 'the bundled reference server'}; {spec.users} users, "
                      f"{spec.seconds('warmup'):g} s warm-up + {spec.seconds('duration'):g} s")
        ctx = provision_run(run_id, run_dir, url, str(owner), reference=reference, given_project=None,
                            token_file=token_file, settings={"token_kinds": [c.value for c in LOAD_CREDENTIALS]},
                            size_limits={})
        client = ctx.client()
        try:
            for index, format_name in enumerate(formats):
                key = f"{args.scenario}-{format_name}"
                env = provision_case(ctx, key, CredentialCase.PERSONAL_ACCESS_TOKEN, index)
                credentials: list[Credential] = []
                not_carried: dict[str, str] = {}
                for case in LOAD_CREDENTIALS:
                    credential, why = (env.subject, env.not_run) if case is CredentialCase.PERSONAL_ACCESS_TOKEN \
                        else subject_credential(ctx, client, env, case, f"{key}-{case.value}")
                    if credential is None:
                        not_carried[case.value] = why or "unavailable"
                    else:
                        credentials.append(credential)
                request = LoadRequest(
                    scenario=args.scenario, format_name=format_name, target_url=url, owner=ctx.owner,
                    project_id=env.project_id, group_id=env.group_id, credentials=credentials,
                    schemes=LOAD_SCHEMES, spec=spec, out_dir=run_dir / format_name,
                    workers=args.workers, remote_workers=args.remote_workers, master_bind=master_host,
                    master_port=master_port, baseline=args.baseline, not_carried=not_carried)
                if args.remote_workers:
                    console.print(f"waiting for {args.remote_workers} remote worker(s): run `harness load-worker "
                                  f"--master <this host>:{master_port or DEFAULT_MASTER_PORT}` on each machine")
                outcome = run_load(request, TerminalDisplay(format_name))
                write_load_report(outcome.result, run_dir / format_name)
                outcomes[format_name] = outcome
                _print_outcome(format_name, outcome, run_dir / format_name)
                if outcome.interrupted:
                    break
        except LoadRunError as exc:
            console.print(f"[red]the load could not run:[/] {exc}")
            return ExitCode.HARNESS
        except KeyboardInterrupt:
            console.print("[yellow]interrupted while seeding: no load was measured[/]")
            return ExitCode.INTERRUPTED
        finally:
            if not reference:
                result = cleanup(ctx.ledger(), client)
                for item in result.leftovers:
                    console.print(f"[yellow]left behind:[/] {item}")
    if any(o.interrupted for o in outcomes.values()):
        return ExitCode.INTERRUPTED
    return ExitCode.READY if all(o.passed for o in outcomes.values()) else ExitCode.THRESHOLD


def _print_outcome(format_name: str, outcome: LoadOutcome, out_dir: Path) -> None:
    colour = "green" if outcome.passed else "red"
    console.print(f"[bold {colour}]{format_name}: {'passed' if outcome.passed else 'failed'}[/] — {outcome.summary()}")
    growth = outcome.result.get("growth")
    if growth:
        sizes = ", ".join(f"{p['versions']}: {p['first_ms']:g}/{p['served_p50_ms']:g} ms" for p in growth["points"])
        console.print(f"  growth (versions: first/served): {sizes}; built ∝ versions^{growth['exponent_first']}, "
                      f"served ∝ versions^{growth['exponent_served']}")
    for problem in outcome.breaches + outcome.findings:
        console.print(f"  [red]•[/] {problem}")
    console.print(f"  report: {out_dir / 'load.html'}")
