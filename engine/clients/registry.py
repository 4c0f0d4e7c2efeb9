"""Every real-client recipe, by driver name: the `RECIPES` of every discovered format (`formats/<name>/clients.py`),
in format order."""

from core.client_recipe import ClientRecipe
from formats import PACKAGES


def _by_name() -> dict[str, ClientRecipe]:
    recipes: dict[str, ClientRecipe] = {}
    for package in PACKAGES.values():
        for recipe in package.recipes:
            if recipe.name in recipes:
                raise ValueError(f"formats.{package.name}: a client named {recipe.name!r} exists already "
                                 f"(format {recipes[recipe.name].format}): driver names are case-id parts, unique")
            recipes[recipe.name] = recipe
    return recipes


RECIPES: dict[str, ClientRecipe] = _by_name()


def recipes_for(format_name: str) -> list[ClientRecipe]:
    return [r for r in RECIPES.values() if r.format == format_name]
