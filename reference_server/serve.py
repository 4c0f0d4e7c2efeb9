"""Running the app on uvicorn: in the foreground (`serve`) or in a background thread (`running_server`).

The listening socket is bound here, so port 0 picks a free port and the real URL is known before serving.
Uvicorn's access log is off: request lines are never logged, and header values never are.
"""

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import uvicorn

from reference_server.app import create_app
from reference_server.settings import ServerSettings

STARTUP_TIMEOUT = 15.0


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP explicitly: asyncio only sets TCP_NODELAY on accepted sockets whose proto says TCP, and
    # without it every response waits for a delayed ACK (about 40 ms).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def make_server(settings: ServerSettings) -> uvicorn.Server:
    config = uvicorn.Config(create_app(settings), log_level="warning", access_log=False, lifespan="on",
                            timeout_graceful_shutdown=5)
    return uvicorn.Server(config)


def serve(host: str, port: int, settings: ServerSettings, on_ready: Callable[[str], None] | None = None) -> None:
    """Serve until interrupted. `on_ready(url)` is called once the socket is listening."""
    sock = bind(host, port)
    server = make_server(settings)
    if on_ready:
        on_ready(url_of(sock))  # connections wait in the listen backlog until uvicorn accepts them
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()


@contextmanager
def running_server(settings: ServerSettings, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Serve in a background thread; yields the base URL and stops the server on exit."""
    sock = bind(host, port)
    server = make_server(settings)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="reference-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            sock.close()
            raise RuntimeError("the reference server did not start")
        time.sleep(0.01)
    try:
        yield url_of(sock)
    finally:
        server.should_exit = True
        thread.join(STARTUP_TIMEOUT)
        sock.close()
