"""The metadata cache (reference_server/metadata_cache.py) and the two metadata faults, by their outcomes over HTTP.

After every kind of write (a publish, a delete through the Packages API, a dist-tag change, a write to the database
from outside any route) the next metadata document shows it; answers are cached per address and per project; a
cached answer is the answer, byte for byte. Servers come from tests/test_reference_server.py's fixtures; the app
each one runs is captured, so a test can see that an answer really came from the cache.
"""

import hashlib
import importlib
import json
import re
import sqlite3
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
import requests
import test_reference_server as base
from starlette.applications import Starlette

from core import packages_api
from formats import OPERATIONS, RequestSpec, maven, npm, pypi
from reference_server import Fault, ServerSettings
from reference_server.app import DATABASE_FILE, create_app
from reference_server.metadata_cache import SLOW_METADATA_SECONDS, MetadataCache, Rendered

start = base.start
registry = base.registry
world = base.world
Registry = base.Registry
World = base.World

NPM_NAME = "@grp/pkg"  # scoped by the world's top-level group, so the instance level finds it
NAMES = {"npm": NPM_NAME, "pypi": "cached-pkg", "maven": "cached-lib", "generic": "cached-pkg"}
VOLATILE_HEADERS = ("date", "server")


@pytest.fixture(autouse=True)
def apps(monkeypatch: pytest.MonkeyPatch) -> list[Starlette]:
    """Every app the test's servers run, in start order."""
    created: list[Starlette] = []

    def capture(settings: ServerSettings) -> Starlette:
        app = create_app(settings)
        created.append(app)
        return app

    # `reference_server.serve` is also the name of the function the package exports: look the module up by name.
    monkeypatch.setattr(importlib.import_module("reference_server.serve"), "create_app", capture)
    return created


def call(registry: Registry, spec: RequestSpec, headers: dict[str, str] | None = None) -> requests.Response:
    body = spec.body if spec.body is None or isinstance(spec.body, bytes) else b"".join(spec.body)
    return registry.call(spec.method, spec.path, {**spec.headers, **registry.admin, **(headers or {})},
                         params=spec.params, data=body)


def publish(registry: Registry, format_name: str, project_id: int, version: str, seed: int = 0,
            name: str | None = None) -> None:
    ops, name = OPERATIONS[format_name], name or NAMES[format_name]
    artifact = ops.artifact(name, version, f"file-{version}.bin", 600, seed)
    for spec in ops.push(project_id, name, version, artifact):
        answer = call(registry, spec)
        assert answer.status_code < 300, (spec.path, answer.status_code, answer.text)


def metadata(format_name: str, project_id: int) -> RequestSpec:
    if format_name == "generic":
        return packages_api.list_packages(project_id, package_type="generic")
    spec = OPERATIONS[format_name].metadata(project_id, NAMES[format_name])
    assert spec is not None
    return spec


def versions_in(format_name: str, answer: requests.Response) -> list[str]:
    """The versions a metadata answer lists, in its order."""
    assert answer.status_code == 200, answer.text
    if format_name == "npm":
        return list(answer.json()["versions"])
    if format_name == "pypi":
        return re.findall(r">cached_pkg-([^-]+)-py3", answer.text)
    if format_name == "maven":
        return re.findall(r"<version>([^<]+)</version>", answer.text)
    return [item["version"] for item in answer.json()]


def stable_headers(answer: requests.Response) -> dict[str, str]:
    return {k.lower(): v for k, v in answer.headers.items() if k.lower() not in VOLATILE_HEADERS}


def package_id(registry: Registry, project_id: int, package_type: str, version: str) -> int:
    listed = registry.packages(project_id, package_type=package_type, package_version=version).json()
    assert len(listed) == 1, listed
    return int(listed[0]["id"])


def cache_of(app: Starlette) -> MetadataCache:
    cache: MetadataCache = app.state.metadata_cache
    return cache


# --- the cache serves what the server would answer, until something changes -----------------------------------


@pytest.mark.parametrize("format_name", ["npm", "pypi", "maven", "generic"])
def test_a_cached_answer_is_the_built_answer_byte_for_byte(world: World, apps: list[Starlette],
                                                            format_name: str) -> None:
    registry, pid = world.registry, world.project["id"]
    for minor in range(3):
        publish(registry, format_name, pid, f"1.{minor}.0" if format_name != "maven" else f"1.{minor}")
    cache = cache_of(apps[0])
    built = call(registry, metadata(format_name, pid))
    hits = cache.hits
    again = call(registry, metadata(format_name, pid))
    assert cache.hits == hits + 1
    assert again.content == built.content and stable_headers(again) == stable_headers(built)
    assert len(versions_in(format_name, again)) == 3


@pytest.mark.parametrize("format_name", ["npm", "pypi", "maven", "generic"])
def test_the_next_document_after_a_publish_lists_it(world: World, format_name: str) -> None:
    registry, pid = world.registry, world.project["id"]
    first, second = ("1.0", "1.1") if format_name == "maven" else ("1.0.0", "1.1.0")
    publish(registry, format_name, pid, first)
    assert versions_in(format_name, call(registry, metadata(format_name, pid))) == [first]
    assert versions_in(format_name, call(registry, metadata(format_name, pid))) == [first]  # from the cache
    publish(registry, format_name, pid, second, seed=1)
    assert versions_in(format_name, call(registry, metadata(format_name, pid))) == [first, second]


def test_every_variant_is_invalidated_by_one_publish(world: World) -> None:
    """Project, group and instance level, HTML and JSON, the document and its checksum: all cached, all renewed."""
    registry, pid, gid = world.registry, world.project["id"], world.group["id"]
    coords = maven.coordinates(NAMES["maven"], "0")
    maven_sha1 = maven.download(pid, maven.artifact_segments(coords), maven.METADATA_FILE + ".sha1")
    maven_group = OPERATIONS["maven"]
    assert isinstance(maven_group, maven.MavenOperations)
    variants: dict[str, tuple[str, RequestSpec]] = {
        "npm project": ("npm", npm.packument(pid, NPM_NAME)),
        "npm instance": ("npm", npm.instance_packument(NPM_NAME)),
        "pypi html": ("pypi", pypi.simple_package(pid, NAMES["pypi"])),
        "pypi json": ("pypi", pypi.simple_package(pid, NAMES["pypi"], json=True)),
        "pypi group": ("pypi", pypi.group_simple_package(gid, NAMES["pypi"])),
        "pypi index": ("pypi", pypi.simple_index(pid)),
        "maven": ("maven", metadata("maven", pid)),
        "maven group": ("maven", maven_group.group_metadata(gid, NAMES["maven"])),
        "generic list": ("generic", metadata("generic", pid)),
    }
    for format_name in ("npm", "pypi", "maven", "generic"):
        publish(registry, format_name, pid, "1.0" if format_name == "maven" else "1.0.0")
    before = {label: call(registry, spec) for label, (_, spec) in variants.items()}
    sha1_before = call(registry, maven_sha1).text
    assert all(answer.status_code == 200 for answer in before.values()), before
    for format_name in ("npm", "pypi", "maven", "generic"):
        publish(registry, format_name, pid, "1.1" if format_name == "maven" else "1.1.0", seed=1)
    publish(registry, "pypi", pid, "0.1.0", name="another-pkg")  # what changes the index: a new name
    for label, (_, spec) in variants.items():
        after = call(registry, spec)
        assert after.status_code == 200 and after.content != before[label].content, label
        if label == "pypi json":
            assert [f["filename"] for f in after.json()["files"]] == [
                pypi.wheel_file_name(NAMES["pypi"], v) for v in ("1.0.0", "1.1.0")]
        else:
            assert ("another-pkg" if label == "pypi index" else "1.1") in after.text, label
    document = call(registry, variants["maven"][1]).content
    sha1_after = call(registry, maven_sha1).text
    assert sha1_after != sha1_before and sha1_after == hashlib.sha1(document).hexdigest()


def test_deletes_through_the_packages_api_are_seen(world: World) -> None:
    registry, pid = world.registry, world.project["id"]
    for format_name in ("npm", "pypi", "generic"):
        for minor in range(2):
            publish(registry, format_name, pid, f"1.{minor}.0", seed=minor)
        assert len(versions_in(format_name, call(registry, metadata(format_name, pid)))) == 2
    for format_name in ("npm", "generic"):
        gone = package_id(registry, pid, format_name, "1.0.0")
        assert registry.call("DELETE", f"/api/v4/projects/{pid}/packages/{gone}", registry.admin).status_code == 204
        assert versions_in(format_name, call(registry, metadata(format_name, pid))) == ["1.1.0"]
    wheel = package_id(registry, pid, "pypi", "1.1.0")
    [file_row] = registry.files(pid, wheel)
    path = f"/api/v4/projects/{pid}/packages/{wheel}/package_files/{file_row['id']}"
    assert registry.call("DELETE", path, registry.admin).status_code == 204
    assert versions_in("pypi", call(registry, metadata("pypi", pid))) == ["1.0.0"]
    last = package_id(registry, pid, "npm", "1.1.0")
    assert registry.call("DELETE", f"/api/v4/projects/{pid}/packages/{last}", registry.admin).status_code == 204
    assert call(registry, metadata("npm", pid)).status_code == 404


def test_dist_tag_changes_are_seen_at_both_levels(world: World) -> None:
    registry, pid = world.registry, world.project["id"]
    publish(registry, "npm", pid, "1.0.0")
    publish(registry, "npm", pid, "2.0.0-rc.1", seed=1)
    levels = (npm.packument(pid, NPM_NAME), npm.instance_packument(NPM_NAME))
    assert [call(registry, spec).json()["dist-tags"] for spec in levels] == [{"latest": "2.0.0-rc.1"}] * 2
    assert call(registry, npm.add_dist_tag(pid, NPM_NAME, "stable", "1.0.0")).status_code == 204
    tags = {"latest": "2.0.0-rc.1", "stable": "1.0.0"}
    assert [call(registry, spec).json()["dist-tags"] for spec in levels] == [tags] * 2
    assert call(registry, npm.instance_remove_dist_tag(NPM_NAME, "stable")).status_code == 204
    assert [call(registry, spec).json()["dist-tags"] for spec in levels] == [{"latest": "2.0.0-rc.1"}] * 2


def test_each_address_gets_its_own_urls(world: World) -> None:
    registry, pid = world.registry, world.project["id"]
    publish(registry, "npm", pid, "1.0.0")
    publish(registry, "pypi", pid, "1.0.0")
    for host in ("mirror-a.example:8080", "mirror-b.example", "mirror-a.example:8080"):
        packument = call(registry, npm.packument(pid, NPM_NAME), {"Host": host}).json()
        assert packument["versions"]["1.0.0"]["dist"]["tarball"].startswith(f"http://{host}/api/v4/projects/{pid}/")
        page = call(registry, pypi.simple_package(pid, NAMES["pypi"]), {"Host": host}).text
        assert re.findall(r'href="(http://[^/]+)/', page) == [f"http://{host}"]


def test_one_projects_document_never_answers_for_another(world: World) -> None:
    registry = world.registry
    mine, other = world.project["id"], world.other_project["id"]
    for format_name in ("npm", "pypi", "maven", "generic"):
        first, second = ("1.0", "2.0") if format_name == "maven" else ("1.0.0", "2.0.0")
        publish(registry, format_name, mine, first)
        publish(registry, format_name, other, second, seed=1)
        for _ in range(2):  # built, then cached
            assert versions_in(format_name, call(registry, metadata(format_name, mine))) == [first]
            assert versions_in(format_name, call(registry, metadata(format_name, other))) == [second]
    tarball = call(registry, npm.packument(other, NPM_NAME)).json()["versions"]["2.0.0"]["dist"]["tarball"]
    assert f"/projects/{other}/" in tarball
    # The instance level answers at one URL for whichever project published the name last.
    assert versions_in("npm", call(registry, npm.instance_packument(NPM_NAME))) == ["2.0.0"]
    publish(registry, "npm", mine, "3.0.0", seed=2)
    assert versions_in("npm", call(registry, npm.instance_packument(NPM_NAME))) == ["1.0.0", "3.0.0"]


def test_a_deleted_and_recreated_project_starts_empty(world: World) -> None:
    registry, group = world.registry, world.group
    doomed = registry.project(group["id"], "doomed")
    publish(registry, "npm", doomed["id"], "1.0.0")
    assert versions_in("npm", call(registry, npm.packument("grp/doomed", NPM_NAME))) == ["1.0.0"]
    assert registry.call("DELETE", f"/api/v4/projects/{doomed['id']}", registry.admin).status_code == 202
    reborn = registry.project(group["id"], "doomed")  # the same path, and the same writes as its predecessor had
    assert call(registry, npm.packument(reborn["id"], NPM_NAME)).status_code == 404
    publish(registry, "npm", reborn["id"], "2.0.0")
    assert versions_in("npm", call(registry, npm.packument("grp/doomed", NPM_NAME))) == ["2.0.0"]


def test_writes_from_outside_any_route_are_seen(world: World) -> None:
    """The revision is kept by triggers: a write through another connection invalidates as a route's write does."""
    registry, pid = world.registry, world.project["id"]
    for format_name in ("npm", "maven"):
        for minor in range(2):
            publish(registry, format_name, pid, f"1.{minor}.0" if format_name == "npm" else f"1.{minor}")
    assert versions_in("npm", call(registry, metadata("npm", pid))) == ["1.0.0", "1.1.0"]
    assert versions_in("maven", call(registry, metadata("maven", pid))) == ["1.0", "1.1"]
    with sqlite3.connect(registry.data_dir / DATABASE_FILE) as db:
        db.execute("UPDATE packages SET status = 'hidden' WHERE version IN ('1.1.0', '1.0')")
        db.execute("UPDATE package_metadata SET data = json_set(data, '$.deprecated', 'use 1.1.0') WHERE package_id ="
                   " (SELECT id FROM packages WHERE package_type = 'npm' AND version = '1.0.0')")
    packument = call(registry, metadata("npm", pid)).json()
    assert list(packument["versions"]) == ["1.0.0"] and packument["versions"]["1.0.0"]["deprecated"] == "use 1.1.0"
    assert versions_in("maven", call(registry, metadata("maven", pid))) == ["1.1"]


# --- the cache itself -----------------------------------------------------------------------------------------


def rendered(size: int) -> Rendered:
    return Rendered(200, (), b"x" * size)


def test_the_cache_is_an_lru_bounded_by_entries_and_bytes() -> None:
    cache = MetadataCache(max_entries=2, max_bytes=10_000)
    cache.put("a", (1,), rendered(10))
    cache.put("b", (1,), rendered(10))
    assert cache.get("a", (1,)) is not None  # a is now the most recent
    cache.put("c", (1,), rendered(10))
    assert cache.get("b", (1,)) is None and cache.get("a", (1,)) is not None and len(cache) == 2
    by_bytes = MetadataCache(max_entries=100, max_bytes=10_000)
    for key in range(6):
        by_bytes.put(key, (1,), rendered(2_000))
    assert by_bytes.bytes == 10_000 and by_bytes.get(0, (1,)) is None and by_bytes.get(5, (1,)) is not None
    by_bytes.put("huge", (1,), rendered(5_000))  # over a quarter of the budget: never cached
    assert by_bytes.get("huge", (1,)) is None


def test_a_changed_revision_is_a_miss_and_drops_the_entry() -> None:
    cache = MetadataCache()
    cache.put("doc", (1, 7), rendered(10))
    assert cache.get("doc", (1, 8)) is None and len(cache) == 0 and cache.bytes == 0


def test_the_cache_is_safe_under_threads() -> None:
    cache = MetadataCache(max_entries=50, max_bytes=1 << 20)
    errors: list[BaseException] = []

    def churn(seed: int) -> None:
        try:
            for i in range(2_000):
                key = (seed * i) % 97
                cache.put(key, (i % 3,), rendered(key))
                found = cache.get(key, (i % 3,))
                assert found is None or found.body == b"x" * key
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=churn, args=(seed,)) for seed in range(1, 9)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors and len(cache) <= 50
    assert cache.bytes == sum(len(entry[1].body) for entry in cache._entries.values())


# --- faults ---------------------------------------------------------------------------------------------------


def timed(registry: Registry, spec: RequestSpec) -> tuple[requests.Response, float]:
    began = time.monotonic()
    answer = call(registry, spec)
    return answer, time.monotonic() - began


def test_slow_metadata_delays_every_metadata_answer_and_nothing_else(start: Callable[..., Registry]) -> None:
    world = base.make_world(start(faults=frozenset({Fault.SLOW_METADATA})))
    registry, pid = world.registry, world.project["id"]
    for format_name in ("npm", "pypi", "maven", "generic"):
        publish(registry, format_name, pid, "1.0" if format_name == "maven" else "1.0.0")
        for _ in range(2):  # cached or not
            answer, elapsed = timed(registry, metadata(format_name, pid))
            assert answer.status_code == 200 and elapsed >= SLOW_METADATA_SECONDS, (format_name, elapsed)
    slow = threading.Thread(target=call, args=(registry, metadata("npm", pid)))
    slow.start()
    time.sleep(0.1)
    answer, elapsed = timed(registry, npm.download(pid, NPM_NAME, "1.0.0"))  # while the packument waits
    slow.join()
    assert answer.status_code == 200 and elapsed < SLOW_METADATA_SECONDS / 2


def comparable(registry: Registry, format_name: str, answer: requests.Response) -> Any:
    """A metadata answer without what differs between two servers (their address, timestamps)."""
    assert answer.status_code == 200, answer.text
    text = answer.text.replace(registry.url, "http://server")
    if format_name == "maven":
        return re.sub(r"<lastUpdated>\d+</lastUpdated>", "", text)
    if format_name == "generic":
        return [{k: v for k, v in item.items() if k != "created_at"} for item in json.loads(text)]
    return text


def test_metadata_n_plus_one_builds_the_same_documents(start: Callable[..., Registry],
                                                       apps: list[Starlette]) -> None:
    worlds = [base.make_world(start()), base.make_world(start(faults=frozenset({Fault.METADATA_N_PLUS_ONE})))]
    answers: list[list[Any]] = []
    for world in worlds:
        registry, pid = world.registry, world.project["id"]
        seen = []
        for minor in range(12):
            for format_name in ("npm", "pypi", "maven", "generic"):
                publish(registry, format_name, pid, f"1.{minor}" if format_name == "maven" else f"1.{minor}.0",
                        seed=minor)
        for format_name in ("npm", "pypi", "maven", "generic"):
            answer = call(registry, metadata(format_name, pid))
            assert len(versions_in(format_name, answer)) == 12
            seen.append(comparable(registry, format_name, answer))
        seen.append(comparable(registry, "pypi", call(registry, pypi.simple_package(pid, NAMES["pypi"], json=True))))
        answers.append(seen)
    assert answers[0] == answers[1]
    assert len(cache_of(apps[1])) == 0  # the fault bypasses the cache
