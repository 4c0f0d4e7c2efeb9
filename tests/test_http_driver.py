"""The http driver against a tiny local server (not the reference server): auth headers, streaming in both
directions, Expect: 100-continue, early answers, transport errors, and transcripts that never hold a token."""

from __future__ import annotations

import base64
import hashlib
import json
import queue
import re
import secrets
import shutil
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import asdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from core.credentials import ANONYMOUS, Credential
from core.format_types import Endpoint, RequestSpec
from core.route_auth import GENERIC_DOWNLOAD_ROUTE, GENERIC_UPLOAD_ROUTE
from core.vocabulary import AuthScheme, CredentialCase, Operation, TokenKind
from engine.drivers import EXCERPT_LIMIT, Driver, HttpDriver, Observation
from engine.transcript import curl_command, describe_response_body
from formats import generic
from formats.generic import GeneratedFile

MIB = 1 << 20
DOWNLOAD_SEED = 7
ECHO = Endpoint("echo", "GET", "/echo", Operation.METADATA, 200, GENERIC_DOWNLOAD_ROUTE)


class Handler(BaseHTTPRequestHandler):
    """GET /echo: the request headers as JSON. GET …/generic/…/file-<size>.bin: a GeneratedFile of that size.
    PUT …/generic/…/<file>: stores nothing, answers with the size and sha256 it read. The file name picks a
    behaviour: reject.bin (401 before the body), silent.bin (no 100 Continue), too-large.bin (413 after 1 MiB,
    then reads on), slam.bin (413 after 1 MiB, then closes)."""

    protocol_version = "HTTP/1.1"
    server: RecordingServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _reply(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in {"Content-Type": "application/json", **(headers or {})}.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _drain(self) -> int:
        """Reads what the client still sends until it closes the connection; returns the byte count."""
        self.connection.settimeout(5)
        count = 0
        try:
            while data := self.rfile.read1(MIB):
                count += len(data)
        except OSError:
            pass
        return count

    def do_GET(self) -> None:
        if self.path.startswith("/echo"):
            self._reply(200, json.dumps(dict(self.headers.items())).encode())
        elif self.path.startswith("/redirect"):
            port = self.server.server_address[1]
            self._reply(302, headers={"Location": f"http://localhost:{port}/echo"})
        elif match := re.search(r"/file-(\d+)\.bin$", self.path):
            artifact = GeneratedFile(int(match.group(1)), seed=DOWNLOAD_SEED)
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(artifact.size))
            self.end_headers()
            for chunk in artifact.chunks():
                self.wfile.write(chunk)
        else:
            self._reply(404, b'{"message":"404 Not Found"}')

    def handle_expect_100(self) -> bool:
        if self.path.endswith("/reject.bin"):
            self._reply(401, b'{"message":"401 Unauthorized"}', {"WWW-Authenticate": 'Basic realm="GitLab"'})
            self.close_connection = True
            self.server.records.put({"path": self.path, "body_bytes": self._drain()})
            return False
        if self.path.endswith("/silent.bin"):
            return True
        return super().handle_expect_100()

    def do_PUT(self) -> None:
        length = int(self.headers["Content-Length"])
        digest, read = hashlib.sha256(), 0
        limit = MIB if self.path.endswith(("/too-large.bin", "/slam.bin")) else length
        while read < limit:
            data = self.rfile.read(min(limit - read, MIB))
            if not data:
                break
            digest.update(data)
            read += len(data)
        if read < length:
            self._reply(413, b'{"message":"413 Request Entity Too Large"}', {"Connection": "close"})
            self.close_connection = True
            if self.path.endswith("/slam.bin"):
                return  # the connection closes with unread body bytes: the client sees a reset
            read += self._drain()
        else:
            self._reply(201, json.dumps({"size": read, "sha256": digest.hexdigest()}).encode())
        self.server.records.put({"path": self.path, "body_bytes": read, "headers": dict(self.headers.items())})


class RecordingServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        if tls:
            self.socket = tls.wrap_socket(self.socket, server_side=True)
        self.records: queue.Queue[dict[str, Any]] = queue.Queue()

    @property
    def port(self) -> int:
        return self.server_address[1]


def _serve(server: RecordingServer) -> Iterator[RecordingServer]:
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def server() -> Iterator[RecordingServer]:
    yield from _serve(RecordingServer())


@pytest.fixture
def driver(server: RecordingServer) -> Iterator[HttpDriver]:
    with HttpDriver(f"http://127.0.0.1:{server.port}", timeout=10) as http_driver:
        yield http_driver


def credential(kind: TokenKind) -> Credential:
    return Credential(CredentialCase(kind.value), kind, "glpat-" + secrets.token_urlsafe(16))


def basic(cred: Credential) -> str:
    return base64.b64encode(f"{cred.username}:{cred.token}".encode()).decode()


def assert_no_secret(observation: Observation, cred: Credential) -> None:
    transcript = json.dumps(asdict(observation.exchange)) + (observation.error or "")
    assert cred.token and cred.token not in transcript
    assert basic(cred) not in transcript


def push(name: str, size: int) -> tuple[RequestSpec, GeneratedFile]:
    artifact = GeneratedFile(size, seed=3)
    return generic.push(1, "pkg", "1.0.0", name, artifact), artifact


def test_driver_interface() -> None:
    assert isinstance(HttpDriver("http://127.0.0.1:1"), Driver)
    assert HttpDriver("http://127.0.0.1:1").name == "http"
    with pytest.raises(ValueError, match="http:// or https://"):
        HttpDriver("ftp://example.org")


@pytest.mark.parametrize(
    ("kind", "scheme", "header", "expected"),
    [
        (TokenKind.PERSONAL_ACCESS_TOKEN, AuthScheme.HEADER, "Private-Token", "{token}"),
        (TokenKind.PROJECT_DEPLOY_TOKEN, AuthScheme.HEADER, "Deploy-Token", "{token}"),
        (TokenKind.JOB_TOKEN, AuthScheme.HEADER, "Job-Token", "{token}"),
        (TokenKind.GROUP_DEPLOY_TOKEN, AuthScheme.BASIC, "Authorization", "Basic {basic}"),
        (TokenKind.PROJECT_ACCESS_TOKEN, AuthScheme.BEARER, "Authorization", "Bearer {token}"),
    ],
)
def test_credential_travels_in_its_scheme(
    driver: HttpDriver, kind: TokenKind, scheme: AuthScheme, header: str, expected: str
) -> None:
    cred = credential(kind)
    observation = driver.send(RequestSpec(ECHO, "/echo"), cred, scheme)
    assert observation.status == 200
    seen = {name.lower(): value for name, value in observation.json().items()}
    assert seen[header.lower()] == expected.format(token=cred.token, basic=basic(cred))
    assert_no_secret(observation, cred)


def test_anonymous_sends_no_credential(driver: HttpDriver) -> None:
    observation = driver.send(RequestSpec(ECHO, "/echo"), ANONYMOUS, AuthScheme.NONE)
    seen = {name.lower() for name in observation.json()}
    assert not seen & {"authorization", "private-token", "deploy-token", "job-token"}
    assert "$HARNESS_TOKEN" not in observation.exchange.curl


def test_redirect_to_another_host_drops_the_token(driver: HttpDriver) -> None:
    cred = credential(TokenKind.PERSONAL_ACCESS_TOKEN)
    observation = driver.send(RequestSpec(ECHO, "/redirect"), cred, AuthScheme.HEADER)
    assert observation.status == 200
    assert "private-token" not in {name.lower() for name in observation.json()}


def test_streaming_download_is_hashed_whole_and_kept_in_part(driver: HttpDriver) -> None:
    artifact = GeneratedFile(20 * MIB, seed=DOWNLOAD_SEED)
    spec = generic.pull(1, "pkg", "1.0.0", f"file-{artifact.size}.bin")
    observation = driver.send(spec, credential(TokenKind.PROJECT_DEPLOY_TOKEN), AuthScheme.BASIC)
    assert observation.status == 200
    assert observation.body_size == artifact.size
    assert observation.body_sha256 == artifact.sha256()
    assert observation.body_excerpt == next(artifact.chunks())[:EXCERPT_LIMIT]
    assert observation.headers["content-length"] == str(artifact.size)
    assert observation.exchange.response_body == f"<{artifact.size} bytes, sha256 {artifact.sha256()}>"
    assert observation.sent_sha256 is None and observation.sent_size == 0
    with pytest.raises(ValueError, match="larger than"):
        observation.json()


def test_json_error_quotes_the_body(driver: HttpDriver) -> None:
    observation = driver.send(generic.pull(1, "pkg", "1.0.0", "missing.txt"), ANONYMOUS, AuthScheme.NONE)
    assert observation.status == 404
    assert observation.json() == {"message": "404 Not Found"}
    observation.body_excerpt = b"<html>oops</html>"
    observation.body_size = len(observation.body_excerpt)
    with pytest.raises(ValueError, match="not JSON.*<html>oops"):
        observation.json()


def test_upload_after_100_continue_sends_the_whole_body(driver: HttpDriver, server: RecordingServer) -> None:
    cred = credential(TokenKind.PROJECT_DEPLOY_TOKEN)
    spec, artifact = push("package.bin", 8 * MIB + 123)
    observation = driver.send(spec, cred, AuthScheme.HEADER)
    record = server.records.get(timeout=5)
    assert observation.status == 201, observation.error
    assert observation.body_sent and observation.error is None
    assert observation.sent_size == artifact.size
    assert observation.sent_sha256 == artifact.sha256()
    assert observation.json() == {"size": artifact.size, "sha256": artifact.sha256()}
    assert record["headers"]["Expect"] == "100-continue"
    assert record["headers"]["DEPLOY-TOKEN"] == cred.token
    exchange = observation.exchange
    assert exchange.request_body == f"<{artifact.size} generated bytes, sha256 {artifact.sha256()}>"
    assert exchange.request_headers["DEPLOY-TOKEN"] == "[REDACTED]"
    assert '--header "DEPLOY-TOKEN: $PROJECT_DEPLOY_TOKEN"' in exchange.curl
    assert f'--upload-file upload.bin "${{HARNESS_TARGET}}{spec.path}"  #' in exchange.curl
    assert f"head -c {artifact.size} /dev/urandom > upload.bin" in exchange.curl
    assert_no_secret(observation, cred)


def test_upload_without_an_interim_answer_sends_the_body_after_the_wait(server: RecordingServer) -> None:
    spec, artifact = push("silent.bin", 2 * MIB)
    with HttpDriver(f"http://127.0.0.1:{server.port}", timeout=10, continue_timeout=0.2) as patient:
        observation = patient.send(spec, credential(TokenKind.JOB_TOKEN), AuthScheme.BASIC)
    assert observation.status == 201, observation.error
    assert observation.body_sent and observation.sent_sha256 == artifact.sha256()
    assert server.records.get(timeout=5)["body_bytes"] == artifact.size


def test_early_401_means_no_body_is_sent(server: RecordingServer) -> None:
    cred = credential(TokenKind.JOB_TOKEN)
    spec, artifact = push("reject.bin", 64 * MIB)
    with HttpDriver(f"http://127.0.0.1:{server.port}", timeout=10, continue_timeout=5) as http_driver:
        observation = http_driver.send(spec, cred, AuthScheme.BASIC)
    assert observation.status == 401
    assert observation.headers["www-authenticate"] == 'Basic realm="GitLab"'
    assert not observation.body_sent
    assert observation.sent_size == 0 and observation.sent_sha256 is None
    assert observation.duration_ms < 4000  # answered at once: no waiting out continue_timeout
    assert server.records.get(timeout=5)["body_bytes"] == 0
    exchange = observation.exchange
    assert not exchange.body_sent
    assert exchange.request_body == f"<{artifact.size} generated bytes, not sent>"
    assert exchange.request_headers["Authorization"] == "Basic [REDACTED]"
    assert '--user "gitlab-ci-token:$JOB_TOKEN"' in exchange.curl  # the only user name GitLab reads a job token with
    assert "set JOB_TOKEN to the job_token" in exchange.curl
    assert_no_secret(observation, cred)


def test_answer_in_the_middle_of_an_upload_stops_it(driver: HttpDriver, server: RecordingServer) -> None:
    spec, artifact = push("too-large.bin", 256 * MIB)
    observation = driver.send(spec, credential(TokenKind.PERSONAL_ACCESS_TOKEN), AuthScheme.HEADER)
    assert observation.status == 413, observation.error
    assert not observation.body_sent
    assert MIB <= observation.sent_size < artifact.size
    assert server.records.get(timeout=5)["body_bytes"] == observation.sent_size
    assert f"only {observation.sent_size} sent" in observation.exchange.request_body


def test_server_closing_mid_upload_is_an_observation_not_an_exception(driver: HttpDriver) -> None:
    spec, artifact = push("slam.bin", 64 * MIB)
    observation = driver.send(spec, credential(TokenKind.PERSONAL_ACCESS_TOKEN), AuthScheme.HEADER)
    assert not observation.body_sent and observation.sent_size < artifact.size
    if observation.status is None:
        assert observation.error and observation.exchange.error == observation.error
    else:
        assert observation.status == 413


@pytest.mark.parametrize("upload", [False, True])
def test_connection_refused_is_an_observation(upload: bool) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    spec = push("package.bin", MIB)[0] if upload else RequestSpec(ECHO, "/echo")
    with HttpDriver(f"http://127.0.0.1:{port}", timeout=5) as http_driver:
        observation = http_driver.send(spec, credential(TokenKind.PERSONAL_ACCESS_TOKEN), AuthScheme.HEADER)
    assert observation.status is None
    assert observation.error and "refused" in observation.error.lower()
    assert observation.exchange.status is None and observation.exchange.error == observation.error
    assert observation.sent_size == 0 and observation.sent_sha256 is None
    assert observation.body_sent is not upload  # nothing withheld when there was no body to send


def test_small_bytes_body_is_sent_and_recorded(driver: HttpDriver, server: RecordingServer) -> None:
    body = b'{"name": "it\'s"}'
    endpoint = Endpoint("put", "PUT", "/small/x.bin", Operation.PUSH, 201, GENERIC_UPLOAD_ROUTE)
    spec = RequestSpec(endpoint, "/small/x.bin", headers={"Content-Type": "application/json"}, body=body)
    observation = driver.send(spec, credential(TokenKind.PROJECT_ACCESS_TOKEN), AuthScheme.BEARER)
    assert observation.status == 201
    assert observation.sent_size == len(body) and observation.sent_sha256 == hashlib.sha256(body).hexdigest()
    assert observation.exchange.request_body == body.decode()
    assert '--header "Authorization: Bearer $PROJECT_ACCESS_TOKEN"' in observation.exchange.curl
    assert "--data-binary '{\"name\": \"it'\"'\"'s\"}'" in observation.exchange.curl
    assert server.records.get(timeout=5)["body_bytes"] == len(body)


def test_curl_command_quotes_and_placeholders() -> None:
    line = curl_command("GET", "http://h/x?a=1&b=2", {"X-Note": "it's $HOME", "PRIVATE-TOKEN": "secret-value"},
                        None, "$PERSONAL_ACCESS_TOKEN")
    assert line == ("curl --header 'X-Note: it'\"'\"'s $HOME' --header \"PRIVATE-TOKEN: $PERSONAL_ACCESS_TOKEN\" "
                    "'http://h/x?a=1&b=2'  # set PERSONAL_ACCESS_TOKEN to the personal_access_token")
    assert "secret-value" not in line
    with pytest.raises(ValueError, match="shell variable"):
        curl_command("GET", "http://h/", {}, None, "$(rm -rf)")


def test_curl_lines_name_the_target_by_a_variable_and_make_big_files_sparse() -> None:
    line = curl_command("PUT", "http://127.0.0.1:40123/api/v4/projects/7/packages/generic/p/1.0.0/f.bin",
                        {"PRIVATE-TOKEN": "secret-value"}, f"<{5 << 30} generated bytes, sha256 ab>",
                        base_url="http://127.0.0.1:40123")
    assert '"${HARNESS_TARGET}/api/v4/projects/7/packages/generic/p/1.0.0/f.bin"' in line
    assert "127.0.0.1:40123" not in line and "set HARNESS_TARGET to the target's root URL" in line
    assert f"truncate -s {5 << 30} upload.bin" in line and "/dev/urandom" not in line
    small = curl_command("PUT", "http://elsewhere/x", {}, "<10 bytes, sha256 ab>", base_url="http://127.0.0.1:40123")
    assert "upload.bin http://elsewhere/x  #" in small and "head -c 10 /dev/urandom > upload.bin" in small
    # the line runs in a shell: the variable expands, the rest of the URL stays literal
    url_word = line.split("  # ")[0].split(" ")[-1]
    expanded = subprocess.run(["bash", "-c", f"HARNESS_TARGET=https://gitlab.example; printf %s {url_word}"],
                              capture_output=True, text=True, check=True)
    assert expanded.stdout == "https://gitlab.example/api/v4/projects/7/packages/generic/p/1.0.0/f.bin"


def test_response_descriptions() -> None:
    assert describe_response_body(b"", 0, hashlib.sha256(b"").hexdigest()) == ""
    assert describe_response_body(b"\x00\x01", 2, "ab") == "<2 bytes, sha256 ab>"
    long_text = b"x" * 5000
    described = describe_response_body(long_text, 5000, "cd")
    assert described.startswith("x" * 2048 + "…") and described.endswith("<5000 bytes in all, sha256 cd>")


@pytest.fixture
def tls_files(tmp_path: Path) -> tuple[Path, Path]:
    if not shutil.which("openssl"):
        pytest.skip("no openssl command to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-keyout", str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )
    return cert, key


def test_https_download_and_upload(tls_files: tuple[Path, Path]) -> None:
    cert, key = tls_files
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    for server in _serve(RecordingServer(tls=context)):
        cred = credential(TokenKind.GROUP_DEPLOY_TOKEN)
        with HttpDriver(f"https://127.0.0.1:{server.port}", timeout=10, verify=str(cert)) as http_driver:
            echoed = http_driver.send(RequestSpec(ECHO, "/echo"), cred, AuthScheme.HEADER)
            spec, artifact = push("package.bin", 3 * MIB)
            pushed = http_driver.send(spec, cred, AuthScheme.BASIC)
        assert echoed.status == 200 and echoed.json()["DEPLOY-TOKEN"] == cred.token
        assert pushed.status == 201, pushed.error
        assert pushed.body_sent and pushed.sent_sha256 == artifact.sha256()
        with HttpDriver(f"https://127.0.0.1:{server.port}", timeout=10) as untrusting:
            refused = untrusting.send(push("package.bin", MIB)[0], cred, AuthScheme.BASIC)
        assert refused.status is None and refused.error and "CERTIFICATE_VERIFY_FAILED" in refused.error
