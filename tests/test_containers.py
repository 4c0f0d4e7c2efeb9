"""Client images and runners: recipes hash to tags, images are built once and reused, calls run in containers
(and on the host) with their files, their output and a time limit. Tests that need a Docker engine are skipped,
with the reason, when none answers; they reuse the base image and the curl image (the quickest to build)."""

from __future__ import annotations

import http.server
import os
import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from core.client_recipe import ClientCall
from core.images import HostCAs, Variant
from engine.clients.registry import RECIPES
from engine.containers import base_image, engine
from engine.containers.base_image import current_base_image
from engine.containers.build import ImageInfo, _cache_file, ensure_image, list_images, parse_versions
from engine.containers.images import IMAGE_RECIPES, ImageBuildError
from engine.containers.run import KILLED, ContainerRunner, HostRunner, write_files

pytestmark = pytest.mark.containers

NO_CAS = HostCAs(bundle=None, local={})


# --- without an engine ---------------------------------------------------------------------------------------

def test_a_changed_recipe_or_base_changes_the_tag() -> None:
    curl = IMAGE_RECIPES["curl"]
    changed = replace(curl, fallback=Variant(curl.fallback.base, (*curl.fallback.steps, "RUN true")))
    tag = curl.tag(curl.recipe_hash("fallback", "sha256:base1", NO_CAS))
    assert tag.startswith("harness-curl:") and len(tag.split(":")[1]) == 12
    assert tag == curl.tag(curl.recipe_hash("fallback", "sha256:base1", NO_CAS))  # stable
    assert tag != changed.tag(changed.recipe_hash("fallback", "sha256:base1", NO_CAS))
    assert tag != curl.tag(curl.recipe_hash("fallback", "sha256:base2", NO_CAS))
    assert tag != curl.tag(curl.recipe_hash("official", "sha256:base1", NO_CAS))
    assert tag != curl.tag(curl.recipe_hash("fallback", "sha256:base1", HostCAs(b"another CA", {})))


@pytest.mark.parametrize("name", sorted(IMAGE_RECIPES))
def test_every_dockerfile_runs_as_root_from_its_base_without_an_entrypoint(name: str) -> None:
    recipe = IMAGE_RECIPES[name]
    for source in ("official", "fallback"):
        dockerfile = recipe.dockerfile(source, HostCAs(b"pem", {"local.crt": b"pem"}))
        assert dockerfile.startswith(f"FROM {recipe.variant(source).base}\nUSER root\n")
        assert "COPY ca/ /usr/local/share/ca-certificates/" in dockerfile and "ENTRYPOINT []" in dockerfile


def test_every_client_recipe_runs_in_an_image_that_provides_its_program() -> None:
    for recipe in RECIPES.values():
        assert recipe.image in IMAGE_RECIPES, f"{recipe.name}: no image recipe {recipe.image!r}"
        assert recipe.program in IMAGE_RECIPES[recipe.image].programs, f"{recipe.name}: {recipe.program} missing"


def test_versions_are_read_from_what_each_program_prints() -> None:
    output = ('@@java\nopenjdk version "17.0.13" 2024-10-15\nOpenJDK Runtime\n'
              "@@mvn\n\x1b[1mApache Maven 3.8.7\x1b[m\n@@node\nv18.19.0\n@@pnpm\n@@missing\n")
    assert parse_versions(output) == {"java": "17.0.13", "mvn": "3.8.7", "node": "18.19.0", "pnpm": "missing"}


def test_a_call_cannot_write_outside_its_working_directory(tmp_path: Path) -> None:
    write_files(tmp_path, {"sub/dir/a.cfg": "x"})
    assert (tmp_path / "sub/dir/a.cfg").read_text() == "x"
    for bad in ("../escape", "/etc/passwd"):
        with pytest.raises(ValueError, match="relative path"):
            write_files(tmp_path, {bad: "x"})


def test_no_engine_says_how_to_get_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", "tcp://127.0.0.1:1")
    started = time.monotonic()
    with pytest.raises(engine.EngineUnavailable) as raised:
        engine.connect()
    message = str(raised.value)
    assert time.monotonic() - started < 10
    assert "tcp://127.0.0.1:1" in message and "apt-get install" in message and "docker.io" in message
    assert "dockerd --iptables=false --bridge=none" in message and ".ci/docker-engine" in message
    assert "--clients host" in message


def test_no_debootstrap_says_how_to_get_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda _name: None)
    with pytest.raises(ImageBuildError, match="apt-get install -y --no-install-recommends debootstrap"):
        base_image._check_can_debootstrap()


def test_host_runner_reports_a_missing_client_as_not_run(tmp_path: Path) -> None:
    recipe: Any = SimpleNamespace(program="no-such-client-xyz", image="curl")
    result = HostRunner().run(recipe, ClientCall(["no-such-client-xyz", "--version"], {"a.cfg": "x"}), tmp_path)
    assert result.exit_code is None and not result.timed_out
    assert result.not_run == "not run: no-such-client-xyz is not installed on this host"
    assert not (tmp_path / "a.cfg").exists()


def test_host_runner_runs_in_the_working_directory_as_home(tmp_path: Path) -> None:
    recipe: Any = SimpleNamespace(program="sh", image="curl")
    call = ClientCall(["sh", "-c", 'cat cfg; echo "$HOME $MARK"; exit 3'], {"cfg": "from file\n"}, {"MARK": "m"})
    result = HostRunner().run(recipe, call, tmp_path)
    assert result.exit_code == 3 and result.not_run is None
    assert result.output == f"from file\n{tmp_path.resolve()} m\n"
    assert result.reproduce == "HOME=\"$PWD\" MARK=m sh -c 'cat cfg; echo \"$HOME $MARK\"; exit 3'"


def test_host_runner_kills_a_call_that_runs_too_long(tmp_path: Path) -> None:
    recipe: Any = SimpleNamespace(program="sleep", image="curl")
    result = HostRunner().run(recipe, ClientCall(["sleep", "600"], timeout_s=0.5), tmp_path)
    assert result.timed_out and result.exit_code == KILLED and result.duration_s < 5


# --- with an engine ------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def docker_client() -> Any:
    try:
        return engine.connect()
    except engine.EngineUnavailable as exc:
        pytest.skip(f"no Docker engine (start one with .ci/docker-engine): {str(exc).splitlines()[0]}")


@pytest.fixture(scope="module")
def curl_image(docker_client: Any) -> ImageInfo:
    if current_base_image(docker_client) is None and not _can_make_base():
        pytest.skip("the base image is missing and cannot be made here (needs root and debootstrap): "
                    "run `harness images build --only curl` once")
    return ensure_image(docker_client, "curl")


def _can_make_base() -> bool:
    return os.geteuid() == 0 and shutil.which("debootstrap") is not None


def test_an_image_is_built_once_then_reused(docker_client: Any, curl_image: ImageInfo) -> None:
    started = time.monotonic()
    again = ensure_image(docker_client, "curl")
    assert time.monotonic() - started < 3
    assert (again.tag, again.image_id, again.source) == (curl_image.tag, curl_image.image_id, curl_image.source)
    assert again.client_versions["curl"][0].isdigit()
    labels = docker_client.images.get(again.tag).labels
    assert labels["org.registry-harness.recipe-hash"][:12] == again.tag.split(":")[1]
    listed = {row.tag: row for row in list_images(docker_client)}
    assert listed[again.tag].up_to_date and listed[again.tag].client_versions == again.client_versions


def test_a_changed_recipe_builds_a_new_image(docker_client: Any, curl_image: ImageInfo,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    curl = IMAGE_RECIPES["curl"]
    variant = curl.variant(curl_image.source)  # type: ignore[arg-type]
    # One more step; built FROM the curl image so that the test does not wait for apt-get again.
    step = Variant(curl_image.tag, ("RUN echo changed > /changed",), variant.env)
    official = curl_image.source == "official"
    changed = replace(curl, name="curl-changed", official=step if official else curl.official,
                      fallback=curl.fallback if official else step)
    monkeypatch.setitem(IMAGE_RECIPES, "curl-changed", changed)
    info = ensure_image(docker_client, "curl-changed", curl_image.source)  # type: ignore[arg-type]
    try:
        assert info.tag.startswith("harness-curl-changed:") and info.image_id != curl_image.image_id
        assert info.client_versions == curl_image.client_versions
    finally:
        docker_client.images.remove(info.image_id, force=True)
        _cache_file(info.tag).unlink(missing_ok=True)


@pytest.fixture
def http_server() -> Iterator[tuple[str, list[dict[str, str]]]]:
    seen: list[dict[str, str]] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
            seen.append(dict(self.headers))
            status, body = (200, b"package bytes\n") if self.path == "/file.txt" else (404, b"no such file\n")
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", seen
    server.shutdown()


def test_container_runner_runs_a_client_call(docker_client: Any, curl_image: ImageInfo, tmp_path: Path,
                                             http_server: tuple[str, list[dict[str, str]]]) -> None:
    url, seen = http_server
    runner = ContainerRunner(docker_client, {"curl": curl_image})
    recipe: Any = SimpleNamespace(program="curl", image="curl")
    call = ClientCall(["curl", "--silent", "--show-error", "--fail", "--config", "curl.cfg", "-o", "pulled/file.txt",
                       "--create-dirs", f"{url}/file.txt"], {"curl.cfg": 'header = "X-Harness: from-config"\n'})
    result = runner.run(recipe, call, tmp_path)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "pulled/file.txt").read_text() == "package bytes\n"
    assert seen[-1]["X-Harness"] == "from-config"  # the config file written into the working directory was read
    assert result.image_id == curl_image.image_id and 0 < result.duration_s < 30
    # The image by its id: the reproduction runs the very image, even after the tag moves to a new recipe.
    assert result.reproduce.startswith('docker run --rm --network host -v "$PWD":/work -w /work -e HOME=/work '
                                       f"{curl_image.image_id} curl --silent")

    missing = runner.run(recipe, ClientCall(["curl", "--silent", "--show-error", "--fail", f"{url}/gone"]), tmp_path)
    assert missing.exit_code == 22 and "404" in missing.output


def test_container_runner_kills_a_call_that_runs_too_long(docker_client: Any, curl_image: ImageInfo,
                                                          tmp_path: Path) -> None:
    runner = ContainerRunner(docker_client, {"curl": curl_image})
    result = runner.run_call(curl_image, ClientCall(["sleep", "600"], timeout_s=1), tmp_path)
    assert result.timed_out and result.exit_code == KILLED and result.duration_s < 15
    assert result.reason == "timed out after 1 s: the container was killed"
    runs = docker_client.api.containers(all=True, filters={"label": "org.registry-harness.run=curl"})
    assert not [run for run in runs if run["Command"] == "sleep 600"]  # killed and removed
