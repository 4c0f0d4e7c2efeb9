"""The reference server's Go proxy against a running server, with the cases of GitLab's
spec/requests/api/go_proxy_spec.rb: versions from semver tags with a valid go.mod, subdirectory and /v2 modules,
the zip's `<module>@<version>/` layout without nested modules, .info's commit time, pseudo-versions, case encoding,
the route's authentication, and no Packages API package. Servers come from tests/test_reference_server.py."""

import io
import json
import zipfile
from typing import Any

import test_reference_server as base

from core import project_urls, repository
from core.credentials import Credential
from core.faults import Fault
from core.vocabulary import AuthScheme, CredentialCase, TokenKind
from engine.drivers.http import HttpDriver
from formats.go import OPERATIONS, GoModule
from formats.go.names import module_base, zip_hash

start = base.start
registry = base.registry
world = base.world


def _send(reg: base.Registry, spec: Any, token: str = base.ADMIN_TOKEN) -> Any:
    credential = Credential(CredentialCase.PERSONAL_ACCESS_TOKEN, TokenKind.PERSONAL_ACCESS_TOKEN, token)
    return HttpDriver(reg.url).send(spec, credential, AuthScheme.HEADER)


def _commit(reg: base.Registry, pid: int, branch: str, files: dict[str, bytes], tag: str | None = None) -> str:
    obs = _send(reg, repository.commit_files(pid, branch, f"commit {branch}", files))
    assert obs.status == 201, obs.body_excerpt
    sha = str(obs.json()["id"])
    if tag:
        assert _send(reg, repository.create_tag(pid, tag, sha)).status == 201
    return sha


def _base(world: base.World) -> str:
    project_urls.remember(world.project["id"], world.project["web_url"])
    return module_base(world.project["web_url"])


def _get(reg: base.Registry, path: str, headers: dict[str, str] | None = None) -> Any:
    return reg.call("GET", path, headers if headers is not None else reg.admin)


def _proxy(world: base.World) -> str:
    return f"/api/v4/projects/{world.project['id']}/packages/go/"


def test_a_published_version_is_listed_informed_and_zipped(world: base.World) -> None:
    reg, pid, root = world.registry, world.project["id"], _base(world)
    module = GoModule("lib", "1.0.0", 2048, seed=3)
    for spec in OPERATIONS.prepare(pid, "lib", "1.0.0", module):
        assert _send(reg, spec).status == 201
    assert _get(reg, OPERATIONS.metadata(pid, "lib").path).text == "v1.0.0"
    info = _get(reg, _proxy(world) + f"{root}/lib/@v/v1.0.0.info").json()
    tag = next(t for t in _send(reg, repository.list_tags(pid)).json() if t["name"] == "v1.0.0")
    assert info["Version"] == "v1.0.0"
    assert info["Time"].endswith(".000+00:00") and info["Time"][:19] == tag["commit"]["committed_date"][:19]
    gomod = _get(reg, _proxy(world) + f"{root}/lib/@v/v1.0.0.mod")
    assert gomod.text.split("\n", 1)[0] == f"module {root}/lib"
    answer = _get(reg, OPERATIONS.pull(pid, "lib", "1.0.0", "v1.0.0.zip").path)
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/zip"
    assert 'filename="v1.0.0.zip"' in answer.headers["content-disposition"]
    names = sorted(zipfile.ZipFile(io.BytesIO(answer.content)).namelist())
    assert names == [f"{root}/lib@v1.0.0/go.mod", f"{root}/lib@v1.0.0/lib.go"]
    assert zip_hash(answer.content) == module.hash(root)  # the files committed, whatever the zip's dates
    listed = _send(reg, OPERATIONS.search(pid, "lib"))
    assert listed.status == 200 and listed.json() == []  # GitLab creates no Packages API package for Go


def test_gitlab_spec_layout(world: base.World) -> None:
    """go_proxy_spec.rb's repository: a root module, a package folder, a nested module `mod`, a /v2 module."""
    reg, pid, root = world.registry, world.project["id"], _base(world)
    gomod = f"module {root}\n".encode()
    _commit(reg, pid, "main", {"README.md": b"Hi"}, "v1.0.0")  # no go.mod: not a version
    _send(reg, repository.commit_files(pid, "main", "a", {"go.mod": gomod, "a.go": b"package a\n"}))
    _send(reg, repository.create_tag(pid, "v1.0.1", "main"))
    _send(reg, repository.commit_files(pid, "main", "pkg", {"pkg/b.go": b"package b\n"}))
    _send(reg, repository.create_tag(pid, "v1.0.2", "main"))
    _send(reg, repository.commit_files(pid, "main", "mod", {"mod/go.mod": f"module {root}/mod\n".encode(),
                                                           "mod/a.go": b"package a\n"}))
    _send(reg, repository.create_tag(pid, "v1.0.3", "main"))
    y = _send(reg, repository.commit_files(pid, "main", "y", {"y.go": b"package a\n"})).json()
    _send(reg, repository.commit_files(pid, "main", "v2", {"v2/go.mod": f"module {root}/v2\n".encode(),
                                                          "v2/a.go": b"package a\n"}))
    _send(reg, repository.commit_files(pid, "main", "x", {"v2/x.go": b"package a\n"}))
    _send(reg, repository.create_tag(pid, "v2.0.0", "main"))
    _send(reg, repository.create_tag(pid, "sub/v3.0.0", "main"))  # Go's subdirectory tag prefix: not GitLab's

    def listed(path: str) -> set[str]:
        answer = _get(reg, _proxy(world) + f"{root}{path}/@v/list")
        assert answer.status_code == 200, answer.text
        return set(answer.text.split("\n")) - {""}

    assert listed("") == {"v1.0.1", "v1.0.2", "v1.0.3"}
    assert listed("/pkg") == set() and listed("/mod") == {"v1.0.3"} and listed("/v2") == {"v2.0.0"}
    assert _get(reg, _proxy(world) + f"{root}/%2E%2E%2Fxyz/@v/list").status_code == 404

    def entries(path: str, version: str) -> set[str]:
        answer = _get(reg, _proxy(world) + f"{root}{path}/@v/{version}.zip")
        assert answer.status_code == 200, answer.text
        prefix = f"{root}{path}@{version}/"
        names = zipfile.ZipFile(io.BytesIO(answer.content)).namelist()
        assert all(n.startswith(prefix) for n in names)
        return {n[len(prefix):] for n in names}

    assert entries("", "v1.0.3") == {"README.md", "go.mod", "a.go", "pkg/b.go"}  # the nested module left out
    assert entries("/mod", "v1.0.3") == {"go.mod", "a.go"}
    assert entries("/v2", "v2.0.0") == {"go.mod", "a.go", "x.go"}
    assert _get(reg, _proxy(world) + f"{root}/pkg/@v/v1.0.3.info").status_code == 404  # invalid path
    assert _get(reg, _proxy(world) + f"{root}/mod/@v/v1.0.1.info").status_code == 404  # no mod/go.mod then
    assert _get(reg, _proxy(world) + f"{root}/@v/v2.0.0+incompatible.info").status_code == 404
    # a pseudo-version of the commit after v1.0.3: its time and a 12-character prefix
    stamp = y["committed_date"][:19].replace("-", "").replace("T", "").replace(":", "")
    good = f"v1.0.4-0.{stamp}-{y['id'][:12]}"
    info = _get(reg, _proxy(world) + f"{root}/@v/{good}.info")
    assert info.status_code == 200 and info.json()["Version"] == good
    for bad in (f"v1.0.4-0.00000000000000-{y['id'][:12]}", f"v1.0.4-0.{stamp}-000000000000",
                f"v1.0.4-0.{stamp}-{y['id'][:11]}"):
        assert _get(reg, _proxy(world) + f"{root}/@v/{bad}.info").status_code == 404, bad


def test_case_encoded_paths_and_versions(start: Any) -> None:
    reg = start()
    group = reg.group("grp")
    project = reg.create("/api/v4/projects", {"name": "MyGoLib", "path": "MyGoLib", "namespace_id": group["id"],
                                              "visibility": "public"})
    project_urls.remember(project["id"], project["web_url"])
    root = module_base(project["web_url"])
    pid = project["id"]
    _commit(reg, pid, "a", {"go.mod": f"module {root}\n".encode(), "a.go": b"package a\n"}, "v1.0.1-prerelease")
    _commit(reg, pid, "b", {"go.mod": f"module {root}\n".encode(), "a.go": b"package b\n"}, "v1.0.1-Prerelease")
    proxy = f"/api/v4/projects/{pid}/packages/go/"
    assert root.endswith("/grp/MyGoLib")
    encoded = root.replace("MyGoLib", "!my!go!lib")
    answer = reg.call("GET", proxy + f"{encoded}/@v/list")
    assert set(answer.text.split("\n")) == {"v1.0.1-prerelease", "v1.0.1-Prerelease"}
    assert reg.call("GET", proxy + f"{root.lower()}/@v/list").status_code == 404
    assert reg.call("GET", proxy + f"{encoded}/@v/v1.0.1-!prerelease.info").json()["Version"] == "v1.0.1-Prerelease"


def test_authentication_is_the_go_proxy_routes(world: base.World) -> None:
    """go_proxy.rb: job tokens (header, Bearer, not Basic), access tokens over Basic, no deploy tokens; anonymous on
    a private project 401 without a challenge; a missing project 401 anonymous, 404 with a user."""
    reg, pid, root = world.registry, world.project["id"], _base(world)
    for spec in OPERATIONS.prepare(pid, "lib", "1.0.0", GoModule("lib", "1.0.0", 100)):
        _send(reg, spec)
    path = OPERATIONS.metadata(pid, "lib").path
    pat, job = world.tokens[CredentialCase.PERSONAL_ACCESS_TOKEN], world.tokens[CredentialCase.JOB_TOKEN]
    deploy = world.tokens[CredentialCase.PROJECT_DEPLOY_TOKEN]
    assert _get(reg, path, {}).status_code == 401 and "www-authenticate" not in _get(reg, path, {}).headers
    assert reg.http.get(reg.url + path, auth=("anyone", pat), timeout=30).status_code == 200
    assert _get(reg, path, {"JOB-TOKEN": job}).status_code == 200
    assert _get(reg, path, {"Authorization": f"Bearer {job}"}).status_code == 200
    assert reg.http.get(reg.url + path, auth=("gitlab-ci-token", job), timeout=30).status_code == 401
    assert _get(reg, path, {"DEPLOY-TOKEN": deploy}).status_code == 401
    missing = f"/api/v4/projects/999999/packages/go/{root}/lib/@v/list"
    assert _get(reg, missing, {}).status_code == 401 and _get(reg, missing, {"PRIVATE-TOKEN": pat}).status_code == 404


def test_faults_break_what_they_name(start: Any) -> None:
    reg = start(faults=frozenset({Fault.GO_LIST_NEWEST_ONLY, Fault.GO_ZIP_NO_PREFIX}))
    group = reg.group("grp")
    project = reg.project(group["id"], "proj")
    project_urls.remember(project["id"], project["web_url"])
    pid, root = project["id"], module_base(project["web_url"])
    for version in ("1.0.0", "1.1.0"):
        for spec in OPERATIONS.prepare(pid, "lib", version, GoModule("lib", version, 100)):
            assert _send(reg, spec).status == 201
    assert reg.call("GET", OPERATIONS.metadata(pid, "lib").path, reg.admin).text.count("v1.") == 1
    data = reg.call("GET", OPERATIONS.pull(pid, "lib", "1.0.0", "v1.0.0.zip").path, reg.admin).content
    assert zip_hash(data) != GoModule("lib", "1.0.0", 100).hash(root)
    assert json.dumps(zipfile.ZipFile(io.BytesIO(data)).namelist()) == '["go.mod", "lib.go"]'
