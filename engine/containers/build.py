"""Make a client image from its recipe, or reuse the one already made; list what exists.

`ensure_image` looks for an image whose tag is the hash of its recipe (no network at all when one exists);
otherwise, in `auto`, it pulls the official image (giving up when the registry is silent for a short while) and
falls back to the local Debian base. Builds go through the engine's API with host networking and stream their
log to one live line per image; a failed build raises with the last 40 lines of that log. The programs an
image provides are asked for their versions once, after the build, and kept in a small JSON file beside it.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import queue
import re
import tempfile
import threading
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import docker
from docker.errors import APIError, ContainerError, ImageNotFound
from docker.utils import parse_repository_tag
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Column

from core.images import LABEL, SOURCES, HostCAs, ImageRecipe, Source
from engine.containers.base_image import base_recipe_hash, current_base_image, ensure_base_image
from engine.containers.images import IMAGE_RECIPES, ImageBuildError, get_recipe

SourceChoice = Literal["auto", "official", "fallback"]
PULL_STALL_S = 20.0  # a registry silent this long is taken as unreachable (here DNS fails in ~5 ms)
LOG_TAIL = 40
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
VERSION = re.compile(r"\d+(?:\.\d+)+(?:[-+~][0-9A-Za-z.+~-]+)?")

Step = Callable[[str], None]


@dataclass
class ImageInfo:
    """A client image ready to run, or (from list_images) one that exists."""

    name: str  # the recipe's key: node, python, maven, curl
    tag: str  # harness-<name>:<recipe hash, 12 hex>
    image_id: str  # sha256:…
    source: str  # official or fallback
    client_versions: dict[str, str] = field(default_factory=dict)  # program → version
    size_bytes: int = 0
    created: str = ""
    up_to_date: bool = True  # made from the current recipe (and the current base image)
    note: str = ""  # why the official image was not used, when it was not


def cache_dir() -> Path:
    root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    path = root / "registry-harness" / "images"
    path.mkdir(parents=True, exist_ok=True)
    return path


class BuildProgress:
    """One live line per image: its name, what the build is doing now, the time it has taken."""

    def __init__(self, console: Console | None = None) -> None:
        self.progress = Progress(
            SpinnerColumn(), TextColumn("[bold]{task.fields[image]}", table_column=Column(width=8)),
            TextColumn("{task.description}", markup=False,
                       table_column=Column(no_wrap=True, overflow="ellipsis", ratio=1)),
            TimeElapsedColumn(), console=console or Console(stderr=True), expand=True)
        self.tasks: dict[str, Any] = {}

    def __enter__(self) -> BuildProgress:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def line(self, image: str) -> Step:
        if image not in self.tasks:
            self.tasks[image] = self.progress.add_task("", image=image, total=1)
        task = self.tasks[image]
        return lambda text: self.progress.update(task, description=text)

    def done(self, image: str, text: str) -> None:
        self.line(image)(text)
        self.progress.update(self.tasks[image], completed=1)


def ensure_images(client: docker.DockerClient, names: list[str], source: SourceChoice = "auto",
                  progress: BuildProgress | None = None, rebuild: bool = False) -> dict[str, ImageInfo]:
    """Every named image, built or reused; with `rebuild`, the base image is remade once, before the first."""
    images: dict[str, ImageInfo] = {}
    for index, name in enumerate(names):
        images[name] = ensure_image(client, name, source, progress, rebuild=rebuild, rebuild_base=rebuild and not index)
    return images


def ensure_image(client: docker.DockerClient, name: str, source: SourceChoice = "auto",
                 progress: BuildProgress | None = None, rebuild: bool = False,
                 rebuild_base: bool = False) -> ImageInfo:
    """The image for client family `name`: the existing one made from the current recipe, else a new build.

    `source`: official (pull the official image and add to it), fallback (the local Debian base), auto (the
    official image when the registry answers, else the fallback). `rebuild` builds anew without the layer cache.
    """
    recipe = get_recipe(name)
    cas = HostCAs.from_host()
    step: Step = progress.line(name) if progress else (lambda _text: None)
    candidates: list[Source] = ["official", "fallback"] if source == "auto" else [source]
    if not rebuild and (found := _existing(client, recipe, candidates, cas)):
        if progress:
            progress.done(name, f"reused {found.tag} ({found.source}) {_versions_text(found.client_versions)}")
        return found
    with _build_lock():  # one build at a time, also across pytest-xdist workers: the second reuses the first's
        if not rebuild and (found := _existing(client, recipe, candidates, cas)):
            return found
        note = ""
        if "official" in candidates:
            base_id, why = _pull(client, recipe.official.base, rebuild, step)
            if base_id:
                return _build(client, recipe, "official", base_id, cas, rebuild, step, progress)
            if source == "official":
                raise ImageBuildError(f"the official image {recipe.official.base} could not be pulled: {why}\n"
                                      "Check that the engine reaches the registry, or use --source fallback "
                                      "(built from Debian packages on a local base image).")
            note = f"official image {recipe.official.base} not pulled: {why}"
        step("base image " + ("(rebuilding)" if rebuild_base else "(checking)"))
        base_id = ensure_base_image(client, rebuild=rebuild_base, step=lambda text: step("base image: " + text))
        info = _build(client, recipe, "fallback", base_id, cas, rebuild, step, progress)
        info.note = note
        return info


def _existing(client: docker.DockerClient, recipe: ImageRecipe, candidates: list[Source],
              cas: HostCAs) -> ImageInfo | None:
    """An image made from the current recipe, found without touching the network."""
    for source in candidates:
        base_id = _local_base_id(client, recipe, source, cas)
        if base_id is None:
            continue
        tag = recipe.tag(recipe.recipe_hash(source, base_id, cas))
        try:
            image = client.images.get(tag)
        except ImageNotFound:
            continue
        return ImageInfo(recipe.name, tag, image.id, source, client_versions(client, recipe, tag, image.id),
                         image.attrs.get("Size", 0), _created(image.attrs))
    return None


def _local_base_id(client: docker.DockerClient, recipe: ImageRecipe, source: Source, cas: HostCAs) -> str | None:
    if source == "fallback":
        return current_base_image(client, cas)
    try:
        return str(client.images.get(recipe.official.base).id)
    except ImageNotFound:
        return None


def _pull(client: docker.DockerClient, reference: str, again: bool, step: Step) -> tuple[str | None, str]:
    """(image id, "") once `reference` is local, pulling it if needed; (None, why) when the registry fails or is
    silent for PULL_STALL_S. The pull runs in a thread so that a silent registry cannot hang the build."""
    if not again:
        try:
            return client.images.get(reference).id, ""
        except ImageNotFound:
            pass
    repository, tag = parse_repository_tag(reference)
    events: queue.Queue[dict[str, Any] | Exception | None] = queue.Queue()

    def pull() -> None:
        try:
            for event in client.api.pull(repository, tag=tag or "latest", stream=True, decode=True):
                events.put(event)
            events.put(None)
        except Exception as exc:  # handed to the waiting thread, which reports it
            events.put(exc)

    step(f"pulling {reference}")
    threading.Thread(target=pull, name=f"pull {reference}", daemon=True).start()
    while True:
        try:
            event = events.get(timeout=PULL_STALL_S)
        except queue.Empty:
            return None, f"the registry sent nothing for {PULL_STALL_S:.0f} s"
        if event is None:
            break
        if isinstance(event, Exception):
            return None, (getattr(event, "explanation", None) or str(event)).splitlines()[0]
        if "error" in event:
            return None, str(event["error"]).splitlines()[0]
        step(f"pulling {reference}: {event.get('status', '')} {event.get('progress', '')}".rstrip())
    try:
        return client.images.get(reference).id, ""
    except ImageNotFound:
        return None, "the pull finished but the image is not there"


def _build(client: docker.DockerClient, recipe: ImageRecipe, source: Source, base_id: str, cas: HostCAs,
           no_cache: bool, step: Step, progress: BuildProgress | None) -> ImageInfo:
    recipe_hash = recipe.recipe_hash(source, base_id, cas)
    tag = recipe.tag(recipe_hash)
    labels = {f"{LABEL}.image": recipe.name, f"{LABEL}.recipe-hash": recipe_hash, f"{LABEL}.source": source,
              f"{LABEL}.base": recipe.variant(source).base, f"{LABEL}.base-id": base_id}
    tail: deque[str] = deque(maxlen=LOG_TAIL)
    current = "starting"
    with tempfile.TemporaryDirectory(prefix=f"harness-{recipe.name}-") as context:
        Path(context, "Dockerfile").write_text(recipe.dockerfile(source, cas))
        cas.write_to(Path(context))
        step(f"building {tag} ({source})")
        try:
            for event in client.api.build(path=context, tag=tag, labels=labels, network_mode="host", decode=True,
                                          rm=True, forcerm=True, nocache=no_cache, pull=False):
                for line in str(event.get("stream", "")).splitlines():
                    line = ANSI.sub("", line).rstrip()
                    if not line.strip():
                        continue
                    tail.append(line)
                    if line.startswith("Step "):
                        current = line
                    step(current if line == current else f"{current[:60]} | {line.strip()[:80]}")
                if "error" in event:
                    raise ImageBuildError(_failed(recipe, source, str(event["error"]), tail))
        except APIError as exc:
            raise ImageBuildError(_failed(recipe, source, str(exc.explanation or exc), tail)) from None
    image = client.images.get(tag)
    step("asking the clients for their versions")
    try:
        versions = client_versions(client, recipe, tag, image.id)
    except ImageBuildError:
        client.images.remove(image.id, force=True)  # a broken image must not be reused
        raise
    if progress:
        progress.done(recipe.name, f"built {tag} ({source}) {_versions_text(versions)}")
    return ImageInfo(recipe.name, tag, image.id, source, versions, image.attrs.get("Size", 0), _created(image.attrs))


def _failed(recipe: ImageRecipe, source: Source, error: str, tail: deque[str]) -> str:
    return (f"building the {recipe.name} image ({source}, from {recipe.variant(source).base}) failed: "
            f"{error.strip()}\nlast {len(tail)} lines of the build log:\n" + "\n".join(tail))


def client_versions(client: docker.DockerClient, recipe: ImageRecipe, tag: str, image_id: str) -> dict[str, str]:
    """program → version for every program of the image: read once in a container, then from the cache file."""
    if (cached := _cached_versions(tag, image_id)) is not None:
        return cached
    script = "; ".join(f"echo '@@{program}'; if command -v {program} >/dev/null 2>&1; then {command} 2>&1 "
                       f"| head -n 5; else echo '@@missing'; fi" for program, command in recipe.programs.items())
    try:
        output = client.containers.run(image_id, ["sh", "-c", script], remove=True, network_mode="host")
    except (ContainerError, APIError) as exc:
        raise ImageBuildError(f"the {recipe.name} image {tag} was built but its programs could not be asked for "
                              f"their versions: {exc}") from None
    versions = parse_versions(output.decode(errors="replace"))
    missing = [program for program in recipe.programs if versions.get(program) in (None, "missing")]
    if missing:
        raise ImageBuildError(f"the {recipe.name} image {tag} was built but does not provide {', '.join(missing)}: "
                              "fix its recipe in the clients.py of the format that declares it\n"
                              f"{output.decode(errors='replace')}")
    record = {"tag": tag, "image_id": image_id, "client_versions": versions}
    _cache_file(tag).write_text(json.dumps(record, indent=1) + "\n")
    return versions


def parse_versions(output: str) -> dict[str, str]:
    """The output of the version script ('@@program' then what the program printed) → program → version."""
    versions: dict[str, str] = {}
    program = None
    for raw in output.splitlines():
        line = ANSI.sub("", raw).strip()
        if line.startswith("@@") and line != "@@missing":
            program = line[2:]
        elif program and program not in versions and line:
            match = VERSION.search(line)
            versions[program] = "missing" if line == "@@missing" else (match.group(0) if match else line[:80])
    return versions


def list_images(client: docker.DockerClient) -> list[ImageInfo]:
    """Every harness image on the engine (the base included), each marked up to date with its recipe or stale
    (made from an older recipe or on an older base: `harness images build` makes the current one)."""
    cas = HostCAs.from_host()
    rows: list[ImageInfo] = []
    for image in client.images.list(filters={"label": f"{LABEL}.image"}):
        labels = image.labels or {}
        name, source = labels.get(f"{LABEL}.image", "?"), labels.get(f"{LABEL}.source", "?")
        tag = next((t for t in image.tags if t.startswith(f"harness-{name}:")), (image.tags or ["<untagged>"])[0])
        current = _current_hash(client, name, source, cas)
        made_now = current is not None and current == labels.get(f"{LABEL}.recipe-hash") and tag in image.tags
        rows.append(ImageInfo(name, tag, image.id, source, _cached_versions(tag, image.id) or {},
                              image.attrs.get("Size", 0), _created(image.attrs), up_to_date=made_now))
    return sorted(rows, key=lambda row: (row.name != "base", row.name, row.created))


def _current_hash(client: docker.DockerClient, name: str, source: str, cas: HostCAs) -> str | None:
    """The recipe hash an image of this name and source would have if it were made now."""
    if name == "base":
        return base_recipe_hash(cas)
    recipe = IMAGE_RECIPES.get(name)
    if recipe is None or source not in SOURCES:
        return None
    base_id = _local_base_id(client, recipe, source, cas)
    return recipe.recipe_hash(source, base_id, cas) if base_id else None


def _cache_file(tag: str) -> Path:
    return cache_dir() / (tag.replace(":", "_").replace("/", "_") + ".json")


def _cached_versions(tag: str, image_id: str) -> dict[str, str] | None:
    cache = _cache_file(tag)
    if cache.is_file():
        stored = json.loads(cache.read_text())
        if stored.get("image_id") == image_id:
            return dict(stored["client_versions"])
    return None


def _created(attrs: dict[str, Any]) -> str:
    created = str(attrs.get("Created", ""))[:19]
    try:
        return dt.datetime.fromisoformat(created).strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return created


def _versions_text(versions: dict[str, str]) -> str:
    return " ".join(f"{program} {version}" for program, version in versions.items())


@contextmanager
def _build_lock() -> Iterator[None]:
    with open(cache_dir() / "build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
