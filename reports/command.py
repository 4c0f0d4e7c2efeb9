"""`harness report open|diff|bundle|reassess`: look at a run's report, compare two runs, pack a run for the rollout
issue, judge a finished run again with new sign-offs or known failures.

A run is given as its folder or its id (looked up under --out-dir, default reports/out); `open` and `bundle`
take the newest run when none is given. Exit codes (`core.exit_codes.ExitCode`): 0 fine; 1 `diff` found a
regression; 2 no such run or bad input; 4 `bundle` refused (a member holds what looks like a token); `reassess` exits
with the run's new exit code, as `harness run` would have.
"""

from __future__ import annotations

import argparse
import os
import sys
import webbrowser
from pathlib import Path
from typing import Any

from rich.console import Console

from core.exit_codes import ExitCode
from engine.config import ConfigError
from reports.bundle import SecretFound, make_bundle
from reports.diff import diff_runs, render
from reports.reassess import reassess

RUN_MARKERS = ("verdict.json", "results.jsonl", "report.html")
console = Console(stderr=True, highlight=False, soft_wrap=True)


def add_parsers(commands: Any) -> None:
    default_out = os.environ.get("HARNESS_OUT_DIR", "reports/out")
    report = commands.add_parser("report", help="open a run's report, compare two runs, or bundle a run",
                                 description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = report.add_subparsers(dest="report_command", required=True)

    opener = sub.add_parser("open", help="open a run's report.html (headless: print its path and file:// URL)")
    opener.add_argument("run", nargs="?", default=None, metavar="RUN_DIR_OR_ID", help="default: the newest run")
    opener.add_argument("--out-dir", default=default_out, help="where run folders are (default: %(default)s)")
    opener.add_argument("--print", dest="print_only", action="store_true",
                        help="only print the path and URL, never start a browser")

    diff = sub.add_parser("diff", help="what changed between two runs; exit 1 when something got worse",
                          description="Cases whose outcome changed, criteria whose status changed, latencies "
                                      "and throughputs that moved beyond the margin, and the verdict. Exit 0 when "
                                      "nothing got worse, 1 when something regressed, 2 on bad input.")
    diff.add_argument("old", metavar="OLD", help="the earlier run: folder or id")
    diff.add_argument("new", metavar="NEW", help="the later run: folder or id")
    diff.add_argument("--margin", type=float, default=0.2,
                      help="fraction a latency may grow or a throughput fall before it counts (default: %(default)s)")
    diff.add_argument("--min-ms", type=float, default=5.0,
                      help="latency differences under this many ms are noise, whatever the margin "
                           "(default: %(default)s; 0 to count every one)")
    diff.add_argument("--format", dest="style", choices=["md", "text", "json"], default="md",
                      help="output: Markdown for an issue, plain text, or JSON (default: %(default)s)")
    diff.add_argument("--out-dir", default=default_out, help="where run folders are (default: %(default)s)")

    bundle = sub.add_parser("bundle", help="pack a run's reports, records and provenance into a .tar.gz",
                            description="Pack report.html, summary.md, results.jsonl, junit.xml, verdict.json, "
                                        "run.json and the load reports, with TARGET.yaml, HARNESS.yaml and a "
                                        "README.md that holds the command reproducing the run. Refuses (exit 4) "
                                        "when a file holds what looks like a token.")
    bundle.add_argument("run", nargs="?", default=None, metavar="RUN_DIR_OR_ID", help="default: the newest run")
    bundle.add_argument("--output", type=Path, default=None, metavar="FILE",
                        help="default: <out-dir>/<run-id>-bundle.tar.gz")
    bundle.add_argument("--out-dir", default=default_out, help="where run folders are (default: %(default)s)")

    again = sub.add_parser("reassess", help="judge a finished run again with new sign-offs or known failures",
                           description="Re-judge a finished run without running it: the recorded cases, with a new "
                                       "sign-off file, known-failures file or gate; rewrites verdict.json, "
                                       "report.html and summary.md, and exits with the new exit code.")
    again.add_argument("run", metavar="RUN_DIR_OR_ID", help="the run: folder or id")
    again.add_argument("--signoff-file", default=None, metavar="FILE", help="default: the run's own")
    again.add_argument("--known-failures", default=None, metavar="FILE", help="default: the run's own")
    again.add_argument("--gate", choices=["stage", "selection"], default=None, help="default: the run's own")
    again.add_argument("--out-dir", default=default_out, help="where run folders are (default: %(default)s)")


# ---------------------------------------------------------------------------------------------------------------
# Finding runs


def _is_run(path: Path) -> bool:
    return path.is_dir() and any((path / marker).is_file() for marker in RUN_MARKERS)


def _stamp(run_dir: Path) -> float:
    return max((run_dir / m).stat().st_mtime for m in RUN_MARKERS if (run_dir / m).is_file())


def newest_runs(out_dir: Path, needing: str | None = None) -> list[Path]:
    """Run folders under `out_dir`, newest first (by the time their files were last written)."""
    if not out_dir.is_dir():
        return []
    runs = [p for p in out_dir.iterdir() if _is_run(p) and (needing is None or (p / needing).is_file())]
    return sorted(runs, key=_stamp, reverse=True)


def _newest_listing(out_dir: Path) -> str:
    runs = newest_runs(out_dir)[:5]
    if not runs:
        return f"there are no runs under {out_dir}"
    return f"newest runs under {out_dir}: " + ", ".join(p.name for p in runs)


def resolve_run(given: str | None, out_dir: Path, needing: str | None = None) -> Path:
    """A run folder from a path or an id (under `out_dir`); the newest run when `given` is None."""
    if given is None:
        runs = newest_runs(out_dir, needing)
        if not runs:
            raise ConfigError(f"no run to use: there are no runs{f' with {needing}' if needing else ''} under "
                              f"{out_dir} (give --out-dir, or a run folder)")
        return runs[0]
    for candidate in (Path(given), out_dir / given):
        if _is_run(candidate):
            return candidate
    raise ConfigError(f"no run {given!r}: neither a run folder nor a run id under {out_dir}; "
                      f"{_newest_listing(out_dir)}")


# ---------------------------------------------------------------------------------------------------------------
# The sub-commands


def browser_available() -> bool:
    """Whether opening a browser can work here: not in CI, and on Linux only with a display (otherwise
    `webbrowser` would pick a text browser that takes over the terminal, or nothing at all)."""
    if os.environ.get("CI"):
        return False
    if os.environ.get("BROWSER") or sys.platform in ("darwin", "win32"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def open_report(args: argparse.Namespace) -> int:
    run_dir = resolve_run(args.run, Path(args.out_dir), needing="report.html" if args.run is None else None)
    report = (run_dir / "report.html").resolve()
    if not report.is_file():
        summary = run_dir / "summary.md"
        hint = f"; see {summary.resolve()}" if summary.is_file() else ""
        raise ConfigError(f"run {run_dir.name} has no report.html (it broke before writing one){hint}")
    url = report.as_uri()
    print(report)
    print(url)
    if args.print_only or not browser_available():
        console.print("no browser here (headless or CI): open the URL above on a machine with one", style="dim")
        return ExitCode.READY
    if not webbrowser.open(url):
        console.print("could not start a browser: open the URL above yourself", style="yellow")
    return ExitCode.READY


def diff(args: argparse.Namespace) -> int:
    if args.margin < 0 or args.min_ms < 0:
        raise ConfigError("--margin and --min-ms must not be negative")
    out_dir = Path(args.out_dir)
    old, new = resolve_run(args.old, out_dir), resolve_run(args.new, out_dir)
    result = diff_runs(old, new, margin=args.margin, min_ms=args.min_ms)
    sys.stdout.write(render(result, args.style))
    return result.exit_code


def _size(n: int) -> str:
    if n < 1024:
        return f"{n} bytes"
    return f"{n / 1024:.1f} KiB" if n < 1024 * 1024 else f"{n / (1024 * 1024):.1f} MiB"


def bundle(args: argparse.Namespace) -> int:
    run_dir = resolve_run(args.run, Path(args.out_dir))
    try:
        made = make_bundle(run_dir, args.output)
    except SecretFound as exc:
        console.print(f"bundle refused: {exc}", style="red", markup=False)
        return ExitCode.HARNESS  # the harness's own output is unsafe to share: never the target's failure
    print(f"{made.path.resolve()} ({_size(made.size)}, {len(made.members)} files)")
    return ExitCode.READY


def reassess_run(args: argparse.Namespace) -> int:
    run_dir = resolve_run(args.run, Path(args.out_dir))
    before, after = reassess(run_dir, signoff_file=args.signoff_file, known_failures_file=args.known_failures,
                             gate=args.gate)
    print(f"{run_dir.name}: {str(before.get('verdict', '?')).replace('_', ' ')} (exit {before.get('exit_code')}) → "
          f"{after['verdict'].replace('_', ' ')} (exit {after['exit_code']}): {after['why']}")
    print(f"report: {(run_dir / 'report.html').resolve()}")
    return int(after["exit_code"])


def report(args: argparse.Namespace) -> int:
    commands = {"open": open_report, "diff": diff, "bundle": bundle, "reassess": reassess_run}
    try:
        return commands[args.report_command](args)
    except ConfigError as exc:
        console.print(str(exc), style="red", markup=False, soft_wrap=True)
        return ExitCode.CONFIG
