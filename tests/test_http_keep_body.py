"""A pull of a download the registry builds reads it whole (`RequestSpec.keep_body`), past the usual excerpt."""

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from core.credentials import ANONYMOUS
from core.endpoints import Endpoint, RequestSpec
from core.route_auth import PACKAGES_API_ROUTE
from core.vocabulary import AuthScheme, Operation
from engine.drivers.base import EXCERPT_LIMIT
from engine.drivers.http import HttpDriver

BODY = bytes(range(256)) * ((EXCERPT_LIMIT * 2) // 256)
DOWNLOAD = Endpoint("download", "GET", "/file", Operation.PULL, 200, PACKAGES_API_ROUTE)


class Big(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802
        self.send_response(200)
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture()
def url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Big)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_download_is_kept_whole_only_when_asked(url: str) -> None:
    with HttpDriver(url) as driver:
        usual = driver.send(RequestSpec(DOWNLOAD, "/file"), ANONYMOUS, AuthScheme.NONE)
        whole = driver.send(RequestSpec(DOWNLOAD, "/file", keep_body=len(BODY)), ANONYMOUS, AuthScheme.NONE)
    assert usual.body_size == whole.body_size == len(BODY) and usual.body_sha256 == whole.body_sha256
    assert len(usual.body_excerpt) == EXCERPT_LIMIT
    assert whole.body_excerpt == BODY
