"""Run the bundled reference server for a run: a subprocess on a free loopback port, with its own admin token.

    with ReferenceServer(run_dir / "reference") as server:
        client = GitLabClient(server.url, server.admin_token)

The admin token is random per start, written to a 0600 file the server reads, and registered with
`REDACTOR` at once. The server's output goes to a log file whose last lines are shown when it fails.
"""

from __future__ import annotations

import os
import re
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType

from core.credentials import REDACTOR

READY_TIMEOUT_S = 20.0
STOP_GRACE_S = 5.0
LOG_TAIL_LINES = 20
ADMIN_TOKEN_FILE = "admin-token"
DEFAULT_LOG_NAME = "reference-server.log"

_READY_LINE = re.compile(r"listening on (https?://\S+)")
_PROJECT_ROOT = Path(__file__).resolve().parent.parent  # where the `reference_server` package lives


class ReferenceServerError(RuntimeError):
    """The reference server did not start, or died. The message carries the end of its log and what to do."""


class ReferenceServer:
    """The bundled reference server as a context manager: `.url` and `.admin_token` while inside."""

    def __init__(
        self,
        data_dir: Path,
        *,
        faults: Sequence[str] = (),
        size_limits: Mapping[str, int] | None = None,
        log_path: Path | None = None,
        ready_timeout: float = READY_TIMEOUT_S,
    ) -> None:
        self.data_dir = Path(data_dir)
        self.faults = list(faults)
        self.size_limits = dict(size_limits or {})
        self.log_path = Path(log_path) if log_path else self.data_dir / DEFAULT_LOG_NAME
        self.ready_timeout = ready_timeout
        self.admin_token_file = self.data_dir / ADMIN_TOKEN_FILE
        self.admin_token = ""
        self.url = ""
        self.process: subprocess.Popen[bytes] | None = None

    def __repr__(self) -> str:
        return f"ReferenceServer(url={self.url!r}, data_dir={str(self.data_dir)!r})"

    # -- lifecycle ---------------------------------------------------------------------------------

    def command(self) -> list[str]:
        """The command line that starts the server (the admin token itself is only in its file)."""
        command = [
            sys.executable, "-m", "reference_server",
            "--host", "127.0.0.1",
            "--port", "0",
            "--data-dir", str(self.data_dir),
            "--admin-token-file", str(self.admin_token_file),
        ]
        for fault in self.faults:
            command += ["--fault", fault]
        for format_name, limit in sorted(self.size_limits.items()):
            command += ["--size-limit", f"{format_name}={int(limit)}"]
        return command

    def start(self) -> ReferenceServer:
        if self.process is not None:
            raise ReferenceServerError("the reference server is already running")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self.admin_token = "glpat-" + secrets.token_urlsafe(32)
        REDACTOR.add(self.admin_token)
        _write_private(self.admin_token_file, self.admin_token + "\n")

        env = dict(os.environ)
        env["PYTHONUNBUFFERED"] = "1"  # the ready line must reach the log at once
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(_PROJECT_ROOT), env.get("PYTHONPATH", "")) if p)
        log_offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                self.command(), stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=env,
                cwd=_PROJECT_ROOT,
            )
        try:
            self.url = self._wait_until_ready(log_offset)
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_until_ready(self, log_offset: int) -> str:
        assert self.process is not None
        deadline = time.monotonic() + self.ready_timeout
        while True:
            match = _READY_LINE.search(self._log_text(log_offset))
            if match:
                return match.group(1).rstrip("/")
            code = self.process.poll()
            if code is not None:
                raise ReferenceServerError(self._explain(f"the reference server exited with code {code} "
                                                         "before it was ready"))
            if time.monotonic() > deadline:
                raise ReferenceServerError(self._explain(f"the reference server was not ready after "
                                                         f"{self.ready_timeout:g} s (no 'listening on' line)"))
            time.sleep(0.05)

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after a grace period. Safe to call twice."""
        process, self.process = self.process, None
        if process is None:
            return
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=STOP_GRACE_S)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def __enter__(self) -> ReferenceServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()

    # -- health and measurements -------------------------------------------------------------------

    def check_alive(self) -> None:
        """Raise ReferenceServerError (with the end of its log) if the server is no longer running."""
        if self.process is None:
            raise ReferenceServerError("the reference server is not running (start it, or use it as a context manager)")
        code = self.process.poll()
        if code is not None:
            raise ReferenceServerError(self._explain(f"the reference server died (exit code {code})"))

    def peak_rss_bytes(self) -> int:
        """The server process's peak resident memory so far (VmHWM in /proc/<pid>/status), in bytes."""
        self.check_alive()
        assert self.process is not None
        status = Path(f"/proc/{self.process.pid}/status")
        try:
            text = status.read_text()
        except OSError as exc:
            raise ReferenceServerError(f"cannot read {status}: {exc} (peak memory needs Linux /proc)") from None
        match = re.search(r"^VmHWM:\s+(\d+)\s+kB", text, re.MULTILINE)
        if not match:
            raise ReferenceServerError(f"{status} has no VmHWM line; peak memory cannot be measured here")
        return int(match.group(1)) * 1024

    # -- log ---------------------------------------------------------------------------------------

    def _log_text(self, offset: int = 0) -> str:
        try:
            with self.log_path.open("rb") as log:
                log.seek(offset)
                return log.read().decode("utf-8", errors="replace")
        except OSError:
            return ""

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        return REDACTOR("\n".join(self._log_text().splitlines()[-lines:]))

    def _explain(self, what: str) -> str:
        tail = self.log_tail() or "(the log is empty)"
        return (
            f"{what}.\n"
            f"Command: {' '.join(self.command())}\n"
            f"Last {LOG_TAIL_LINES} lines of {self.log_path}:\n{tail}\n"
            "What to do: read the log above; check that the project's dependencies are installed "
            "(pip install -e .), that the data directory is writable, and that the fault names and size "
            "limits are valid; or run the command above by hand to see it fail."
        )


def _write_private(path: Path, text: str) -> None:
    """Write a file only its owner can read (created 0600, never briefly world-readable)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)  # an existing file keeps its old mode through O_CREAT
        os.write(fd, text.encode())
    finally:
        os.close(fd)
