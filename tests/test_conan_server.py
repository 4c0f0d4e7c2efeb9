"""The reference server's Conan API over HTTP, as GitLab's Conan APIs and their specs have it: raw PUT uploads of
each file by revision (Conan 2) or revision `0` (Conan 1), the JWT `users/authenticate` issues and the Bearer that
carries it, Basic for tokens, refusals (anonymous, user and channel, the size limit), newest file served, the recipe
search and its fault, Conan 1's upload and download URLs.

Servers come from tests/test_reference_server.py's fixtures (`start`, `registry`, `world`).
"""

import base64
from typing import Any

import requests
import test_reference_server as base

from core.credentials import auth_headers
from core.format_types import RequestSpec
from core.vocabulary import AuthScheme, CredentialCase
from formats.conan import OPERATIONS
from reference_server import Fault

start = base.start
registry = base.registry
world = base.world
World = base.World
PAT = CredentialCase.PERSONAL_ACCESS_TOKEN


def owner(world: World) -> dict[str, str]:
    return auth_headers(world.credential(PAT), AuthScheme.BASIC)


def send(world: World, spec: RequestSpec, headers: dict[str, str] | None = None) -> requests.Response:
    body = b"".join(spec.body) if spec.body is not None and not isinstance(spec.body, bytes) else spec.body
    return requests.request(spec.method, world.registry.url + spec.path, params=spec.params, data=body,
                            headers={**spec.headers, **(owner(world) if headers is None else headers)}, timeout=30)


def publish(world: World, name: str, version: str, seed: int, hint: str = "x", size: int = 3000) -> Any:
    recipe = OPERATIONS.artifact(name, version, hint, size, seed)
    OPERATIONS.prepare(world.project["id"], name, version, recipe)
    for spec in OPERATIONS.push(world.project["id"], name, version, recipe):
        answer = send(world, spec)
        assert answer.status_code == 200, (spec.path, answer.text)
    return recipe


def v2(world: World, rest: str) -> str:
    return f"{world.registry.url}/api/v4/projects/{world.project['id']}/packages/conan/v2/{rest}"


def test_a_published_recipe_is_served_listed_and_its_revision_is_the_latest(world: World) -> None:
    recipe = publish(world, "hello", "1.0.0", 1)
    pull = send(world, OPERATIONS.pull(world.project["id"], "hello", "1.0.0", "conan_export.tgz"))
    assert pull.status_code == 200 and pull.content == b"".join(recipe.chunks())
    latest = requests.get(v2(world, "conans/hello/1.0.0/_/_/latest"), headers=owner(world), timeout=10)
    assert latest.json()["revision"] == recipe.recipe_revision
    files = requests.get(v2(world, f"conans/hello/1.0.0/_/_/revisions/{recipe.recipe_revision}/files"),
                         headers=owner(world), timeout=10)
    assert set(files.json()["files"]) == {"conan_export.tgz", "conanfile.py", "conanmanifest.txt"}
    found = send(world, OPERATIONS.metadata(world.project["id"], "hello"))
    assert found.json() == {"results": ["hello/1.0.0@_/_"]}
    listed = requests.get(f"{world.registry.url}/api/v4/projects/{world.project['id']}/packages",
                          params={"package_type": "conan"}, headers={"PRIVATE-TOKEN": world.tokens[PAT]}, timeout=10)
    assert [(p["name"], p["version"]) for p in listed.json()] == [("hello", "1.0.0")]


def test_the_jwt_from_authenticate_is_read_as_bearer_and_a_raw_bearer_is_not(world: World) -> None:
    jwt = requests.get(v2(world, "users/authenticate"), headers=owner(world), timeout=10)
    assert jwt.status_code == 200 and jwt.text.count(".") == 2
    bearer = {"Authorization": f"Bearer {jwt.text}"}
    recipe = OPERATIONS.artifact("viajwt", "1.0.0", "x", 2000, 3)
    spec = OPERATIONS.push(world.project["id"], "viajwt", "1.0.0", recipe)[0]
    assert send(world, spec, bearer).status_code == 200
    assert requests.get(v2(world, "users/check_credentials"), headers=bearer, timeout=10).status_code == 200
    raw = {"Authorization": f"Bearer {world.tokens[PAT]}"}
    assert send(world, spec, raw).status_code == 401  # a raw token as Bearer leaves the upload anonymous
    assert send(world, spec, {"PRIVATE-TOKEN": world.tokens[PAT]}).status_code == 401  # not read either
    assert requests.get(v2(world, "users/authenticate"), timeout=10).status_code == 401


def test_anonymous_callers_and_refused_references(world: World) -> None:
    recipe = OPERATIONS.artifact("refused", "1.0.0", "x", 2000, 4)
    spec = OPERATIONS.push(world.project["id"], "refused", "1.0.0", recipe)[0]
    answer = send(world, spec, {})
    assert answer.status_code == 401 and "WWW-Authenticate" not in answer.headers  # authenticate_non_get!
    pull = send(world, OPERATIONS.pull(world.project["id"], "refused", "1.0.0", "conan_export.tgz"), {})
    assert pull.status_code == 404  # 'denies download with no token'
    bad_user = spec.path.replace("/_/_/", "/_/stable/")
    assert requests.put(world.registry.url + bad_user, data=b"x", headers=owner(world), timeout=10).json() == {
        "message": "400 Bad request - username can't be solely blank"}
    bad_name = spec.path.replace("/refused/", "/-refused/")
    assert requests.put(world.registry.url + bad_name, data=b"x", headers=owner(world), timeout=10).status_code == 400
    bad_file = spec.path.replace("conan_export.tgz", "evil.sh")
    assert requests.put(world.registry.url + bad_file, data=b"x", headers=owner(world), timeout=10).status_code == 400


def test_duplicates_are_kept_and_the_newest_is_served(world: World) -> None:
    publish(world, "twice", "1.0.0", 5)
    second = publish(world, "twice", "1.0.0", 6)
    pull = send(world, OPERATIONS.pull(world.project["id"], "twice", "1.0.0", "conan_export.tgz"))
    assert pull.content == b"".join(second.chunks())


def test_a_file_over_conans_limit_is_refused_with_413(start: Any) -> None:
    world = base.make_world(start(size_limits={"conan": 4096}))
    recipe = OPERATIONS.artifact("big", "1.0.0", "x", 4097, 7)
    answer = send(world, OPERATIONS.push(world.project["id"], "big", "1.0.0", recipe)[0])
    assert answer.status_code == 413  # Workhorse's MaximumSize from the authorize route


def test_conan_1_upload_and_download_urls(world: World) -> None:
    pid = world.project["id"]
    base_v1 = f"{world.registry.url}/api/v4/projects/{pid}/packages/conan/v1/conans/one/1.0.0/_/_"
    assert requests.get(base_v1, headers=owner(world), timeout=10).json() == {}
    urls = requests.post(base_v1 + "/upload_urls", json={"conanfile.py": 10, "conan_export.tgz": 20, "x": 1},
                         headers=owner(world), timeout=10).json()
    assert set(urls) == {"conanfile.py", "conan_export.tgz"}
    assert urls["conanfile.py"].endswith(f"/projects/{pid}/packages/conan/v1/files/one/1.0.0/_/_/0/export/conanfile.py")
    recipe = publish(world, "one", "1.0.0", 8, hint="v1/x")
    digest = requests.get(base_v1 + "/digest", headers=owner(world), timeout=10).json()
    assert list(digest) == ["conanmanifest.txt"]
    downloads = requests.get(base_v1 + "/download_urls", headers=owner(world), timeout=10).json()
    served = requests.get(downloads["conan_export.tgz"], headers=owner(world), timeout=10)
    assert served.content == b"".join(recipe.chunks())
    # Conan 2 sees Conan 1 files as revision `0` (v2 project_packages.rb, v1_recipe_revision_fallback)
    latest = requests.get(v2(world, "conans/one/1.0.0/_/_/latest"), headers=owner(world), timeout=10)
    assert latest.json()["revision"] == "0"


def test_the_search_omits_newest_fault_hides_the_version_just_published(start: Any) -> None:
    world = base.make_world(start(faults=frozenset({Fault.CONAN_SEARCH_OMITS_NEWEST})))
    publish(world, "hidden", "1.0.0", 9)
    publish(world, "hidden", "1.1.0", 10)
    found = send(world, OPERATIONS.metadata(world.project["id"], "hidden")).json()
    assert found == {"results": ["hidden/1.0.0@_/_"]}


def test_basic_with_any_user_name_carries_an_access_token(world: World) -> None:
    token = world.tokens[PAT]
    header = {"Authorization": "Basic " + base64.b64encode(f"anyone:{token}".encode()).decode()}
    assert requests.get(v2(world, "users/authenticate"), headers=header, timeout=10).status_code == 200


def test_the_instance_naming_convention_finds_the_project_by_the_recipes_user(world: World) -> None:
    """`name/version@<project path, + for />/<channel>` at `/api/v4/packages/conan/v1` (conan_instance_packages.rb)."""
    pid = world.project["id"]
    OPERATIONS.remember_path(pid, world.project["path_with_namespace"])
    recipe = publish(world, "inst", "1.0.0", 11, hint="instance/x")
    spec = OPERATIONS.pull(pid, "inst", "1.0.0", "instance/conan_export.tgz")
    assert spec.path == "/api/v4/packages/conan/v1/files/inst/1.0.0/grp%2Bproj/stable/0/export/conan_export.tgz"
    assert send(world, spec).content == b"".join(recipe.chunks())
    assert send(world, spec, {}).status_code == 404  # anonymous, private project
    # `_` as the user names no project at the instance level (check_username_channel: not_found!)
    no_user = spec.path.replace("grp%2Bproj/stable", "_/_")
    assert requests.get(world.registry.url + no_user, headers=owner(world), timeout=10).status_code == 404
    # GitLab's user is conan_recipe_user_channel_regex: 50 characters at most, so a longer project path cannot be named
    long_user = spec.path.replace("grp%2Bproj", "g" * 30 + "%2B" + "p" * 30)
    assert requests.get(world.registry.url + long_user, headers=owner(world), timeout=10).status_code == 400
