"""The provisioning client: its calls against the reference server, and its errors (which say what to check
and never carry a token) against a stub server."""

from __future__ import annotations

import json
import socket
import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from core.credentials import REDACTED, REDACTOR
from engine.gitlab_api import GitLabClient, IssuedToken, ProvisioningError
from engine.ledger import Ledger, cleanup
from engine.reference import ReferenceServer

# -- a stub server for the error paths (no reference server needed) -------------------------------------

Answer = tuple[int, Any]  # status, JSON body (or str for a raw body)


class Stub:
    def __init__(self, answer: Callable[[str, str, dict[str, str], Any], Answer]) -> None:
        self.answer = answer
        self.requests: list[tuple[str, str, dict[str, str], Any]] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                body = json.loads(raw) if raw else None
                headers = dict(self.headers.items())
                stub.requests.append((self.command, self.path, headers, body))
                status, payload = stub.answer(self.command, self.path, headers, body)
                data = payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_DELETE = _handle

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.01},
                                       daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def stub() -> Iterator[Callable[..., Stub]]:
    stubs: list[Stub] = []

    def make(answer: Callable[[str, str, dict[str, str], Any], Answer]) -> Stub:
        stubs.append(Stub(answer))
        return stubs[-1]

    yield make
    for s in stubs:
        s.close()


def a_secret() -> str:
    return f"glpat-{uuid.uuid4().hex}"


def test_bad_token_error_says_what_to_check_and_hides_the_token(stub: Callable[..., Stub]) -> None:
    token = a_secret()
    # A careless server echoing the token back must not leak it through the error either.
    def echo(method: str, path: str, headers: dict[str, str], body: Any) -> Answer:
        return 401, {"message": f"401 Unauthorized {headers['PRIVATE-TOKEN']}"}

    server = stub(echo)
    client = GitLabClient(server.url, token)
    with pytest.raises(ProvisioningError) as caught:
        client.create_group("Harness", "harness-x")
    message = str(caught.value)
    assert token not in message and token not in repr(caught.value)
    assert REDACTED in message
    assert "create group 'harness-x'" in message and "POST /api/v4/groups" in message and "401" in message
    assert "the owner token is not valid for this target" in message
    assert caught.value.status == 401 and caught.value.short == "401 Unauthorized"
    assert server.requests[0][2]["PRIVATE-TOKEN"] == token


@pytest.mark.parametrize(
    ("status", "hint"),
    [
        (403, "lacks the api scope or the role"),
        (404, "does not exist or the owner token cannot see it"),
        (409, "already exists"),
        (500, "look at its logs"),
    ],
)
def test_error_hints_by_status(stub: Callable[..., Stub], status: int, hint: str) -> None:
    server = stub(lambda *_: (status, {"message": "nope"}))
    with pytest.raises(ProvisioningError, match=hint) as caught:
        GitLabClient(server.url, a_secret()).create_project("p", 3)
    assert "POST /api/v4/projects" in str(caught.value) and '"message": "nope"' in str(caught.value)


def test_connection_refused_asks_whether_the_url_is_right() -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    token = a_secret()
    with pytest.raises(ProvisioningError, match="is the target URL right and reachable") as caught:
        GitLabClient(f"http://127.0.0.1:{port}", token, timeout=5).current_user()
    assert caught.value.status is None and "GET /api/v4/user" in str(caught.value)
    assert token not in str(caught.value)


def test_non_json_answer_is_explained(stub: Callable[..., Stub]) -> None:
    server = stub(lambda *_: (200, "<html>sign in</html>"))
    with pytest.raises(ProvisioningError, match="not JSON.*root of a GitLab instance"):
        GitLabClient(server.url + "/api/v4/", a_secret()).current_user()


def test_deletes_tolerate_missing_resources(stub: Callable[..., Stub]) -> None:
    server = stub(lambda *_: (404, {"message": "404 Not found"}))
    client = GitLabClient(server.url, a_secret())
    client.delete_project(5)
    client.delete_group("a/b")
    client.revoke_deploy_token("groups", 2, 3)
    client.finish_job(9)
    assert [r[1] for r in server.requests] == [
        "/api/v4/projects/5", "/api/v4/groups/a%2Fb", "/api/v4/groups/2/deploy_tokens/3", "/-/reference/jobs/9/finish",
    ]
    with pytest.raises(ProvisioningError, match="404"):
        client.delete_project(5, missing_ok=False)


def test_issued_tokens_are_registered_and_hidden(stub: Callable[..., Stub]) -> None:
    secret = a_secret()
    server = stub(lambda *_: (201, {"id": 4, "name": "d", "username": "gitlab+deploy-token-4", "token": secret,
                                    "scopes": ["read_package_registry"], "expires_at": "2030-01-02T00:00:00.000Z"}))
    issued = GitLabClient(server.url, a_secret()).create_deploy_token("projects", 12, "d", ["read_package_registry"])
    assert issued == IssuedToken(4, secret, "gitlab+deploy-token-4", ("read_package_registry",), date(2030, 1, 2))
    assert secret not in repr(issued) and secret not in str(issued)
    assert REDACTOR(f"x {secret} y") == f"x {REDACTED} y"
    method, path, _, body = server.requests[0]
    assert (method, path) == ("POST", "/api/v4/projects/12/deploy_tokens")
    assert body["name"] == "d" and body["scopes"] == ["read_package_registry"] and body["expires_at"]


def test_duplicate_settings_use_graphql_variables(stub: Callable[..., Stub]) -> None:
    settings = {"mavenDuplicatesAllowed": False, "mavenDuplicateExceptionRegex": "SNAPSHOT"}
    server = stub(lambda *_: (200, {"data": {"updateNamespacePackageSettings": {"packageSettings": settings,
                                                                                "errors": []}}}))
    result = GitLabClient(server.url, a_secret()).set_duplicate_settings("grp/sub", "maven", False, "SNAPSHOT")
    assert result == settings
    method, path, _, body = server.requests[0]
    assert (method, path) == ("POST", "/api/graphql")
    assert "updateNamespacePackageSettings(input: $input)" in body["query"]
    assert body["variables"] == {"input": {"namespacePath": "grp/sub", "mavenDuplicatesAllowed": False,
                                           "mavenDuplicateExceptionRegex": "SNAPSHOT"}}


@pytest.mark.parametrize(
    ("answer", "match"),
    [
        ({"errors": [{"message": "Field 'pypiDuplicatesAllowed' doesn't exist"}]}, "GraphQL errors: Field"),
        ({"data": {"updateNamespacePackageSettings": {"packageSettings": None, "errors": ["not allowed"]}}},
         "mutation errors: not allowed"),
        ({"data": {"updateNamespacePackageSettings": None}}, "no updateNamespacePackageSettings"),
    ],
)
def test_duplicate_settings_errors_raise(stub: Callable[..., Stub], answer: dict, match: str) -> None:
    server = stub(lambda *_: (200, answer))
    with pytest.raises(ProvisioningError, match=match):
        GitLabClient(server.url, a_secret()).set_duplicate_settings("grp", "pypi", True)


def test_duplicate_settings_field_names() -> None:
    with pytest.raises(ValueError, match="not a GitLab package type"):
        GitLabClient("http://127.0.0.1:9", a_secret()).set_duplicate_settings("grp", "Generic }", True)


# -- against the reference server ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    data_dir: Path = tmp_path_factory.mktemp("reference")
    with ReferenceServer(data_dir) as running:
        yield running


@pytest.fixture
def admin(server: Any) -> Iterator[GitLabClient]:
    with GitLabClient(server.url, server.admin_token, timeout=10) as client:
        yield client


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def test_reference_server_admin_token_is_private(server: Any) -> None:
    assert server.url.startswith("http://127.0.0.1:")
    assert server.admin_token_file.stat().st_mode & 0o777 == 0o600
    assert REDACTOR(server.admin_token) == REDACTED
    assert server.peak_rss_bytes() > 1_000_000


def test_groups_and_projects(admin: GitLabClient) -> None:
    user = admin.current_user()
    assert user["id"] and user["username"]

    path = unique("harness")
    group = admin.create_group("Harness group", path)
    assert group["id"] and group["path"] == path and admin.get_group(group["id"])["id"] == group["id"]
    sub = admin.create_group("Sub", "sub", parent_id=group["id"])
    assert admin.get_group(sub["id"])["full_path"] == f"{path}/sub"

    project = admin.create_project("Small push", sub["id"], path="small-push")
    assert admin.get_project(project["id"])["path_with_namespace"] == f"{path}/sub/small-push"
    assert admin.get_project(f"{path}/sub/small-push")["id"] == project["id"]

    admin.delete_project(project["id"])
    admin.delete_project(project["id"])  # already gone: tolerated
    admin.delete_group(sub["id"])
    admin.delete_group(group["id"])
    with pytest.raises(ProvisioningError, match="404"):
        admin.get_group(group["id"])


def test_tokens_of_each_kind(admin: GitLabClient, server: Any) -> None:
    group = admin.create_group("Tokens", unique("harness"))
    project = admin.create_project("tokens", group["id"])
    user = admin.current_user()

    pat = admin.create_personal_access_token(user["id"], "pat", ["api"])
    project_token = admin.create_project_access_token(project["id"], "pt", ["api"], access_level=30)
    project_deploy = admin.create_deploy_token("projects", project["id"], "pd", ["read_package_registry"])
    group_deploy = admin.create_deploy_token("groups", group["id"], "gd",
                                             ["read_package_registry", "write_package_registry"], username="ci-bot")
    for issued in (pat, project_token, project_deploy, group_deploy):
        assert issued.token and REDACTOR(issued.token) == REDACTED and issued.token not in repr(issued)
    assert project_deploy.username and group_deploy.username == "ci-bot"
    assert group_deploy.scopes == ("read_package_registry", "write_package_registry")
    assert pat.expires_at is not None and pat.expires_at > date.today()

    with GitLabClient(server.url, pat.token) as as_pat:
        assert as_pat.current_user()["id"] == user["id"]

    admin.revoke_personal_access_token(pat.id)
    admin.revoke_project_access_token(project["id"], project_token.id)
    admin.revoke_deploy_token("projects", project["id"], project_deploy.id)
    admin.revoke_deploy_token("groups", group["id"], group_deploy.id)

    with GitLabClient(server.url, pat.token) as revoked, pytest.raises(ProvisioningError) as caught:
        revoked.current_user()
    assert caught.value.status == 401 and pat.token not in str(caught.value)
    assert "the owner token is not valid for this target" in str(caught.value)

    admin.delete_group(group["id"])


def test_bad_owner_token_against_the_reference_server(server: Any) -> None:
    token = a_secret()
    with GitLabClient(server.url, token) as client, pytest.raises(ProvisioningError) as caught:
        client.create_group("x", unique("harness"))
    assert caught.value.status == 401
    assert token not in str(caught.value) and "the owner token is not valid for this target" in str(caught.value)


def test_duplicate_settings(admin: GitLabClient) -> None:
    group = admin.create_group("Dupes", unique("harness"))
    settings = admin.set_duplicate_settings(group["full_path"], "generic", False, "SNAPSHOT$")
    assert settings == {"genericDuplicatesAllowed": False, "genericDuplicateExceptionRegex": "SNAPSHOT$"}
    assert admin.set_duplicate_settings(group["full_path"], "generic", True)["genericDuplicatesAllowed"] is True
    with pytest.raises(ProvisioningError, match="set generic duplicate settings"):
        admin.set_duplicate_settings(unique("no-such-group"), "generic", False)
    admin.delete_group(group["id"])


def test_simulated_job(admin: GitLabClient) -> None:
    group = admin.create_group("Jobs", unique("harness"))
    project = admin.create_project("jobs", group["id"])
    job = admin.start_job(project["id"])
    assert job.id and job.token and REDACTOR(job.token) == REDACTED and job.token not in repr(job)
    admin.finish_job(job.id)
    admin.delete_group(group["id"])


def test_ledger_cleanup_against_the_reference_server(admin: GitLabClient, tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "ledger.jsonl")
    group = admin.create_group("Cleanup", unique("harness"))
    ledger.record("group", group["id"], group["full_path"])
    project = admin.create_project("cleanup", group["id"])
    ledger.record("project", project["id"], project["path_with_namespace"], owner_kind="groups", owner_id=group["id"])
    token = admin.create_project_access_token(project["id"], "pt", ["api"])
    ledger.record("project_access_token", token.id, "pt", owner_kind="projects", owner_id=project["id"])
    deploy = admin.create_deploy_token("projects", project["id"], "pd", ["read_package_registry"])
    ledger.record("deploy_token", deploy.id, "pd", owner_kind="projects", owner_id=project["id"])
    job = admin.start_job(project["id"])
    ledger.record("job", job.id, "job", owner_kind="projects", owner_id=project["id"])
    assert token.token not in ledger.path.read_text() and deploy.token not in ledger.path.read_text()

    result = cleanup(ledger, admin)
    assert result.ok and result.cleaned == 5
    with pytest.raises(ProvisioningError, match="404"):
        admin.get_group(group["id"])
