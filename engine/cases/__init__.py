"""The engine's case running: `run_case` runs one case and tells a bus what happens (engine/events.py).

- run.py        one case start to end, and its record
- state.py      what a running case holds
- checks.py     the expectation checks steps share
- errors.py     how a case ends early
- registry.py   step kinds by operation
- steps/        the step kinds, one module per family
"""

from engine.cases.run import run_case

__all__ = ["run_case"]
