"""Where a case's real client runs: the runner made once per process from what the controller prepared
(images built, or programs found on the host), or the reason it cannot run."""

from __future__ import annotations

import threading
from typing import Any

from engine.clients.driver import Runner
from engine.containers.build import ImageInfo
from engine.containers.run import ContainerRunner, HostRunner

_lock = threading.Lock()
_container_runner: ContainerRunner | None = None


def runner_for(driver: str, clients: dict[str, dict[str, Any]]) -> tuple[Runner | None, str]:
    """`clients`: what the controller prepared (the run context's `clients`), by client name."""
    info = clients.get(driver)
    if info is None:
        return None, (f"the {driver} client was not prepared for this run (it is not among --drivers, or its "
                      "format is not among --formats)")
    if info.get("not_run"):
        return None, str(info["not_run"])
    if info.get("mode") == "host":
        return HostRunner(), ""
    return _containers(clients), ""


def _containers(clients: dict[str, dict[str, Any]]) -> Runner:
    """One engine connection per process, with the images the controller built (never built again here)."""
    global _container_runner
    with _lock:
        if _container_runner is None:
            images = {}
            for info in clients.values():
                if info.get("image") and info.get("family"):
                    images[info["family"]] = ImageInfo(name=info["family"], tag=info["image"],
                                                       image_id=info["image_id"], source=info.get("image_source", ""))
            _container_runner = ContainerRunner(images=images)
        return _container_runner
