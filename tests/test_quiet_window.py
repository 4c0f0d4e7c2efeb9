"""The in-run metadata load is measured while nothing heavy runs beside it (issue 14): a heavy step of another
worker holds the run's lock shared, the load takes it exclusively, and says when no quiet window came."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from engine.cases import quiet
from engine.cases.quiet import LOCK_FILE, heavy_work, quiet_window

HOLD = """
import fcntl, pathlib, sys, time
run = pathlib.Path(sys.argv[1])
with (run / "{lock}").open("a") as handle:
    fcntl.flock(handle, fcntl.LOCK_SH)
    (run / "holding").touch()
    while not (run / "release").exists():
        time.sleep(0.02)
"""


def _state(run_dir: Path) -> Any:
    return SimpleNamespace(ctx=SimpleNamespace(run_dir=str(run_dir)))


def test_the_load_waits_until_another_process_ends_its_heavy_step(tmp_path: Path) -> None:
    holder = subprocess.Popen([sys.executable, "-c", HOLD.format(lock=LOCK_FILE), str(tmp_path)])
    try:
        while not (tmp_path / "holding").exists():
            assert holder.poll() is None
            time.sleep(0.02)
        events: list[str] = []

        def measure() -> None:
            with quiet_window(_state(tmp_path)) as was_quiet:
                events.append(f"measured quiet={was_quiet}")

        thread = threading.Thread(target=measure)
        thread.start()
        time.sleep(0.5)  # the heavy step still runs: the load has not started
        assert events == []
        events.append("released")
        (tmp_path / "release").touch()
        thread.join(timeout=120)
        assert events == ["released", "measured quiet=True"]
    finally:
        (tmp_path / "release").touch()
        holder.wait(timeout=60)


def test_without_a_quiet_window_the_load_runs_and_says_it_was_contended(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setattr(quiet, "QUIET_WAIT_S", 0.2)
    with heavy_work(_state(tmp_path)):
        result: list[bool] = []
        thread = threading.Thread(target=lambda: result.append(_enter(tmp_path)))
        thread.start()
        thread.join(timeout=120)
    assert result == [False]


def _enter(run_dir: Path) -> bool:
    # another open of the lock file, as another worker's would be
    with quiet_window(_state(run_dir)) as was_quiet:
        return was_quiet
