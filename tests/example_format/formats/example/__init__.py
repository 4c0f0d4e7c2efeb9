"""The example format: a raw-file format defined only under tests/, the worked example of docs/adding-a-format.md.

Its rules and endpoints (`rules.py`), its file (`artifacts.py`), requests (`requests.py`) and FormatOperations
(`operations.py`). It has no real client: RECIPES and IMAGES are empty (a format with clients declares them in its
`clients.py`).
"""

from core.client_recipe import ClientRecipe
from core.images import ImageRecipe

from .operations import OPERATIONS, ExampleOperations
from .rules import DOWNLOAD, EXAMPLE, RULES, UPLOAD

RECIPES: tuple[ClientRecipe, ...] = ()
IMAGES: tuple[ImageRecipe, ...] = ()

__all__ = ["DOWNLOAD", "EXAMPLE", "IMAGES", "OPERATIONS", "RECIPES", "RULES", "UPLOAD", "ExampleOperations"]
