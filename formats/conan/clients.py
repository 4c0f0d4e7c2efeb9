"""Real clients of the Conan format: none yet in this branch (see the report: `conan` 2 and `conan` 1 from PyPI, each
in its own image, `conan remote add` + `conan remote login` by token + `conan upload` / `conan download`)."""

from core.client_recipe import ClientRecipe
from core.images import ImageRecipe

RECIPES: tuple[ClientRecipe, ...] = ()
IMAGES: tuple[ImageRecipe, ...] = ()
