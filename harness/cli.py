"""`harness`: run the rollout scenarios, serve the reference server, clean up after a crash.

Exit codes (`core.exit_codes.ExitCode`, documented in README.md): 0 ready; 1 the target failed a check, or the
stage is not ready or still needs sign-offs; 2 bad configuration or scenario; 3 a threshold broken; 4 the harness
or its environment broke.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import secrets
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console
from rich.table import Table

from core.exit_codes import ExitCode
from core.vocabulary import Verdict
from engine.config import OPTIONS, ConfigError, load_settings, parse_size_limits
from engine.containers.build import BuildProgress, ensure_images, list_images
from engine.containers.engine import EngineUnavailable, connect, engine_version
from engine.containers.images import IMAGE_RECIPES, ImageBuildError
from engine.gitlab_api import GitLabClient, ProvisioningError
from engine.ledger import Ledger
from engine.ledger import cleanup as clean
from engine.matrix import check_drivers
from engine.preflight import NotGitLab, check_target
from engine.provisioning import TokenFileError, read_token_file
from engine.scenario import SCHEMA_PATH, ScenarioError, check_selection, json_schema, scenario_dirs
from harness.load_command import add_parsers as add_load_parsers
from harness.load_command import load, load_worker
from reports.command import add_parsers as add_report_parsers
from reports.command import report

ROOT = Path(__file__).resolve().parent.parent
console = Console(stderr=True, soft_wrap=True)  # a path or a message is never broken across lines
VERDICT_COLOUR = {Verdict.READY: "green", Verdict.NOT_READY: "red", Verdict.NEEDS_SIGN_OFF: "yellow"}


def _add_run_options(parser: argparse.ArgumentParser) -> None:
    for option in OPTIONS:
        parser.add_argument("--" + option.name.replace("_", "-"), dest=option.name, default=None,
                            metavar=option.metavar, help=f"{option.help} [env HARNESS_{option.name.upper()}]")
    parser.add_argument("--config", default=None, metavar="FILE", help="config file (default: harness.yaml)")
    # Selection spelled the way CI users expect; each maps onto an option above.
    parser.add_argument("--format", dest="formats", help=argparse.SUPPRESS)
    parser.add_argument("--token-kind", dest="token_kinds", help=argparse.SUPPRESS)
    parser.add_argument("--scenario", dest="scenarios", help=argparse.SUPPRESS)
    parser.add_argument("--scenario-dir", dest="scenario_dir", action="append", default=None, metavar="DIR",
                        help="a directory of your own scenario YAML files, run beside the bundled ones (repeat it "
                             "for several) [env HARNESS_SCENARIO_DIRS, ':'-separated]")
    parser.add_argument("-k", dest="keyword", default=None, help="pytest -k expression over case ids")
    parser.add_argument("-m", dest="markers", default=None, help="pytest -m marker expression (e.g. 'not slow')")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="harness", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="run a stage's scenarios and write the readiness report")
    _add_run_options(run)

    serve = commands.add_parser("serve", help="run the bundled reference server on its own")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8080)
    serve.add_argument("--data-dir", default="data", help="where packages and the database live (kept)")
    serve.add_argument("--admin-token-file", default=None,
                       help="file holding the admin's token (created with a new token if missing)")
    serve.add_argument("--size-limit", action="append", default=[], metavar="FORMAT=SIZE")
    serve.add_argument("--fault", action="append", default=[], metavar="NAME")

    cleanup = commands.add_parser("cleanup", help="delete what a crashed run left on a target (from its ledger)")
    cleanup.add_argument("run_id")
    cleanup.add_argument("--target", default=os.environ.get("HARNESS_TARGET"), required=False)
    cleanup.add_argument("--token-file", default=os.environ.get("HARNESS_TOKEN_FILE"))
    cleanup.add_argument("--out-dir", default=os.environ.get("HARNESS_OUT_DIR", "reports/out"))

    add_load_parsers(commands)
    add_report_parsers(commands)

    commands.add_parser("schema", help="write scenarios/scenario.schema.json (the scenario JSON Schema)")

    images = commands.add_parser("images", help="build or list the container images the real clients run in")
    image_commands = images.add_subparsers(dest="images_command", required=True)
    build = image_commands.add_parser("build", help="build the client images (reused while their recipe is unchanged)")
    build.add_argument("--only", default=None, metavar="LIST", help="images to build, e.g. node,python (default: all)")
    build.add_argument("--source", choices=["auto", "official", "fallback"], default="auto",
                       help="official image + extras, Debian fallback on a local base, or auto (official when a "
                            "registry answers)")
    build.add_argument("--rebuild", action="store_true", help="build anew without the layer cache, the base too")
    image_commands.add_parser("list", help="list the harness images: tag, size, source, client versions, up to date")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "run":
            return run(args)
        if args.command == "serve":
            return serve(args)
        if args.command == "cleanup":
            return cleanup(args)
        if args.command == "images":
            return images(args)
        if args.command in ("load", "load-worker"):
            return load(args) if args.command == "load" else load_worker(args)
        if args.command == "report":
            return report(args)
        if args.command == "schema":
            SCHEMA_PATH.write_text(json_schema())
            console.print(f"wrote {SCHEMA_PATH}")
            return ExitCode.READY
    except ConfigError as exc:
        console.print(f"[red]configuration error:[/] {exc}")
        return ExitCode.CONFIG
    except NotGitLab as exc:  # nothing was created on the target, and nothing judged
        console.print(f"[red]the target cannot be worked on:[/] {exc}")
        return ExitCode.HARNESS
    except ProvisioningError as exc:  # the target could not be set up on: the harness's environment, not a verdict
        console.print(f"[red]the harness could not work on the target:[/] {exc}")
        return ExitCode.HARNESS
    return ExitCode.HARNESS


def run(args: argparse.Namespace) -> int:
    flags = {o.name: getattr(args, o.name) for o in OPTIONS}
    if args.scenario_dir:
        flags["scenario_dirs"] = os.pathsep.join(filter(None, [flags["scenario_dirs"], *args.scenario_dir]))
    settings = load_settings(flags, config_path=args.config)  # validate here: a bad flag fails fast with exit 2
    check_drivers(settings.drivers)
    dirs = scenario_dirs(settings.scenario_dirs)
    try:
        read_token_file(settings.token_file)  # a missing or broken token file: exit 2, and no run folder
        check_selection(dirs, settings.stage, settings.scenarios)
    except (ScenarioError, TokenFileError) as exc:
        raise ConfigError(str(exc)) from None
    run_id = settings.run_id or dt.datetime.now().strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(2)
    run_dir = Path(settings.out_dir) / run_id
    command = [sys.executable, "-m", "pytest", *map(str, dirs), "--rootdir", str(ROOT),
               "-c", str(ROOT / "pyproject.toml"), "-q", "--no-header", "-p", "no:cacheprovider",
               "--harness-progress", "--harness-run-id", run_id, "-p", "no:benchmark",
               "-o", "console_output_style=classic", "--tb=no", "-rN"]
    for name, value in flags.items():
        if value is not None and name != "run_id":
            command += ["--harness-" + name.replace("_", "-"), str(value)]
    if args.config:
        command += ["--harness-config", args.config]
    if settings.workers not in ("0", "no"):
        command += ["-n", settings.workers]
    if args.keyword:
        command += ["-k", args.keyword]
    if args.markers:
        command += ["-m", args.markers]
    console.print(f"[bold]harness run[/] {run_id}: stage {settings.stage}, formats {', '.join(settings.formats)}, "
                  f"target {settings.target or 'bundled reference server'}")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    process = subprocess.Popen(command, cwd=os.getcwd(), env=env, stdout=subprocess.PIPE, stderr=None, text=True)
    tail: list[str] = []
    try:
        assert process.stdout is not None
        for line in process.stdout:
            tail = (tail + [line.rstrip()])[-40:]
        returncode = process.wait()
    except KeyboardInterrupt:
        console.print("[yellow]interrupted: writing the reports of what ran…[/]")
        returncode = process.wait()
    return _conclude(run_dir, returncode, tail)


def _conclude(run_dir: Path, returncode: int, tail: list[str]) -> int:
    """The run's judged result, as the pytest process wrote it (`verdict.json`): shown and returned, not re-judged."""
    verdict_file = run_dir / "verdict.json"
    if not verdict_file.exists():
        text = "\n".join(tail)
        if returncode == pytest.ExitCode.USAGE_ERROR:  # our configuration checks refused the options
            console.print("[red]the run could not start: the configuration was refused (see above)[/]")
            return ExitCode.CONFIG
        console.print(f"[red]the harness broke before writing a verdict (pytest exit {returncode}):[/]\n{text}")
        return ExitCode.HARNESS
    judged = json.loads(verdict_file.read_text())
    verdict = Verdict(judged["verdict"])
    report_file = run_dir / "report.html"
    console.print(f"report: {report_file if report_file.exists() else run_dir / 'summary.md'}")
    console.print(f"[bold {VERDICT_COLOUR[verdict]}]{judged['stage']}: {verdict.replace('_', ' ')}[/] — "
                  f"{judged['why']}")
    return ExitCode(judged["exit_code"])


def serve(args: argparse.Namespace) -> int:
    """Run the reference server in the foreground; its data (and admin token) stay in --data-dir."""
    token_file = Path(args.admin_token_file or Path(args.data_dir) / "admin-token")
    command = [sys.executable, "-m", "reference_server", "--host", args.host, "--port", str(args.port),
               "--data-dir", args.data_dir, "--admin-token-file", str(token_file)]
    try:
        limits = parse_size_limits(",".join(args.size_limit))
    except ValueError as exc:
        raise ConfigError(f"--size-limit: {exc}") from None
    for name, size in limits.items():
        command += ["--size-limit", f"{name}={size}"]
    for fault in args.fault:
        command += ["--fault", fault]
    console.print(f"admin token: {token_file} (made on first start; send it as PRIVATE-TOKEN)")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    return _run_in_foreground(command, env)


STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def _run_in_foreground(command: list[str], env: dict[str, str]) -> int:
    """Run `command` until it ends. SIGTERM or SIGINT (Ctrl-C) sent to this process is passed on to it, once, and
    this process waits for it to stop, so nothing is left listening. The child runs in its own session, so a
    terminal's Ctrl-C reaches it only through here, not twice (a second one would make uvicorn stop at once)."""
    child = subprocess.Popen(command, env=env, start_new_session=True)

    def pass_on(signum: int, _frame: object) -> None:
        if child.poll() is None:
            child.send_signal(signum)

    previous = {signum: signal.signal(signum, pass_on) for signum in STOP_SIGNALS}
    try:
        returncode = child.wait()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    stopped_by_signal = returncode in (-signum for signum in STOP_SIGNALS)
    return ExitCode.READY if returncode == 0 or stopped_by_signal else returncode


def cleanup(args: argparse.Namespace) -> int:
    ledger_path = Path(args.out_dir) / args.run_id / "ledger.jsonl"
    if not ledger_path.exists():
        raise ConfigError(f"no ledger at {ledger_path}: is the run id right (see {args.out_dir})?")
    if not args.target:
        raise ConfigError("--target (or HARNESS_TARGET) is needed: the instance the run created things on")
    owner = read_token_file(args.token_file).get("owner")
    if not owner:
        raise ConfigError("the token file (or HARNESS_OWNER_TOKEN) gives no 'owner' token")
    client = GitLabClient(args.target, str(owner))
    check_target(client)  # a target that is not GitLab: say so, delete nothing
    result = clean(Ledger(ledger_path), client)
    console.print(f"cleaned {result.cleaned}, each confirmed by a read of the target ({result.revoked} personal "
                  f"access token(s) revoked, as the token API shows); left behind: {len(result.leftovers)}")
    for item in [*result.notes, *result.leftovers]:
        console.print(f"  - {item}", markup=False)
    return ExitCode.READY if not result.leftovers else ExitCode.NOT_READY


def images(args: argparse.Namespace) -> int:
    """`harness images build|list`: make the client images before a run (or in CI's cache step), or see them."""
    try:
        client = connect()
    except EngineUnavailable as exc:
        console.print(str(exc), style="red", markup=False, highlight=False, soft_wrap=True)
        return ExitCode.HARNESS
    if args.images_command == "list":
        table = Table("name", "tag", "id", "size", "source", "created", "clients", "recipe")
        rows = list_images(client)
        for row in rows:
            table.add_row(row.name, row.tag, row.image_id.removeprefix("sha256:")[:12],
                          f"{row.size_bytes / 1e6:.0f} MB", row.source, row.created,
                          " ".join(f"{p} {v}" for p, v in row.client_versions.items()),
                          "[green]up to date[/]" if row.up_to_date else "[yellow]stale[/]")
        Console(width=None if sys.stdout.isatty() else 200).print(table)
        stale = [row.image_id.removeprefix("sha256:")[:12] for row in rows if not row.up_to_date]
        if stale:
            console.print("stale images (made from an older recipe or base) can be removed: docker rmi "
                          + " ".join(stale), soft_wrap=True)
        return ExitCode.READY
    names = [n.strip() for n in (args.only or ",".join(IMAGE_RECIPES)).split(",") if n.strip()]
    unknown = [n for n in names if n not in IMAGE_RECIPES]
    if unknown:
        raise ConfigError(f"--only: unknown image {', '.join(unknown)}; known images: {', '.join(IMAGE_RECIPES)}")
    console.print(f"Docker engine {engine_version(client)}; images: {', '.join(names)} (source {args.source})")
    try:
        with BuildProgress(console) as progress:
            built = ensure_images(client, names, args.source, progress, rebuild=args.rebuild)
    except ImageBuildError as exc:
        console.print(str(exc), markup=False, highlight=False, soft_wrap=True, style="red")
        return ExitCode.HARNESS
    notes: dict[str, list[str]] = {}
    for info in built.values():
        if info.note:
            notes.setdefault(info.note.split(": ", 1)[-1], []).append(info.name)
    for why, names in notes.items():
        console.print(f"{', '.join(names)}: official image not pulled ({why}); built on the local Debian base",
                      markup=False, highlight=False, soft_wrap=True, style="dim")
    return ExitCode.READY


if __name__ == "__main__":
    sys.exit(main())
