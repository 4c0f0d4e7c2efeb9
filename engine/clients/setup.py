"""Get the run's real clients ready once, before any case: images built (or reused) in the Docker engine, or the
programs found on the host. What cannot be made ready is recorded with the reason, and its cases report
`not_run` with that reason: a client that did not run is never counted as passed."""

from __future__ import annotations

import shutil
import subprocess
from typing import Any, Protocol

from core.client_recipe import ClientRecipe
from engine.clients.registry import RECIPES
from engine.containers.build import BuildProgress, ensure_image
from engine.containers.engine import EngineUnavailable, connect
from engine.containers.images import ImageBuildError


class ClientSelection(Protocol):
    """What the run's settings (engine/config.py `Settings`) say about clients: where they run (`container`,
    `host` or `none`), for which formats, and which drivers."""

    @property
    def clients(self) -> str: ...

    @property
    def formats(self) -> list[str]: ...

    def wants_driver(self, name: str) -> bool: ...


def wanted_recipes(settings: ClientSelection) -> list[ClientRecipe]:
    if settings.clients == "none":
        return []
    return [r for r in RECIPES.values() if r.format in settings.formats and settings.wants_driver(r.name)]


def prepare_clients(settings: ClientSelection, say: Any = print) -> dict[str, dict[str, Any]]:
    """client name → {mode, image, image_id, version, not_run}: what each wanted client runs with."""
    recipes = wanted_recipes(settings)
    if not recipes:
        return {}
    if settings.clients == "host":
        return {r.name: _host_client(r) for r in recipes}
    return _container_clients(recipes, say)


def _host_client(recipe: ClientRecipe) -> dict[str, Any]:
    path = shutil.which(recipe.program)
    if path is None:
        return {"mode": "host", "not_run": f"{recipe.program} is not installed on this host (--clients host); "
                                           "install it, or run the clients in containers (--clients container)"}
    try:
        done = subprocess.run(recipe.version_argv, capture_output=True, text=True, timeout=60)
        version = (done.stdout or done.stderr).strip().splitlines()[0] if (done.stdout or done.stderr) else "?"
    except (OSError, subprocess.SubprocessError) as exc:
        version = f"unknown ({exc})"
    return {"mode": "host", "program": path, "version": version}


def _container_clients(recipes: list[ClientRecipe], say: Any) -> dict[str, dict[str, Any]]:
    try:
        client = connect()
    except EngineUnavailable as exc:
        return {r.name: {"mode": "container", "not_run": str(exc)} for r in recipes}
    found: dict[str, dict[str, Any]] = {}
    images: dict[str, Any] = {}
    with BuildProgress() as progress:
        for family in dict.fromkeys(r.image for r in recipes):
            try:
                images[family] = ensure_image(client, family, progress=progress)
            except ImageBuildError as exc:
                images[family] = exc
    for recipe in recipes:
        image = images[recipe.image]
        if isinstance(image, Exception):
            found[recipe.name] = {"mode": "container", "not_run": f"the {recipe.image} image could not be built: "
                                                                  f"{image}"}
            continue
        versions = getattr(image, "client_versions", {}) or {}
        found[recipe.name] = {"mode": "container", "family": recipe.image, "image": image.tag,
                              "image_id": image.image_id,
                              "image_source": getattr(image, "source", ""),
                              "version": versions.get(recipe.program, "")}
    return found
