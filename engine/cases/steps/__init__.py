"""The step kinds, one module per family. Every module here registers its kinds when imported
(engine/cases/registry.py); this package imports them all, so a new family is a new file and touches no list."""

from __future__ import annotations

import importlib
import pkgutil

from engine.cases.registry import StepKind, registered

for _family in sorted(info.name for info in pkgutil.iter_modules(__path__)):
    importlib.import_module(f"{__name__}.{_family}")

STEP_KINDS: dict[str, StepKind] = registered()
