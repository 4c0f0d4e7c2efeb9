"""The package formats, discovered: every sub-package of `formats` is one format, so adding a format edits no list.

Besides this folder, `formats/` below each folder named in `HARNESS_FORMAT_DIRS` is searched (`core.discovery`).
Formats are in name order (the order of case ids). A format is the folder `formats/<name>/`, `<name>` being its
Format's name, whose `__init__.py` exposes these names (and re-exports what other code imports from it):

- `OPERATIONS`: its FormatOperations (requests and artifacts); `OPERATIONS.format` is its Format (rules, endpoints).
- `RECIPES`: its real clients, a tuple of ClientRecipe (from its `clients.py`; empty when it has none).
- `IMAGES`: the image recipes (core.images.ImageRecipe) its clients run in, a tuple (from its `clients.py`); an
  image another format declares already is imported from that format, not declared again.

Inside the folder, one job per module: `rules.py` (the Format: name, version and file-name patterns, size limit,
duplicate policy, endpoints), `names.py` (how names, versions and files are spelled), `artifacts.py` (valid package
files), `requests.py` (the request builders), `operations.py` (the FormatOperations over them), `clients.py` (real
clients and their images); a format adds what else it needs (Maven's `documents.py`: the pom and
maven-metadata.xml).
"""

import sys
from dataclasses import dataclass
from types import ModuleType

from core.client_recipe import ClientRecipe
from core.discovery import extra_dirs, subpackages
from core.format_types import Endpoint, Format, FormatOperations, FormatRules, RequestSpec
from core.images import ImageRecipe

__path__.extend(extra_dirs("formats"))

REQUIRED_NAMES = ("OPERATIONS", "RECIPES", "IMAGES")


@dataclass(frozen=True, slots=True)
class FormatPackage:
    """What one discovered format package provides."""

    name: str
    operations: FormatOperations
    recipes: tuple[ClientRecipe, ...]
    images: tuple[ImageRecipe, ...]

    @property
    def format(self) -> Format:
        return self.operations.format


def format_package(module: ModuleType) -> FormatPackage:
    """The format a package defines; ImportError naming what is missing or wrong."""
    missing = [name for name in REQUIRED_NAMES if not hasattr(module, name)]
    if missing:
        raise ImportError(f"{module.__name__} is not a format package: it defines no {', '.join(missing)} "
                          f"(see formats/__init__.py)")
    name = module.__name__.rpartition(".")[2]
    operations, recipes, images = module.OPERATIONS, tuple(module.RECIPES), tuple(module.IMAGES)
    if not isinstance(operations, FormatOperations):
        raise ImportError(f"{module.__name__}.OPERATIONS is not a FormatOperations")
    if operations.format.name != name:
        raise ImportError(f"{module.__name__} defines the format {operations.format.name!r}: a format's folder is "
                          "named after it")
    for recipe in recipes:
        if not isinstance(recipe, ClientRecipe) or recipe.format != name:
            raise ImportError(f"{module.__name__}.RECIPES: {recipe!r} is not a ClientRecipe of the format {name}")
    for image in images:
        if not isinstance(image, ImageRecipe):
            raise ImportError(f"{module.__name__}.IMAGES: {image!r} is not an ImageRecipe")
    return FormatPackage(name, operations, recipes, images)


PACKAGES: dict[str, FormatPackage] = {package.name: package
                                      for package in map(format_package, subpackages(sys.modules[__name__]))}
OPERATIONS: dict[str, FormatOperations] = {name: package.operations for name, package in PACKAGES.items()}
FORMATS: dict[str, Format] = {name: package.format for name, package in PACKAGES.items()}
# The package types whose requests for a package the registry lacks GitLab forwards to the public registry (the
# formats whose rules declare `forwarding`).
FORWARDING_PACKAGE_TYPES: tuple[str, ...] = tuple(sorted(OPERATIONS[name].package_type for name, fmt in FORMATS.items()
                                                         if fmt.rules.forwarding is not None))


def get_format(name: str) -> Format:
    try:
        return FORMATS[name]
    except KeyError:
        known = ", ".join(sorted(FORMATS))
        raise KeyError(f"unknown format {name!r}; known formats: {known}") from None


__all__ = ["Endpoint", "FORMATS", "Format", "FormatOperations", "FormatPackage", "FormatRules", "OPERATIONS",
           "PACKAGES", "RequestSpec", "format_package", "get_format"]
