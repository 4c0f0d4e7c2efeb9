"""The reference server: provisioning, auth, the Generic packages API, the Packages API, limits and restart.

Every test runs a real uvicorn on 127.0.0.1 with a free port in a background thread (`running_server`), with its
data directory under `tmp_path`, so the tests are xdist-safe.
"""

import base64
import hashlib
import os
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from starlette.routing import Route

from core import packages_api, provisioning_api
from core.credentials import ANONYMOUS, Credential, auth_headers
from core.discovery import subpackages
from core.permissions import expected_for, token_kind_of
from core.vocabulary import (
    READ_PACKAGE_REGISTRY,
    WRITE_PACKAGE_REGISTRY,
    AuthScheme,
    CredentialCase,
    Operation,
    TokenKind,
)
from formats import FORMATS
from formats.generic import DOWNLOAD, UPLOAD, GeneratedFile
from reference_server import Fault, ServerSettings, create_app, formats, running_server
from reference_server.app import DATABASE_FILE, format_routes
from reference_server.auth import new_token
from reference_server.db import SWITCHABLE_DUPLICATES, Database

ADMIN_TOKEN = new_token(TokenKind.PERSONAL_ACCESS_TOKEN)
DEPLOY_SCOPES = [READ_PACKAGE_REGISTRY, WRITE_PACKAGE_REGISTRY]
YESTERDAY = (datetime.now(UTC).date() - timedelta(days=1)).isoformat()
NEXT_YEAR = (datetime.now(UTC).date() + timedelta(days=365)).isoformat()


class Registry:
    """A thin client for one running reference server, provisioning through its GitLab REST API."""

    def __init__(self, url: str, data_dir: Path) -> None:
        self.url = url
        self.data_dir = data_dir
        self.http = requests.Session()
        self.admin = {"PRIVATE-TOKEN": ADMIN_TOKEN}

    def call(self, method: str, path: str, headers: dict[str, str] | None = None, **kwargs: Any) -> requests.Response:
        return self.http.request(method, self.url + path, headers=headers, timeout=30, **kwargs)

    def create(self, path: str, payload: dict[str, Any]) -> dict[str, Any]:
        response = self.call("POST", path, self.admin, json=payload)
        assert response.status_code == 201, response.text
        return response.json()

    def group(self, path: str = "grp", parent_id: int | None = None) -> dict[str, Any]:
        return self.create("/api/v4/groups", {"name": path.upper(), "path": path, "parent_id": parent_id})

    def project(self, group_id: int, path: str = "proj", visibility: str = "private") -> dict[str, Any]:
        return self.create("/api/v4/projects", {"name": path, "namespace_id": group_id, "visibility": visibility})

    def pat(self, scopes: list[str] | None = None, expires_at: str | None = None) -> dict[str, Any]:
        return self.create("/api/v4/users/1/personal_access_tokens",
                           {"name": "pat", "scopes": scopes or ["api"], "expires_at": expires_at})

    def project_token(self, project_id: int, scopes: list[str] | None = None, level: int = 40) -> dict[str, Any]:
        return self.create(f"/api/v4/projects/{project_id}/access_tokens",
                           {"name": "pat", "scopes": scopes or ["api"], "access_level": level,
                            "expires_at": NEXT_YEAR})

    def deploy_token(self, project_id: int, scopes: list[str] | None = None) -> dict[str, Any]:
        return self.create(f"/api/v4/projects/{project_id}/deploy_tokens",
                           {"name": "deploy", "scopes": scopes or DEPLOY_SCOPES})

    def group_deploy_token(self, group_id: int, scopes: list[str] | None = None) -> dict[str, Any]:
        return self.create(f"/api/v4/groups/{group_id}/deploy_tokens",
                           {"name": "deploy", "scopes": scopes or DEPLOY_SCOPES})

    def job(self, project_id: int) -> dict[str, Any]:
        return self.create(f"/-/reference/projects/{project_id}/jobs", {})

    def set_duplicates(self, namespace_path: str, allowed: bool, regex: str = "") -> dict[str, Any]:
        query = "mutation($input: UpdateNamespacePackageSettingsInput!) { updateNamespacePackageSettings(input: " \
                "$input) { packageSettings { genericDuplicatesAllowed genericDuplicateExceptionRegex } errors } }"
        variables = {"input": {"namespacePath": namespace_path, "genericDuplicatesAllowed": allowed,
                               "genericDuplicateExceptionRegex": regex}}
        response = self.call("POST", "/api/graphql", self.admin, json={"query": query, "variables": variables})
        assert response.status_code == 200, response.text
        return response.json()

    def put(self, project_id: int | str, file_name: str = "file.bin", data: Any = b"data",
            headers: dict[str, str] | None = None, name: str = "pkg", version: str = "1.0",
            **params: str) -> requests.Response:
        path = UPLOAD.url_path(project_id=project_id, package_name=name, package_version=version, file_name=file_name)
        return self.call("PUT", path, self.admin if headers is None else headers, data=data, params=params)

    def get(self, project_id: int | str, file_name: str = "file.bin", headers: dict[str, str] | None = None,
            name: str = "pkg", version: str = "1.0") -> requests.Response:
        path = DOWNLOAD.url_path(project_id=project_id, package_name=name, package_version=version,
                                 file_name=file_name)
        return self.call("GET", path, self.admin if headers is None else headers)

    def packages(self, project_id: int | str, headers: dict[str, str] | None = None,
                 **params: Any) -> requests.Response:
        return self.call("GET", packages_api.LIST.url_path(project_id=project_id),
                         self.admin if headers is None else headers, params=params)

    def files(self, project_id: int, package_id: int) -> list[dict[str, Any]]:
        path = packages_api.PACKAGE_FILES.url_path(project_id=project_id, package_id=package_id)
        response = self.call("GET", path, self.admin)
        assert response.status_code == 200, response.text
        return response.json()

    def stored_files(self) -> list[Path]:
        return [p for p in (self.data_dir / "packages").rglob("*") if p.is_file()]


@dataclass
class World:
    """A group with a subgroup, a private project in each, another project, and a token of every kind."""

    registry: Registry
    group: dict[str, Any]
    project: dict[str, Any]
    sub_project: dict[str, Any]
    other_project: dict[str, Any]
    tokens: dict[CredentialCase, str] = field(default_factory=dict)

    def credential(self, case: CredentialCase) -> Credential:
        if case is CredentialCase.ANONYMOUS:
            return ANONYMOUS
        return Credential(case, token_kind_of(case), self.tokens[case])

    def headers(self, case: CredentialCase, scheme: AuthScheme = AuthScheme.HEADER) -> dict[str, str]:
        return auth_headers(self.credential(case), scheme)


@pytest.fixture
def start(tmp_path: Path) -> Iterator[Callable[..., Registry]]:
    """Start a reference server (several per test are fine); each stops at the end of the test."""
    with ExitStack() as stack:
        def start_one(data_dir: Path | None = None, **settings: Any) -> Registry:
            data_dir = data_dir or tmp_path / f"data-{len(stack._exit_callbacks)}"
            url = stack.enter_context(running_server(ServerSettings(data_dir=data_dir, admin_token=ADMIN_TOKEN,
                                                                    **settings)))
            return Registry(url, data_dir)
        yield start_one


@pytest.fixture
def registry(start: Callable[..., Registry]) -> Registry:
    return start()


def make_world(registry: Registry) -> World:
    group = registry.group("grp")
    sub = registry.group("sub", parent_id=group["id"])
    project = registry.project(group["id"], "proj")
    world = World(registry, group, project, registry.project(sub["id"], "subproj"),
                  registry.project(group["id"], "other"))
    pid = project["id"]
    revoked = registry.pat()
    assert registry.call("DELETE", f"/api/v4/personal_access_tokens/{revoked['id']}", registry.admin).status_code == 204
    world.tokens = {
        CredentialCase.PERSONAL_ACCESS_TOKEN: registry.pat()["token"],
        CredentialCase.PROJECT_ACCESS_TOKEN: registry.project_token(pid)["token"],
        CredentialCase.PROJECT_DEPLOY_TOKEN: registry.deploy_token(pid)["token"],
        CredentialCase.GROUP_DEPLOY_TOKEN: registry.group_deploy_token(group["id"])["token"],
        CredentialCase.JOB_TOKEN: registry.job(pid)["token"],
        CredentialCase.REVOKED_TOKEN: revoked["token"],
        CredentialCase.EXPIRED_TOKEN: registry.pat(expires_at=YESTERDAY)["token"],
        CredentialCase.OTHER_PROJECT_TOKEN: registry.project_token(world.other_project["id"])["token"],
        CredentialCase.READ_ONLY_DEPLOY_TOKEN: registry.deploy_token(pid, [READ_PACKAGE_REGISTRY])["token"],
    }
    return world


@pytest.fixture
def world(registry: Registry) -> World:
    return make_world(registry)


def raw_first_line(url: str, head: str, body: bytes | None = None, read_interim: bool = False) -> list[str]:
    """Send a request head by hand; the status lines received (the 100 interim one too, when asked)."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(head.encode())
        data = sock.recv(65536)
        lines = [data.split(b"\r\n", 1)[0].decode()]
        if read_interim and lines[0].startswith("HTTP/1.1 100") and body is not None:
            sock.sendall(body)
            rest = data.split(b"\r\n\r\n", 1)[1] or sock.recv(65536)
            lines.append(rest.split(b"\r\n", 1)[0].decode())
    return lines


def expect_head(path: str, headers: dict[str, str], length: int) -> str:
    lines = [f"PUT {path} HTTP/1.1", "Host: localhost", f"Content-Length: {length}", "Expect: 100-continue",
             *(f"{k}: {v}" for k, v in headers.items())]
    return "\r\n".join(lines) + "\r\n\r\n"


class SizedBody:
    """A generated body that requests streams with a Content-Length (it has a length and iterates in chunks)."""

    def __init__(self, artifact: GeneratedFile) -> None:
        self.artifact = artifact

    def __len__(self) -> int:
        return self.artifact.size

    def __iter__(self) -> Iterator[bytes]:
        return self.artifact.chunks()


# Provisioning


def test_provisioning_round_trip(registry: Registry) -> None:
    user = registry.call("GET", "/api/v4/user", registry.admin).json()
    assert user == {**user, "id": 1, "username": "root", "is_admin": True}
    group = registry.group("team")
    assert group == {**group, "name": "TEAM", "path": "team", "full_path": "team", "parent_id": None,
                     "visibility": "private"}
    sub = registry.group("libs", parent_id=group["id"])
    assert sub["full_path"] == "team/libs"
    project = registry.project(sub["id"], "tool")
    assert project["path_with_namespace"] == "team/libs/tool"
    assert project["namespace"] == {**project["namespace"], "id": sub["id"], "full_path": "team/libs"}
    by_path = registry.call("GET", "/api/v4/projects/team%2Flibs%2Ftool", registry.admin)
    assert by_path.status_code == 200 and by_path.json()["id"] == project["id"]
    assert registry.call("GET", f"/api/v4/groups/{sub['id']}", registry.admin).json()["full_path"] == "team/libs"

    pat = registry.pat(["api"], expires_at=NEXT_YEAR)
    assert pat == {**pat, "name": "pat", "scopes": ["api"], "expires_at": NEXT_YEAR, "revoked": False,
                   "active": True}
    assert pat["token"].startswith("glpat-") and len(pat["token"]) >= 20
    project_token = registry.project_token(project["id"], ["read_api"], level=30)
    assert project_token["access_level"] == 30 and project_token["user_id"] != 1
    deploy = registry.deploy_token(project["id"])
    assert deploy["token"].startswith("gldt-") and deploy["username"].startswith("gitlab+deploy-token-")
    assert deploy == {**deploy, "revoked": False, "expired": False, "expires_at": None, "scopes": DEPLOY_SCOPES}
    group_deploy = registry.group_deploy_token(group["id"])
    job = registry.job(project["id"])
    assert job == {**job, "status": "running", "project_id": project["id"]} and job["token"].startswith("glcbt-")

    assert registry.call("DELETE", f"/api/v4/projects/{project['id']}/access_tokens/{project_token['id']}",
                         registry.admin).status_code == 204
    assert registry.call("DELETE", f"/api/v4/projects/{project['id']}/deploy_tokens/{deploy['id']}",
                         registry.admin).status_code == 204
    assert registry.call("DELETE", f"/api/v4/groups/{group['id']}/deploy_tokens/{group_deploy['id']}",
                         registry.admin).status_code == 204
    assert registry.call("DELETE", f"/api/v4/personal_access_tokens/{pat['id']}", registry.admin).status_code == 204
    for token in (pat, project_token):
        assert registry.call("GET", "/api/v4/user", {"PRIVATE-TOKEN": token["token"]}).status_code == 401

    assert registry.put(project["id"]).status_code == 201
    assert registry.stored_files()
    assert registry.call("DELETE", f"/api/v4/groups/{group['id']}", registry.admin).status_code == 202
    assert registry.call("GET", f"/api/v4/projects/{project['id']}", registry.admin).status_code == 404
    assert registry.call("GET", f"/api/v4/groups/{sub['id']}", registry.admin).status_code == 404
    assert registry.stored_files() == []


def test_provisioning_accepts_form_bodies_and_refuses_bad_input(registry: Registry) -> None:
    response = registry.call("POST", "/api/v4/groups", registry.admin, data={"name": "Form", "path": "form"})
    assert response.status_code == 201
    group_id = response.json()["id"]
    response = registry.call("POST", "/api/v4/users/1/personal_access_tokens", registry.admin,
                             data={"name": "f", "scopes[]": ["api", "read_api"]})
    assert response.status_code == 201 and response.json()["scopes"] == ["api", "read_api"]
    taken = registry.call("POST", "/api/v4/groups", registry.admin, json={"name": "x", "path": "form"})
    assert taken.status_code == 400 and "already been taken" in taken.text
    assert registry.call("POST", "/api/v4/groups", registry.admin, json={"name": "x"}).json() == {
        "error": "path is missing"}
    bad_scope = registry.call("POST", "/api/v4/users/1/personal_access_tokens", registry.admin,
                              json={"name": "f", "scopes": ["nope"]})
    assert bad_scope.status_code == 400 and "scopes" in bad_scope.text
    assert registry.call("POST", "/api/v4/projects", json={"name": "p", "namespace_id": group_id}).status_code == 401
    read_only = registry.pat(["read_api"])["token"]
    refused = registry.call("POST", "/api/v4/groups", {"PRIVATE-TOKEN": read_only}, json={"name": "a", "path": "a"})
    assert refused.status_code == 403 and refused.json()["error"] == "insufficient_scope"
    bearer = registry.call("GET", "/api/v4/user", {"Authorization": f"Bearer {ADMIN_TOKEN}"})
    assert bearer.status_code == 200


def test_graphql_answers_only_the_package_settings_mutation(registry: Registry) -> None:
    registry.group("grp")
    answer = registry.set_duplicates("grp", False, "^release-")
    assert answer == {"data": {"updateNamespacePackageSettings": {
        "packageSettings": {"genericDuplicatesAllowed": False, "genericDuplicateExceptionRegex": "^release-"},
        "errors": []}}}
    other = registry.call("POST", "/api/graphql", registry.admin, json={"query": "{ currentUser { id } }"})
    assert other.status_code == 200 and other.json()["errors"][0]["message"]
    missing = registry.set_duplicates("no-such-group", False)
    assert missing["data"]["updateNamespacePackageSettings"] is None and missing["errors"]


def test_every_provisioning_endpoint_is_routed_as_declared(tmp_path: Path) -> None:
    """The GitLab client and the server share core/provisioning_api.py: each endpoint there is a route here."""
    app = create_app(ServerSettings(tmp_path))
    routes = [route for route in app.routes if isinstance(route, Route)]
    routed = {(method, route.path) for route in routes for method in route.methods or ()}
    declared = [value for value in vars(provisioning_api).values() if isinstance(value, provisioning_api.ApiEndpoint)]
    assert len(declared) >= 18
    assert all((endpoint.method, endpoint.path) in routed for endpoint in declared)


def test_formats_are_discovered_and_routed_before_the_packages_api(tmp_path: Path) -> None:
    app = create_app(ServerSettings(tmp_path))
    paths = [getattr(route, "path", "") for route in app.routes]
    assert {package.__name__.rsplit(".", 1)[1] for package in subpackages(formats)} == set(FORMATS)
    ours = [getattr(route, "path", "") for route in format_routes()]
    assert paths[1:1 + len(ours)] == ours  # after /-/metrics, before the Packages API
    assert paths.index(packages_api.LIST.path) == 1 + len(ours)


def test_a_format_folder_outside_the_repository_is_routed(tmp_path: Path) -> None:
    """`HARNESS_FORMAT_DIRS` adds `<dir>/reference_server/formats/<name>/`: its ROUTES join the app's."""
    folder = tmp_path / "team" / "reference_server" / "formats" / "demo"
    folder.mkdir(parents=True)
    (folder / "__init__.py").write_text(
        "from starlette.responses import PlainTextResponse\n"
        "from starlette.routing import Route\n\n\n"
        "async def hello(request):\n"
        "    return PlainTextResponse('demo')\n\n\n"
        "ROUTES = [Route('/api/v4/projects/{project_id}/packages/demo/hello', hello, methods=['GET'])]\n")
    program = "from reference_server.app import format_routes; print([r.path for r in format_routes()])"
    env = {**os.environ, "HARNESS_FORMAT_DIRS": str(tmp_path / "team")}
    result = subprocess.run([sys.executable, "-c", program], env=env, capture_output=True, text=True, check=True,
                            cwd=Path(__file__).resolve().parents[1])
    assert "/api/v4/projects/{project_id}/packages/demo/hello" in result.stdout


def test_switchable_duplicate_settings_come_from_the_formats(tmp_path: Path) -> None:
    assert SWITCHABLE_DUPLICATES == tuple(name for name, fmt in FORMATS.items() if fmt.rules.duplicates.switchable)
    assert {"generic", "maven", "nuget"} <= set(SWITCHABLE_DUPLICATES)  # each switchable format adds its columns
    old = sqlite3.connect(tmp_path / DATABASE_FILE)  # a data directory from a server that knew Generic's only
    old.executescript("CREATE TABLE namespaces (id INTEGER PRIMARY KEY);"
                      "CREATE TABLE package_settings (namespace_id INTEGER PRIMARY KEY REFERENCES namespaces(id),"
                      " generic_duplicates_allowed INTEGER NOT NULL DEFAULT 1,"
                      " generic_duplicate_exception_regex TEXT NOT NULL DEFAULT '');"
                      "INSERT INTO namespaces (id) VALUES (7);"
                      "INSERT INTO package_settings VALUES (7, 0, '^rc-');")
    old.commit()
    old.close()
    db = Database(tmp_path / DATABASE_FILE)
    try:
        row = db.package_settings(7)
        assert row is not None
        assert (row["generic_duplicates_allowed"], row["generic_duplicate_exception_regex"]) == (0, "^rc-")
        assert (row["maven_duplicates_allowed"], row["maven_duplicate_exception_regex"]) == (1, "")
    finally:
        db.close()


def test_unknown_route_is_a_json_404(registry: Registry) -> None:
    response = registry.call("GET", "/api/v4/nothing-here")
    assert response.status_code == 404 and response.json() == {"message": "404 Not Found"}


# Auth


def test_every_answer_agrees_with_the_permission_table(world: World) -> None:
    """Each credential case and scheme, on upload, download, list and delete, gets the table's answer."""
    registry, pid = world.registry, world.project["id"]
    assert registry.put(pid, "seed.bin").status_code == 201
    mismatches = []
    endpoints = [(UPLOAD, Operation.PUSH), (DOWNLOAD, Operation.PULL), (packages_api.LIST, Operation.LIST),
                 (packages_api.DELETE_PACKAGE, Operation.DELETE)]
    for case in CredentialCase:
        schemes = [AuthScheme.NONE] if case is CredentialCase.ANONYMOUS else \
            [AuthScheme.HEADER, AuthScheme.BASIC, AuthScheme.BEARER]
        for scheme in schemes:
            for endpoint, operation in endpoints:
                expected = expected_for(case, operation, endpoint.auth, scheme)
                headers = world.headers(case, scheme)
                if operation is Operation.PUSH:
                    response = registry.put(pid, "f.bin", headers=headers, name=f"p-{case.value}")
                elif operation is Operation.PULL:
                    response = registry.get(pid, "seed.bin", headers=headers)
                elif operation is Operation.LIST:
                    response = registry.packages(pid, headers=headers)
                else:
                    victim = registry.put(pid, "v.bin", name="victim", version=f"{case.value}-{scheme.value}",
                                          select="package_file").json()["package_id"]
                    path = packages_api.DELETE_PACKAGE.url_path(project_id=pid, package_id=victim)
                    response = registry.call("DELETE", path, headers)
                want = endpoint.success_status if expected.permitted else expected.status
                challenged = "WWW-Authenticate" in response.headers
                if response.status_code != want or (expected.challenge and not challenged):
                    mismatches.append(f"{case.value}/{scheme.value}/{endpoint.name}: {response.status_code} "
                                      f"{response.text[:80]}, want {want} ({expected.reason})")
    assert not mismatches, "\n".join(mismatches)


def test_refusal_bodies_say_what_happened(world: World) -> None:
    registry, pid = world.registry, world.project["id"]
    anonymous = registry.get(pid, headers={})
    assert anonymous.status_code == 401 and anonymous.json() == {"message": "401 Unauthorized"}
    assert anonymous.headers["WWW-Authenticate"] == 'Basic realm="GitLab Packages Registry"'
    listed = registry.packages(pid, headers={})
    assert listed.status_code == 404 and listed.json() == {"message": "404 Project Not Found"}
    other = registry.get(pid, headers=world.headers(CredentialCase.OTHER_PROJECT_TOKEN))
    assert other.status_code == 404 and other.json() == {"message": "404 Project Not Found"}
    read_only = registry.put(pid, headers=world.headers(CredentialCase.READ_ONLY_DEPLOY_TOKEN))
    assert read_only.status_code == 403 and read_only.json() == {"message": "403 Forbidden"}
    unknown = registry.get(pid, headers={"PRIVATE-TOKEN": "glpat-not-a-real-token-at-all"})
    assert unknown.status_code == 401
    wrong_header = registry.get(pid, headers={"PRIVATE-TOKEN": world.tokens[CredentialCase.PROJECT_DEPLOY_TOKEN]})
    assert wrong_header.status_code == 401


def test_basic_auth_reads_a_job_token_only_as_gitlab_ci_token(world: World) -> None:
    """GitLab reads a job token from Basic only with the user name `gitlab-ci-token` and only where the route
    allows it (Generic download, not upload); an access token goes with any user name."""
    job = world.tokens[CredentialCase.JOB_TOKEN]
    pid = world.project["id"]
    world.registry.put(pid, "seed.bin", headers=world.headers(CredentialCase.PERSONAL_ACCESS_TOKEN))

    def basic(user: str, token: str) -> dict[str, str]:
        return {"Authorization": "Basic " + base64.b64encode(f"{user}:{token}".encode()).decode()}
    assert world.registry.get(pid, "seed.bin", headers=basic("gitlab-ci-token", job)).status_code == 200
    for user in ("anything", ""):  # not read: the request is anonymous, a private project answers 401
        assert world.registry.get(pid, "seed.bin", headers=basic(user, job)).status_code == 401
    assert world.registry.put(pid, headers=basic("gitlab-ci-token", job)).status_code == 401  # upload: never Basic
    pat = world.tokens[CredentialCase.PERSONAL_ACCESS_TOKEN]
    for user in ("gitlab-ci-token", "anything", ""):
        assert world.registry.put(pid, f"p-{user or 'none'}.bin", headers=basic(user, pat)).status_code == 201


def test_group_deploy_token_reaches_subgroup_projects(world: World) -> None:
    headers = world.headers(CredentialCase.GROUP_DEPLOY_TOKEN, AuthScheme.BASIC)
    assert world.registry.put(world.sub_project["id"], headers=headers).status_code == 201
    assert world.registry.get(world.sub_project["id"], headers=headers).status_code == 200


@pytest.mark.parametrize("case", ["revoked", "expired", "finished_job", "deleted_deploy"])
def test_dead_tokens_are_401(world: World, case: str) -> None:
    registry, pid = world.registry, world.project["id"]
    if case == "revoked":
        headers = world.headers(CredentialCase.REVOKED_TOKEN)
    elif case == "expired":
        headers = world.headers(CredentialCase.EXPIRED_TOKEN)
        today = registry.pat(expires_at=datetime.now(UTC).date().isoformat())["token"]
        assert registry.get(pid, headers={"PRIVATE-TOKEN": today}).status_code == 401
    elif case == "finished_job":
        job = registry.job(pid)
        headers = {"JOB-TOKEN": job["token"]}
        assert registry.put(pid, headers=headers).status_code == 201
        finished = registry.call("POST", f"/-/reference/jobs/{job['id']}/finish", registry.admin)
        assert finished.json() == {"id": job["id"], "status": "success"}
    else:
        deploy = registry.deploy_token(pid)
        headers = {"DEPLOY-TOKEN": deploy["token"]}
        assert registry.call("DELETE", f"/api/v4/projects/{pid}/deploy_tokens/{deploy['id']}",
                             registry.admin).status_code == 204
    assert registry.put(pid, headers=headers).status_code == 401
    assert registry.get(pid, headers=headers).status_code == 401


def test_public_project_is_readable_anonymously(registry: Registry) -> None:
    group = registry.group("pub")
    project = registry.project(group["id"], "open", visibility="public")
    assert registry.put(project["id"]).status_code == 201
    assert registry.get(project["id"], headers={}).status_code == 200
    assert registry.packages(project["id"], headers={}).status_code == 200
    assert registry.put(project["id"], headers={}).status_code == 401


def test_reporter_project_token_reads_but_cannot_publish(world: World) -> None:
    registry, pid = world.registry, world.project["id"]
    reporter = {"PRIVATE-TOKEN": registry.project_token(pid, ["api"], level=20)["token"]}
    assert registry.put(pid).status_code == 201
    assert registry.get(pid, headers=reporter).status_code == 200
    assert registry.put(pid, headers=reporter).status_code == 403


def test_refused_uploads_are_answered_before_100_continue(world: World) -> None:
    registry, pid = world.registry, world.project["id"]
    path = UPLOAD.url_path(project_id=pid, package_name="pkg", package_version="1.0", file_name="f.bin")
    anonymous = raw_first_line(registry.url, expect_head(path, {}, 1000))
    assert anonymous == ["HTTP/1.1 401 Unauthorized"]
    read_only = world.headers(CredentialCase.READ_ONLY_DEPLOY_TOKEN)
    assert raw_first_line(registry.url, expect_head(path, read_only, 1000)) == ["HTTP/1.1 403 Forbidden"]
    too_big = raw_first_line(registry.url, expect_head(path, registry.admin, 6 << 30))
    assert too_big == ["HTTP/1.1 400 Bad Request"]  # GitLab's status ('File is too large'), earlier than GitLab
    accepted = raw_first_line(registry.url, expect_head(path, registry.admin, 4), b"data", read_interim=True)
    assert accepted == ["HTTP/1.1 100 Continue", "HTTP/1.1 201 Created"]


# The Generic packages API


def test_upload_and_download_round_trip(world: World) -> None:
    registry, pid = world.registry, world.project["id"]
    data = b"hello generic"
    created = registry.put(pid, "hello.txt", data)
    assert created.status_code == 201 and created.json() == {"message": "201 Created"}
    selected = registry.put(pid, "hello.txt", data, select="package_file")
    record = selected.json()
    assert record == {**record, "file_name": "hello.txt", "size": len(data), "file_store": 1,
                      "file_sha256": hashlib.sha256(data).hexdigest(), "file_md5": hashlib.md5(data).hexdigest(),
                      "file_sha1": hashlib.sha1(data).hexdigest(), "verification_state": 0, "new_file_path": None}
    assert record["file"]["url"].endswith(f"/packages/{record['package_id']}/files/{record['id']}/hello.txt")
    by_path = registry.get("grp%2Fproj", "hello.txt")
    assert by_path.status_code == 200 and by_path.content == data
    assert by_path.headers["Content-Type"] == "application/octet-stream"
    assert by_path.headers["Content-Length"] == str(len(data))
    missing = registry.get(pid, "nope.txt")
    assert missing.status_code == 404 and missing.json() == {"message": "404 Not Found"}


@pytest.mark.parametrize(("name", "version", "file_name", "params", "field"), [
    ("bad name", "1.0", "f.bin", {}, "package_name"),
    ("pkg", "1.0/../2", "f.bin", {}, "package_version"),
    ("pkg", "1...0", "f.bin", {}, "package_version"),
    ("pkg", "1.0", "f bin", {}, "file_name"),
    ("pkg", "1.0", "f.bin", {"status": "secret"}, "status"),
    ("pkg", "1.0", "f.bin", {"select": "everything"}, "select"),
])
def test_invalid_uploads_are_400_naming_the_rule(registry: Registry, name: str, version: str, file_name: str,
                                                 params: dict[str, str], field: str) -> None:
    project = registry.project(registry.group()["id"])
    response = registry.put(project["id"], file_name, name=name, version=version, **params)
    assert response.status_code == 400, response.text
    assert response.json()["message"].startswith(f"400 Bad request - {field}")
    assert registry.stored_files() == []


def test_most_recent_file_wins_and_duplicates_coexist(world: World) -> None:
    registry, pid = world.registry, world.project["id"]
    for body in (b"first", b"second", b"third"):
        assert registry.put(pid, "same.txt", body).status_code == 201
    assert registry.get(pid, "same.txt").content == b"third"
    package = registry.packages(pid).json()[0]
    assert [f["file_name"] for f in registry.files(pid, package["id"])] == ["same.txt"] * 3


def test_reject_duplicates_with_exceptions(world: World) -> None:
    registry, pid = world.registry, world.project["id"]
    registry.set_duplicates("grp", False, r"-SNAPSHOT$")
    assert registry.put(pid, "a.bin").status_code == 201
    refused = registry.put(pid, "a.bin", b"again")
    assert refused.status_code == 400
    assert refused.json() == {"message": "400 Bad Request - Duplicate package is not allowed"}
    assert registry.get(pid, "a.bin").content == b"data"  # nothing lost
    assert registry.put(pid, "b.bin").status_code == 201  # another file in the same package is fine
    for _ in range(2):
        assert registry.put(pid, "a.bin", version="1.0-SNAPSHOT").status_code == 201
    sub_project = world.sub_project["id"]  # the subgroup inherits its parent's setting
    assert registry.put(sub_project, "a.bin").status_code == 201
    assert registry.put(sub_project, "a.bin").status_code == 400
    registry.set_duplicates("grp", True)
    assert registry.put(pid, "a.bin").status_code == 201


def test_concurrent_uploads_to_a_new_package_make_one_package(world: World) -> None:
    registry, pid = world.registry, world.project["id"]
    barrier = threading.Barrier(16)
    statuses: list[int] = []

    def upload(index: int) -> None:
        session = requests.Session()
        barrier.wait()
        path = UPLOAD.url_path(project_id=pid, package_name="race", package_version="1.0", file_name=f"f{index}.bin")
        statuses.append(session.put(registry.url + path, headers=registry.admin, data=b"x" * 1000, timeout=30)
                        .status_code)

    threads = [threading.Thread(target=upload, args=(i,)) for i in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [201] * 16
    packages = registry.packages(pid, package_name="race").json()
    assert len(packages) == 1
    assert len(registry.files(pid, packages[0]["id"])) == 16


def test_size_limit_refuses_and_stores_nothing(start: Callable[..., Registry]) -> None:
    registry = start(size_limits={"generic": 1000})
    pid = registry.project(registry.group()["id"])["id"]
    declared = registry.put(pid, data=b"x" * 1001)
    assert declared.status_code == 400  # GitLab's generic_packages.rb: bad_request!('File is too large')
    assert declared.json() == {"message": "400 Bad Request - file size 1001 exceeds the generic limit "
                                          "of 1000 bytes"}

    def chunked() -> Iterator[bytes]:
        yield from (b"y" * 400 for _ in range(4))

    streamed = registry.put(pid, data=chunked())
    assert streamed.status_code == 400 and "limit of 1000 bytes" in streamed.text
    assert registry.packages(pid).json() == []
    assert registry.stored_files() == [] and list((registry.data_dir / "tmp").iterdir()) == []
    assert registry.put(pid, data=b"x" * 1000).status_code == 201


def test_large_upload_streams_through(world: World) -> None:
    registry, pid = world.registry, world.project["id"]
    artifact = GeneratedFile(64 << 20, seed=7)
    response = registry.put(pid, "big.bin", SizedBody(artifact), select="package_file")
    assert response.status_code == 200, response.text
    assert response.json()["file_sha256"] == artifact.sha256()
    digest = hashlib.sha256()
    with registry.http.get(registry.url + DOWNLOAD.url_path(project_id=pid, package_name="pkg",
                                                            package_version="1.0", file_name="big.bin"),
                           headers=registry.admin, stream=True, timeout=60) as download:
        assert download.headers["Content-Length"] == str(64 << 20)
        for chunk in download.iter_content(1 << 20):
            digest.update(chunk)
    assert digest.hexdigest() == artifact.sha256()


# The Packages API


def test_hidden_packages_are_not_listed_but_downloadable(world: World) -> None:
    registry, pid = world.registry, world.project["id"]
    assert registry.put(pid, name="shown").status_code == 201
    assert registry.put(pid, name="secret", status="hidden").status_code == 201
    assert [p["name"] for p in registry.packages(pid).json()] == ["shown"]
    hidden = registry.packages(pid, status="hidden").json()
    assert [(p["name"], p["status"]) for p in hidden] == [("secret", "hidden")]
    assert registry.get(pid, name="secret").status_code == 200


def test_list_filters_orders_and_paginates(world: World) -> None:
    registry, pid = world.registry, world.project["id"]
    for name, version in [("alpha", "1.0"), ("beta", "2.0"), ("Alphabet", "1.0"), ("gamma", "3.0")]:
        assert registry.put(pid, name=name, version=version).status_code == 201
    names = [p["name"] for p in registry.packages(pid, package_name="ALPHA").json()]
    assert names == ["alpha", "Alphabet"]
    assert [p["name"] for p in registry.packages(pid, package_version="1.0", order_by="name", sort="desc").json()] \
        == ["alpha", "Alphabet"]
    page = registry.packages(pid, per_page=3, page=1)
    assert page.headers["X-Total"] == "4" and page.headers["X-Total-Pages"] == "2"
    assert page.headers["X-Per-Page"] == "3" and page.headers["X-Page"] == "1" and page.headers["X-Next-Page"] == "2"
    second = registry.packages(pid, per_page=3, page=2)
    assert [p["name"] for p in second.json()] == ["gamma"] and second.headers["X-Next-Page"] == ""
    item = page.json()[0]
    assert item == {**item, "name": "alpha", "version": "1.0", "package_type": "generic", "status": "default",
                    "tags": []}
    assert item["_links"]["web_path"] == f"/grp/proj/-/packages/{item['id']}"
    assert item["_links"]["delete_api_path"].endswith(f"/api/v4/projects/{pid}/packages/{item['id']}")
    assert registry.packages(pid, per_page=1000).headers["X-Per-Page"] == "100"
    assert registry.packages(pid, package_type="nonsense").status_code == 400
    assert registry.packages(pid, order_by="size").status_code == 400
    assert registry.packages(pid, package_type="npm").json() == []


def test_package_files_and_deletes(world: World) -> None:
    registry, pid = world.registry, world.project["id"]
    first = registry.put(pid, "a.bin", b"aaa", select="package_file").json()
    registry.put(pid, "b.bin", b"bb")
    package_id = first["package_id"]
    files = registry.files(pid, package_id)
    assert [(f["file_name"], f["size"]) for f in files] == [("a.bin", 3), ("b.bin", 2)]
    assert files[0] == {**files[0], "package_id": package_id, "file_sha256": hashlib.sha256(b"aaa").hexdigest(),
                        "pipelines": []}
    deploy = world.headers(CredentialCase.PROJECT_DEPLOY_TOKEN)
    path = packages_api.DELETE_PACKAGE_FILE.url_path(project_id=pid, package_id=package_id, file_id=first["id"])
    assert registry.call("DELETE", path, deploy).status_code == 404  # the Packages API reads no deploy token
    # A job token acts with its user's role: the owner's job may delete (project_packages_spec: maintainer → 204).
    assert registry.call("DELETE", path, world.headers(CredentialCase.JOB_TOKEN)).status_code == 204
    assert registry.call("DELETE", path, registry.admin).status_code == 404
    assert [f["file_name"] for f in registry.files(pid, package_id)] == ["b.bin"]
    assert len(registry.stored_files()) == 1
    path = packages_api.DELETE_PACKAGE.url_path(project_id=pid, package_id=package_id)
    assert registry.call("DELETE", path, registry.admin).status_code == 204
    assert registry.packages(pid).json() == [] and registry.stored_files() == []
    assert registry.call("DELETE", path, registry.admin).json() == {"message": "404 Package Not Found"}


# Operations: restart, metrics, rate limit


def test_restart_keeps_packages_and_tokens(tmp_path: Path) -> None:
    settings = ServerSettings(data_dir=tmp_path / "data", admin_token=ADMIN_TOKEN)
    with running_server(settings) as url:
        registry = Registry(url, settings.data_dir)
        world = make_world(registry)
        assert registry.put(world.project["id"], "keep.txt", b"kept").status_code == 201
    with running_server(settings) as url:
        registry = Registry(url, settings.data_dir)
        for case in (CredentialCase.PERSONAL_ACCESS_TOKEN, CredentialCase.PROJECT_DEPLOY_TOKEN,
                     CredentialCase.JOB_TOKEN):
            response = registry.get(world.project["id"], "keep.txt", headers=world.headers(case))
            assert response.status_code == 200 and response.content == b"kept"
        assert registry.get(world.project["id"], "keep.txt",
                            headers=world.headers(CredentialCase.REVOKED_TOKEN)).status_code == 401
        assert len(registry.packages(world.project["id"]).json()) == 1
        assert registry.group("second")["id"] > world.group["id"]


def test_metrics_count_push_and_pull_by_token_kind(world: World) -> None:
    registry, pid = world.registry, world.project["id"]

    def counter(event: str, kind: str) -> float:
        text = registry.call("GET", "/-/metrics").text
        line = f'package_events_total{{event="{event}",format="generic",token_kind="{kind}"}}'
        values = [float(row.split()[-1]) for row in text.splitlines() if row.startswith(line)]
        return values[0] if values else 0.0

    registry.put(pid, headers=world.headers(CredentialCase.PROJECT_DEPLOY_TOKEN))
    registry.get(pid, headers=world.headers(CredentialCase.JOB_TOKEN))
    registry.get(pid, headers=world.headers(CredentialCase.JOB_TOKEN))
    registry.get(pid, headers={})  # refused: not counted
    assert counter("push", "project_deploy_token") == 1
    assert counter("pull", "job_token") == 2
    assert counter("pull", "anonymous") == 0


def test_rate_limit_answers_429_with_retry_after(start: Callable[..., Registry]) -> None:
    registry = start(rate_limit_per_second=2)
    pid = registry.project(registry.group()["id"])["id"]
    responses = [registry.packages(pid) for _ in range(3)] + [registry.get(pid) for _ in range(3)]
    limited = [r for r in responses if r.status_code == 429]
    assert limited and int(limited[0].headers["Retry-After"]) >= 1
    assert registry.call("GET", "/api/v4/user", registry.admin).status_code == 200  # not a package route
    time.sleep(1.1)
    assert registry.packages(pid).status_code == 200


# Faults: each one changes exactly the behaviour it names (the correct behaviour is asserted above)


def _concurrent_new_package_statuses(registry: Registry, pid: int, count: int = 8) -> list[int]:
    barrier = threading.Barrier(count)
    statuses: list[int] = []

    def upload(index: int) -> None:
        session = requests.Session()
        barrier.wait()
        path = UPLOAD.url_path(project_id=pid, package_name="race", package_version="1.0", file_name=f"f{index}.bin")
        statuses.append(session.put(registry.url + path, headers=registry.admin, data=b"x", timeout=30).status_code)

    threads = [threading.Thread(target=upload, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


def fault_anonymous_404(world: World) -> None:
    response = world.registry.get(world.project["id"], headers={})
    assert response.status_code == 404 and "WWW-Authenticate" not in response.headers


def fault_accept_revoked_tokens(world: World) -> None:
    assert world.registry.put(world.project["id"], headers=world.headers(CredentialCase.REVOKED_TOKEN)).status_code \
        == 201


def fault_ignore_expiry(world: World) -> None:
    assert world.registry.put(world.project["id"], headers=world.headers(CredentialCase.EXPIRED_TOKEN)).status_code \
        == 201


def fault_read_only_deploy_can_write(world: World) -> None:
    headers = world.headers(CredentialCase.READ_ONLY_DEPLOY_TOKEN)
    assert world.registry.put(world.project["id"], headers=headers).status_code == 201


def fault_ignore_reject_duplicates(world: World) -> None:
    world.registry.set_duplicates("grp", False)
    assert [world.registry.put(world.project["id"]).status_code for _ in range(2)] == [201, 201]


def fault_oldest_file_wins(world: World) -> None:
    world.registry.put(world.project["id"], data=b"old")
    world.registry.put(world.project["id"], data=b"new")
    assert world.registry.get(world.project["id"]).content == b"old"


def fault_corrupt_download(world: World) -> None:
    world.registry.put(world.project["id"], data=b"payload")
    download = world.registry.get(world.project["id"])
    assert download.status_code == 200 and len(download.content) == 7 and download.content != b"payload"


def fault_list_shows_hidden(world: World) -> None:
    world.registry.put(world.project["id"], status="hidden")
    assert [p["status"] for p in world.registry.packages(world.project["id"]).json()] == ["hidden"]


def fault_no_size_limit(world: World) -> None:
    assert world.registry.put(world.project["id"], data=b"z" * 2000).status_code == 201  # the limit is 1000


def fault_read_body_before_auth(world: World) -> None:
    path = UPLOAD.url_path(project_id=world.project["id"], package_name="p", package_version="1", file_name="f")
    lines = raw_first_line(world.registry.url, expect_head(path, {}, 4), b"data", read_interim=True)
    assert lines == ["HTTP/1.1 100 Continue", "HTTP/1.1 401 Unauthorized"]


def fault_duplicate_race(world: World) -> None:
    assert 500 in _concurrent_new_package_statuses(world.registry, world.project["id"])


def fault_job_token_basic_refused(world: World) -> None:
    pid = world.project["id"]
    assert world.registry.put(pid, headers=world.headers(CredentialCase.JOB_TOKEN)).status_code == 201
    basic = world.headers(CredentialCase.JOB_TOKEN, AuthScheme.BASIC)
    assert world.registry.put(pid, headers=basic).status_code == 401


def fault_other_project_token_allowed(world: World) -> None:
    headers = world.headers(CredentialCase.OTHER_PROJECT_TOKEN)
    assert world.registry.put(world.project["id"], headers=headers).status_code == 201


def fault_slow_list(world: World) -> None:
    began = time.monotonic()
    assert world.registry.packages(world.project["id"]).status_code == 200
    assert time.monotonic() - began >= 0.5


# Faults of the format-independent paths; each format's own faults are checked in tests/test_<format>_server.py.
FAULT_CHECKS: dict[Fault, Callable[[World], None]] = {
    fault: globals()[f"fault_{fault.value}"] for fault in Fault if f"fault_{fault.value}" in globals()
}


@pytest.mark.parametrize("fault", list(FAULT_CHECKS), ids=lambda f: f.value)
def test_each_fault_changes_the_behaviour_it_names(start: Callable[..., Registry], fault: Fault) -> None:
    registry = start(faults=frozenset({fault}), size_limits={"generic": 1000})
    FAULT_CHECKS[fault](make_world(registry))


def test_unknown_fault_is_refused_with_the_known_ones(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown fault 'nope'; known faults: anonymous_404, "):
        ServerSettings(data_dir=tmp_path, faults=frozenset({"nope"}))
