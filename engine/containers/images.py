"""Every client image, by name: the image recipes the discovered formats declare beside their clients
(`formats/<name>/clients.py`, `IMAGES`). What a recipe is (and its Dockerfile and tag) is `core.images`."""

from core.images import ImageRecipe
from formats import PACKAGES


class ImageBuildError(RuntimeError):
    """An image could not be made; the message says which step failed and ends with the build log's last lines."""


def _by_name() -> dict[str, ImageRecipe]:
    """Each format's images, in format order; a family two formats share is declared once (by the same object)."""
    recipes: dict[str, ImageRecipe] = {}
    for package in PACKAGES.values():
        for recipe in package.images:
            known = recipes.setdefault(recipe.name, recipe)
            if known != recipe:
                raise ValueError(f"formats.{package.name} declares an image {recipe.name!r} that another format "
                                 "declares differently: import that format's recipe instead")
    return recipes


IMAGE_RECIPES: dict[str, ImageRecipe] = _by_name()


def get_recipe(name: str) -> ImageRecipe:
    try:
        return IMAGE_RECIPES[name]
    except KeyError:
        raise KeyError(f"unknown client image {name!r}; known images: {', '.join(IMAGE_RECIPES)}") from None
