"""Finding the package formats: every sub-package of a formats package is a format, so adding one edits no list.

A team's own formats can live outside this repository: `HARNESS_FORMAT_DIRS` names folders (separated by the
path separator) laid out like this repository, `<dir>/formats/<name>/` for the harness side and
`<dir>/reference_server/formats/<name>/` for the reference server's side.
"""

import importlib
import os
import pkgutil
from pathlib import Path
from types import ModuleType

FORMAT_DIRS_ENV = "HARNESS_FORMAT_DIRS"


def extra_dirs(relative: str) -> list[str]:
    """The folders below each `HARNESS_FORMAT_DIRS` entry that hold formats for the package at `relative`."""
    found = []
    for entry in os.environ.get(FORMAT_DIRS_ENV, "").split(os.pathsep):
        if entry.strip():
            folder = Path(entry).expanduser().resolve() / relative
            if folder.is_dir():
                found.append(str(folder))
    return found


def subpackages(package: ModuleType) -> list[ModuleType]:
    """Every sub-package of `package` (each a format), imported, in name order."""
    names = sorted({info.name for info in pkgutil.iter_modules(package.__path__) if info.ispkg})
    return [importlib.import_module(f"{package.__name__}.{name}") for name in names]
