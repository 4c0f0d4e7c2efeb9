"""The report a reviewer opens: a real run with a failure, rendered by Debian's headless Chromium.

- the rendered page (`--dump-dom`) holds the verdict, the failing case and its transcript and `curl` line;
- the page logs nothing to the console (no uncaught error): a deliberately broken copy proves the detector works;
- a screenshot is taken, kept under the test's tmp_path and copied to reports/out/screenshots/report.png;
- summary.md of the same run holds the same facts;
- `harness report open` prints the path and file:// URL on a headless machine, and uses `webbrowser` with a display.

Chromium comes from `.ci/run` (`apt-get install chromium`); these tests skip only where it is not installed.
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
import webbrowser
from dataclasses import dataclass
from pathlib import Path

import pytest
from helpers_run import QUICK, ROOT, Run, harness_run

from harness.cli import main

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (.ci/run installs it: "
                                                             "apt-get install chromium)")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-dev-shm-usage",
         "--disable-extensions", "--no-first-run", "--disable-component-update"]
TIMEOUT = 60
FAILING = "small-push[generic-revoked_token-header-http]"  # accepted although revoked: the fault below
# Chromium logs each console message of the page, whatever its level, as `…:INFO:CONSOLE:<line>] "<text>", source:`
# (older builds: `INFO:CONSOLE(<line>)]`). An uncaught exception reads `"Uncaught Error: …"`.
CONSOLE = re.compile(r":CONSOLE[:(]\d+\)?\] (.*)")
SCREENSHOT_COPY = ROOT / "reports" / "out" / "screenshots" / "report.png"


@dataclass
class Page:
    dom: str
    console: list[str]


def chromium(url: str, profile: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    return subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *extra, url],
                          capture_output=True, text=True, timeout=TIMEOUT)


def console_messages(stderr: str) -> list[str]:
    """Every console message the page logged (errors, uncaught exceptions, and anything else)."""
    return [m.group(1) for m in map(CONSOLE.search, stderr.splitlines()) if m]


def load(page: Path, profile: Path) -> Page:
    result = chromium(page.resolve().as_uri(), profile, "--enable-logging=stderr", "--v=0", "--dump-dom")
    assert result.returncode == 0 and "<html" in result.stdout, result.stderr[-3000:]
    return Page(html.unescape(result.stdout), console_messages(result.stderr))


@pytest.fixture(scope="module")
def failing_run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    tmp = tmp_path_factory.mktemp("browser")
    run = harness_run(tmp, *QUICK, "--scenarios", "small-push", "--token-kinds", "personal_access_token,revoked_token",
                      "--schemes", "header", "--faults", "accept_revoked_tokens", run_id="browser")
    assert run.returncode == 1 and run.verdict and run.verdict["verdict"] == "not_ready", run.explain()
    assert [r["case_id"] for r in run.with_outcome("failed")] == [FAILING], run.explain()
    return run


@needs_chromium
def test_the_rendered_report_shows_the_verdict_and_the_failure(failing_run: Run, tmp_path: Path) -> None:
    page = load(failing_run.run_dir / "report.html", tmp_path / "profile")
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page.dom))
    assert "not ready" in text.lower()
    assert FAILING in text
    failed = failing_run.case("small-push", "revoked_token", "header")
    step = next(s for s in failed["steps"] if s["outcome"] == "failed")
    exchange = step["exchanges"][-1]
    assert "curl " in text and exchange["curl"].split(" ")[0] == "curl"
    assert " ".join(exchange["curl"].split()[:4]) in text  # the reproduction line of the failing request
    assert exchange["url"] in text and str(exchange["status"]) in text  # its transcript: request and answer
    assert "expected 401" in text and "got 201" in text
    assert page.console == [], f"the report logged to the console: {page.console}"


@needs_chromium
def test_the_console_detector_catches_a_broken_page(failing_run: Run, tmp_path: Path) -> None:
    broken = tmp_path / "broken.html"
    original = (failing_run.run_dir / "report.html").read_text()
    assert "</body>" in original
    broken.write_text(original.replace("</body>", '<script>throw new Error("deliberately broken")</script></body>'))
    page = load(broken, tmp_path / "profile")
    assert any("Uncaught Error: deliberately broken" in m for m in page.console), page.console
    assert FAILING in page.dom  # the page itself still rendered


@needs_chromium
def test_a_screenshot_of_the_report(failing_run: Run, tmp_path: Path) -> None:
    shot = tmp_path / "report.png"
    result = chromium((failing_run.run_dir / "report.html").resolve().as_uri(), tmp_path / "profile",
                      f"--screenshot={shot}", "--window-size=1280,4000", "--hide-scrollbars")
    assert result.returncode == 0 and shot.is_file(), result.stderr[-3000:]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000, len(data)
    SCREENSHOT_COPY.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(shot, SCREENSHOT_COPY)


def test_the_report_is_self_contained(failing_run: Run) -> None:
    page = (failing_run.run_dir / "report.html").read_text()
    sources = re.findall(r"""<(?:script|img|iframe)\b[^>]*\bsrc=["']([^"']+)""", page, re.I)
    sheets = re.findall(r"""<link\b[^>]*\bhref=["']([^"']+)""", page, re.I)
    assert [s for s in sources + sheets if not s.startswith("data:")] == []


def test_summary_md_holds_the_same_facts(failing_run: Run) -> None:
    summary = (failing_run.run_dir / "summary.md").read_text()
    assert "not ready" in summary.lower() and failing_run.verdict is not None
    assert failing_run.verdict["why"] in summary
    assert FAILING in summary and "curl " in summary


# ---------------------------------------------------------------------------------------------------------------
# `harness report open`


def test_open_on_a_headless_machine_prints_the_path_and_url(failing_run: Run, monkeypatch: pytest.MonkeyPatch,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "BROWSER", "CI"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(webbrowser, "open", lambda url: pytest.fail("no browser may start without a display"))
    out_dir = failing_run.run_dir.parent
    assert main(["report", "open", "--out-dir", str(out_dir)]) == 0  # no argument: the newest run
    report = (failing_run.run_dir / "report.html").resolve()
    assert capsys.readouterr().out.splitlines() == [str(report), report.as_uri()]
    assert main(["report", "open", "browser", "--out-dir", str(out_dir)]) == 0  # by id
    assert main(["report", "open", str(failing_run.run_dir)]) == 0  # by folder
    assert capsys.readouterr().out.splitlines() == [str(report), report.as_uri()] * 2


def test_open_with_a_display_uses_webbrowser(failing_run: Run, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    opened: list[str] = []
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.delenv("CI", raising=False)

    def open_in_browser(url: str) -> bool:
        opened.append(url)
        return True

    monkeypatch.setattr(webbrowser, "open", open_in_browser)
    assert main(["report", "open", str(failing_run.run_dir)]) == 0
    assert opened == [(failing_run.run_dir / "report.html").resolve().as_uri()]
    monkeypatch.setenv("CI", "true")  # CI never starts a browser, display or not
    assert main(["report", "open", str(failing_run.run_dir)]) == 0 and len(opened) == 1


def test_open_an_unknown_run_exits_2_listing_the_newest(failing_run: Run, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "open", "no-such-run", "--out-dir", str(failing_run.run_dir.parent)]) == 2
    err = capsys.readouterr().err
    assert "no run 'no-such-run'" in err and "newest runs under" in err and "browser" in err
