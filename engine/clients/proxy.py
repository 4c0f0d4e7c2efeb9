"""A recording reverse proxy on a loopback port: a real client talks to it, it forwards to the target and keeps
a redacted transcript of every exchange.

A client's exit code says that something failed; the transcript says what the registry answered (the 403, the
401 without a challenge, the 500 of a race), which is what the expectations are checked against and what the
report shows. Bodies stream through in both directions (a large push never sits in memory); only the first
bytes of each are kept. The `Host` header is forwarded unchanged to a loopback target, so the URLs the
registry writes into its answers (npm tarballs, PyPI file links) point back at the proxy and the client's
follow-up requests are recorded too.
"""

from __future__ import annotations

import http.client
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import urlsplit

from core.credentials import REDACTOR
from core.results import Exchange
from engine.transcript import TEXT_LIMIT, redact_headers

CHUNK = 1 << 16
HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer",
                        "upgrade", "expect"})
UPSTREAM_TIMEOUT_S = 600.0


@dataclass
class _Excerpt:
    data: bytearray
    size: int = 0

    def add(self, chunk: bytes) -> None:
        self.size += len(chunk)
        room = TEXT_LIMIT - len(self.data)
        if room > 0:
            self.data += chunk[:room]

    def text(self) -> str:
        if not self.size:
            return ""
        head = bytes(self.data)
        if b"\x00" in head:
            return f"<{self.size} bytes>"
        text = REDACTOR(head.decode("utf-8", errors="replace"))
        return text + (f"… <{self.size} bytes in all>" if self.size > len(head) else "")


class RecordingProxy:
    """`with RecordingProxy("http://127.0.0.1:8080") as proxy:` point the client at `proxy.url`, read
    `proxy.exchanges` afterwards."""

    def __init__(self, target_url: str) -> None:
        parts = urlsplit(target_url)
        self.target_scheme = parts.scheme
        self.target_netloc = parts.netloc
        self.target_base = parts.path.rstrip("/")
        self.keep_host = parts.hostname in ("127.0.0.1", "localhost", "::1") and parts.scheme == "http"
        self.exchanges: list[Exchange] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="recording-proxy", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}"  # bound on the loopback address above

    def __enter__(self) -> RecordingProxy:
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self._server.shutdown()
        self._server.server_close()

    def record(self, exchange: Exchange) -> None:
        with self._lock:
            self.exchanges.append(exchange)

    def connection(self) -> http.client.HTTPConnection:
        if self.target_scheme == "https":
            return http.client.HTTPSConnection(self.target_netloc, timeout=UPSTREAM_TIMEOUT_S)
        return http.client.HTTPConnection(self.target_netloc, timeout=UPSTREAM_TIMEOUT_S)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(_ForwardingHandler):
            owner = proxy

        return Handler


class _ForwardingHandler(BaseHTTPRequestHandler):
    owner: RecordingProxy
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:  # the transcript is the log
        pass

    def do_GET(self) -> None:
        self._forward()

    do_PUT = do_POST = do_DELETE = do_HEAD = do_PATCH = do_OPTIONS = do_GET

    def _request_chunks(self) -> tuple[int | None, bool]:
        length = self.headers.get("Content-Length")
        chunked = "chunked" in self.headers.get("Transfer-Encoding", "").lower()
        return (int(length) if length and length.isdigit() else None), chunked

    def _read_body(self, length: int | None, chunked: bool):  # type: ignore[no-untyped-def]
        if chunked:
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return
                remaining = size
                while remaining:
                    chunk = self.rfile.read(min(CHUNK, remaining))
                    if not chunk:
                        return
                    remaining -= len(chunk)
                    yield chunk
                self.rfile.readline()
        elif length:
            remaining = length
            while remaining:
                chunk = self.rfile.read(min(CHUNK, remaining))
                if not chunk:
                    return
                remaining -= len(chunk)
                yield chunk

    def _forward(self) -> None:
        owner = self.owner
        started = time.monotonic()
        length, chunked = self._request_chunks()
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        if not owner.keep_host:
            headers["Host"] = owner.target_netloc
        sent = _Excerpt(bytearray())
        received = _Excerpt(bytearray())
        url = owner.target_base + self.path
        exchange = Exchange(method=self.command, url=self.path, request_headers=redact_headers(dict(self.headers)),
                            request_body="", status=None, response_headers={}, response_body="", duration_ms=0.0,
                            curl="")
        upstream = owner.connection()
        try:
            upstream.putrequest(self.command, url, skip_host=True, skip_accept_encoding=True)
            for name, value in headers.items():
                upstream.putheader(name, value)
            if chunked:
                upstream.putheader("Transfer-Encoding", "chunked")
            upstream.endheaders()
            for chunk in self._read_body(length, chunked):
                sent.add(chunk)
                try:
                    upstream.send(b"%x\r\n%s\r\n" % (len(chunk), chunk) if chunked else chunk)
                except OSError:
                    pass  # the target answered early and closed: drain the client's body, then read the answer
            if chunked:
                try:
                    upstream.send(b"0\r\n\r\n")
                except OSError:
                    pass
            response = upstream.getresponse()
            exchange.status = response.status
            exchange.response_headers = redact_headers({k.lower(): v for k, v in response.getheaders()})
            self.send_response_only(response.status, response.reason)
            body_length = response.getheader("Content-Length")
            for name, value in response.getheaders():
                if name.lower() not in HOP_BY_HOP:
                    self.send_header(name, value)
            stream_chunked = body_length is None and self.command != "HEAD" and response.status not in (204, 304)
            if stream_chunked:
                self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            while chunk := response.read(CHUNK):
                received.add(chunk)
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk) if stream_chunked else chunk)
            if stream_chunked:
                self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except OSError as error:
            exchange.error = f"{type(error).__name__}: {error}"
            if exchange.status is None:
                self._answer_bad_gateway(str(error))
            self.close_connection = True
        finally:
            upstream.close()
            exchange.request_body = sent.text()
            exchange.response_body = received.text()
            exchange.duration_ms = round((time.monotonic() - started) * 1000, 1)
            owner.record(exchange)

    def _answer_bad_gateway(self, reason: str) -> None:
        body = f"recording proxy: the target did not answer: {reason}\n".encode()
        try:
            self.send_response(502)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            pass
