"""The `http` driver: a format operation's request sent as plain HTTP, uploads the way curl sends them.

Responses are streamed: hashed and counted chunk by chunk, only the first MiB kept. Requests without a body or
with a small bytes body go through `requests`. Generated (iterable) bodies, possibly many GiB, go through
`http.client` with `Expect: 100-continue`, as curl does: the headers go out, the server has `continue_timeout`
seconds to answer; after `100 Continue` (or silence) the body is streamed, after a final answer (401, 403, 413 …)
it is not sent at all, and a final answer in the middle of the upload stops it.
"""

from __future__ import annotations

import http.client
import io
import re
import select
import socket
import ssl
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import SplitResult, urlencode, urlsplit

import certifi
import requests

from core import __version__
from core.credentials import REDACTOR, Credential, auth_headers
from core.format_types import RequestSpec
from core.route_auth import carrier_for
from core.vocabulary import AuthScheme
from engine.drivers.base import EXCERPT_LIMIT, BodyDigest, Observation
from engine.transcript import (
    CREDENTIAL_HEADERS,
    build_exchange,
    describe_request_body,
    describe_response_body,
    token_placeholder,
)

CHUNK = 1 << 16
USER_AGENT = f"registry-rollout-harness/{__version__} (http driver)"
_INTERIM = re.compile(rb"HTTP/\d(?:\.\d)? 1(?!01)\d\d\b")  # a 1xx answer other than 101 Switching Protocols


@dataclass
class _Received:
    """What one exchange produced, filled in as it goes."""

    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: BodyDigest = field(default_factory=BodyDigest)
    sent: BodyDigest = field(default_factory=lambda: BodyDigest(limit=0))  # the request body, as it went out
    body_sent: bool = True
    error: str | None = None
    go_ahead: str = ""  # why the body went out: "100 Continue after N ms", or "no answer within N s"


class _Session(requests.Session):
    """A session that drops GitLab's token headers when a redirect leaves the host (requests only drops
    Authorization), so that a redirect to object storage never carries a token."""

    def rebuild_auth(self, prepared_request: requests.PreparedRequest, response: requests.Response) -> None:
        super().rebuild_auth(prepared_request, response)  # type: ignore[no-untyped-call]  # untyped in types-requests
        if self.should_strip_auth(response.request.url, prepared_request.url):  # type: ignore[no-untyped-call]
            for name in CREDENTIAL_HEADERS:
                prepared_request.headers.pop(name, None)


class _AnswerReader(io.RawIOBase):
    """The socket's incoming bytes, starting with those already read while waiting for the server's answer.

    `http.client.HTTPResponse` reads from `sock.makefile("rb")`: this object stands in for the socket.
    """

    def __init__(self, head: bytes, sock: socket.socket) -> None:
        super().__init__()
        self._head = head
        self._sock = sock

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        if self._head:
            count = min(len(buffer), len(self._head))
            buffer[:count] = self._head[:count]
            self._head = self._head[count:]
            return count
        return self._sock.recv_into(buffer)

    def makefile(self, mode: str = "rb") -> io.BufferedReader:
        return io.BufferedReader(self)


def _error_text(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def _lower(items: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Header names lower-cased; repeated headers joined with ', ' as HTTP allows."""
    headers: dict[str, str] = {}
    for name, value in items:
        name = name.lower()
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    return headers


class HttpDriver:
    """Sends RequestSpecs to `base_url` over HTTP(S). One `requests.Session` per thread that uses the driver."""

    name = "http"

    def __init__(
        self, base_url: str, timeout: float = 120.0, *, continue_timeout: float = 2.0, verify: bool | str = True
    ) -> None:
        """`verify`: check TLS certificates (True), not at all (False), or against this CA bundle file."""
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"{base_url!r}: expected an http:// or https:// URL")
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.continue_timeout = continue_timeout
        self.verify = verify
        self._local = threading.local()
        self._sessions: list[requests.Session] = []
        self._lock = threading.Lock()

    def url(self, spec: RequestSpec) -> str:
        return self.base_url + spec.path + ("?" + urlencode(spec.params) if spec.params else "")

    def send(self, spec: RequestSpec, credential: Credential, scheme: AuthScheme) -> Observation:
        REDACTOR.add_credential(credential)
        url = self.url(spec)
        scheme = carrier_for(spec.endpoint.auth, scheme)  # the set-up token, on a route that reads no header
        headers = {"User-Agent": USER_AGENT, **spec.headers, **auth_headers(credential, scheme)}
        started = time.perf_counter()
        if spec.body is None or isinstance(spec.body, bytes | bytearray | memoryview):
            body = spec.body if spec.body is None or isinstance(spec.body, bytes) else bytes(spec.body)
            received = self._send_small(spec.method, url, headers, body, spec.follow_redirects, spec.keep_body)
        else:
            if spec.body_size is None:
                raise ValueError(f"{spec.method} {spec.path}: an iterable body needs body_size (its Content-Length)")
            framing = {"content-length", "transfer-encoding", "expect"}
            headers = {name: value for name, value in headers.items() if name.lower() not in framing}
            headers |= {"Content-Length": str(spec.body_size), "Expect": "100-continue"}
            received = self._send_streaming(spec.method, url, headers, spec.body, spec.body_size)
        duration_ms = (time.perf_counter() - started) * 1000
        error = REDACTOR(received.error) if received.error else None
        sent_size = received.sent.size
        sent_sha256 = received.sent.sha256 if spec.body is not None and (sent_size or received.body_sent) else None
        exchange = build_exchange(
            spec.method,
            url,
            headers,
            describe_request_body(spec.body, spec.body_size, sent_size, sent_sha256, received.body_sent),
            status=received.status,
            response_headers=received.headers,
            response_body=describe_response_body(received.body.excerpt, received.body.size, received.body.sha256),
            duration_ms=duration_ms,
            body_sent=received.body_sent,
            error=error,
            placeholder=token_placeholder(credential),
            base_url=self.base_url,
        )
        return Observation(
            status=received.status,
            headers=received.headers,
            body_excerpt=received.body.excerpt,
            body_size=received.body.size,
            body_sha256=received.body.sha256,
            sent_size=sent_size,
            sent_sha256=sent_sha256,
            body_sent=received.body_sent,
            duration_ms=duration_ms,
            exchange=exchange,
            error=error,
            go_ahead=received.go_ahead,
        )

    def send_all(self, specs: list[RequestSpec], credential: Credential, scheme: AuthScheme) -> Observation:
        """Send a format's requests in order (a push may be several: a Maven jar and its pom); stop at the first
        answer that is not its endpoint's success. The first request's observation, or the one that went wrong."""
        first = self.send(specs[0], credential, scheme)
        if first.status != specs[0].endpoint.success_status:
            return first
        for spec in specs[1:]:
            follow = self.send(spec, credential, scheme)
            if follow.status != spec.endpoint.success_status:
                return follow
        return first

    def close(self) -> None:
        with self._lock:
            for session in self._sessions:
                session.close()
            self._sessions.clear()
        self._local = threading.local()

    def __enter__(self) -> HttpDriver:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- no body, or a small bytes body: requests ------------------------------------------------------------

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = _Session()
            session.trust_env = False  # no proxies, no ~/.netrc credentials slipped into anonymous requests
            session.verify = self.verify
            self._local.session = session
            with self._lock:
                self._sessions.append(session)
        return session

    def _send_small(self, method: str, url: str, headers: dict[str, str], body: bytes | None,
                    follow_redirects: bool = True, keep_body: int = 0) -> _Received:
        """`follow_redirects` False: a redirect is the answer (its status and Location), as GitLab's request
        forwarding is checked; the public registry it points at is never asked. `keep_body`: keep that many bytes
        of the answer (more than the usual excerpt)."""
        received = _Received(body=BodyDigest(limit=max(EXCERPT_LIMIT, keep_body)))
        failure: requests.RequestException | None = None
        try:
            with self._session().request(method, url, headers=headers, data=body, stream=True,
                                         timeout=self.timeout, allow_redirects=follow_redirects) as response:
                received.status = response.status_code
                received.headers = _lower(response.headers.items())
                for chunk in response.iter_content(CHUNK):
                    received.body.update(chunk)
        except requests.RequestException as exc:
            failure = exc
            received.error = _error_text(exc)
        if body is not None:
            # requests sends the whole body before it reads the answer: the body went out if an answer came.
            received.body_sent = received.status is not None or isinstance(failure, requests.ReadTimeout)
            if received.body_sent:
                received.sent.update(body)
        return received

    # -- a generated body: http.client with Expect: 100-continue ---------------------------------------------

    def _connection(self, parts: SplitResult) -> http.client.HTTPConnection:
        if parts.scheme == "http":
            return http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=self.timeout)
        if self.verify is False:
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        else:  # the same CA bundle requests uses, unless one is given
            cafile = self.verify if isinstance(self.verify, str) else certifi.where()
            context = ssl.create_default_context(cafile=cafile)
        return http.client.HTTPSConnection(parts.hostname or "", parts.port, timeout=self.timeout, context=context)

    def _send_streaming(
        self, method: str, url: str, headers: dict[str, str], chunks: Iterable[bytes], size: int
    ) -> _Received:
        received = _Received(body_sent=False)
        parts = urlsplit(url)
        connection = self._connection(parts)
        try:
            connection.connect()
            connection.putrequest(method, parts.path + (f"?{parts.query}" if parts.query else ""),
                                  skip_accept_encoding=True)
            for name, value in headers.items():
                connection.putheader(name, value)
            connection.endheaders()
            sock = connection.sock
            waited = time.perf_counter()
            answer = self._early_answer(sock, received)
            if not answer:  # 100 Continue, or silence: send the body
                if received.go_ahead == "100 Continue":
                    received.go_ahead += f" after {(time.perf_counter() - waited) * 1000:.0f} ms"
                try:
                    self._send_body(sock, chunks, size, received)
                except OSError as exc:  # the server closed the connection mid-upload; its answer may be readable
                    received.error = _error_text(exc)
            try:
                self._read_response(_AnswerReader(answer, sock), method, received)
            except (OSError, http.client.HTTPException) as exc:
                received.error = "; ".join(filter(None, [received.error, _error_text(exc)]))
            else:
                received.error = None  # an answer was read in full: that is what the server said
        except (OSError, http.client.HTTPException) as exc:
            received.error = _error_text(exc)
        finally:
            connection.close()
        return received

    def _early_answer(self, sock: socket.socket, received: _Received) -> bytes:
        """Waits up to `continue_timeout` for the server to answer the request headers.

        Interim answers (`100 Continue`) are consumed. Returns the start of a final answer that came before the
        body, or b"" to go ahead and send the body (after `100 Continue`, or after silence, as curl does).
        A receive with a timeout waits as `select` would, and is also right for TLS, where records that carry
        no data (session tickets) can arrive.
        """
        sock.settimeout(self.continue_timeout)
        try:
            data = sock.recv(CHUNK)
        except TimeoutError:
            received.go_ahead = f"no answer within {self.continue_timeout:g} s"
            return b""
        finally:
            sock.settimeout(self.timeout)
        if not data:
            raise ConnectionResetError("the server closed the connection without answering")
        while True:
            while b"\r\n\r\n" not in data:
                more = sock.recv(CHUNK)
                if not more:
                    return data  # cut short: the response parser says what is wrong
                data += more
            if not _INTERIM.match(data):
                return data
            received.go_ahead = "100 Continue"
            data = data.split(b"\r\n\r\n", 1)[1]
            if not data:
                return b""

    def _send_body(self, sock: socket.socket, chunks: Iterable[bytes], size: int, received: _Received) -> None:
        """Streams the body, hashing and counting what goes out; stops as soon as the server answers."""
        poller = select.poll()
        poller.register(sock, select.POLLIN | select.POLLOUT)
        for chunk in chunks:
            if received.sent.size + len(chunk) > size:
                raise ValueError(f"the request body is longer than its body_size ({size} bytes)")
            view = memoryview(chunk)
            while view:
                if isinstance(sock, ssl.SSLSocket) and sock.pending():
                    return
                events = poller.poll(self.timeout * 1000)
                if not events:
                    raise TimeoutError(f"the server took no body bytes for {self.timeout} s")
                if events[0][1] != select.POLLOUT:  # an answer, a close or an error: stop sending
                    return
                count = sock.send(view)
                received.sent.update(view[:count])
                view = view[count:]
        if received.sent.size < size:
            raise ValueError(f"the request body is shorter than its body_size ({received.sent.size} < {size} bytes)")
        received.body_sent = True

    def _read_response(self, reader: _AnswerReader, method: str, received: _Received) -> None:
        response = http.client.HTTPResponse(reader, method=method)  # type: ignore[arg-type]
        try:
            response.begin()
            received.status = response.status
            received.headers = _lower(response.getheaders())
            while chunk := response.read(CHUNK):
                received.body.update(chunk)
        finally:
            response.close()
