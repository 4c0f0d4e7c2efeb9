"""Every real-client recipe, by driver name. Each format's recipes live beside it in formats/<name>_clients.py."""

from core.client_recipe import ClientRecipe
from formats.generic import clients as generic_clients
from formats.maven import clients as maven_clients
from formats.npm import clients as npm_clients
from formats.pypi import clients as pypi_clients

RECIPE_MODULES = (generic_clients, npm_clients, pypi_clients, maven_clients)
RECIPES: dict[str, ClientRecipe] = {r.name: r for module in RECIPE_MODULES for r in module.RECIPES}


def recipes_for(format_name: str) -> list[ClientRecipe]:
    return [r for r in RECIPES.values() if r.format == format_name]
