"""Real clients of the Debian format (filled in below)."""

from core.client_recipe import ClientRecipe
from core.images import ImageRecipe

RECIPES: tuple[ClientRecipe, ...] = ()
IMAGES: tuple[ImageRecipe, ...] = ()
