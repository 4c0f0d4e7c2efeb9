"""Load measured while nothing heavy runs beside it.

The cases of a run share the machine (pytest-xdist workers) and, on the bundled reference server, the server.
A metadata load measured while another worker streams a large upload or runs a real client in a container measures
the machine, not the registry. So heavy steps (large and over-limit pushes, bulk pushes, real-client steps) hold a
shared lock on a file in the run folder while they run, and the in-run load takes it exclusively: it starts once no
heavy step is running, and no heavy step starts while it measures. When no quiet window comes within QUIET_WAIT_S,
the load runs anyway and says that it was contended.
"""

from __future__ import annotations

import fcntl
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from engine.cases.checks import MEASURED_SIZE
from engine.cases.state import CaseState
from engine.scenario import Step

LOCK_FILE = "heavy-work.lock"
QUIET_WAIT_S = 300.0
POLL_S = 0.05


def is_heavy(state: CaseState, step: Step) -> bool:
    """A step that loads the machine: a large or size-limit push, a bulk push, or a real client's step."""
    if step.op == "push_many" or (step.op != "load" and state.uses_client(step)):
        return True
    size = step.size
    return step.op == "push" and (isinstance(size, str) or (isinstance(size, int) and size >= MEASURED_SIZE))


@contextmanager
def _locked(run_dir: str, mode: int) -> Iterator[bool]:
    """Hold the run's heavy-work lock in `mode`; yields whether it was taken (exclusive: within QUIET_WAIT_S)."""
    with (Path(run_dir) / LOCK_FILE).open("a") as handle:
        taken = True
        if mode == fcntl.LOCK_EX:
            deadline = time.monotonic() + QUIET_WAIT_S
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        taken = False
                        break
                    time.sleep(POLL_S)
        else:
            fcntl.flock(handle, mode)
        try:
            yield taken
        finally:
            if taken:
                fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def heavy_work(state: CaseState) -> Iterator[None]:
    with _locked(state.ctx.run_dir, fcntl.LOCK_SH):
        yield


@contextmanager
def quiet_window(state: CaseState) -> Iterator[bool]:
    """Yields True when nothing heavy runs beside the block, False when none came within QUIET_WAIT_S."""
    with _locked(state.ctx.run_dir, fcntl.LOCK_EX) as quiet:
        yield quiet
