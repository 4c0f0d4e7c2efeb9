"""The driver interface: send one request (a format operation's RequestSpec) and observe what came back.

A driver is anything that can carry a request to the target: plain HTTP (`http`), or a real package-manager
client (`npm`, `pip`, `mvn`, `curl`, …) run in a container or on the host. Every driver returns the same
`Observation`, so expectations, results and reports never depend on which one ran.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from core.credentials import Credential
from core.format_types import RequestSpec
from core.results import Exchange
from core.vocabulary import AuthScheme

EXCERPT_LIMIT = 1 << 20  # bytes of a response body an Observation keeps; the rest is only hashed and counted


@dataclass
class Observation:
    """What a driver saw for one request. Bodies are never held whole: they are hashed and counted as they pass."""

    status: int | None  # None when no response came (connection refused, reset, timeout)
    headers: dict[str, str]  # response headers, lower-case names
    body_excerpt: bytes  # the first EXCERPT_LIMIT bytes of the response body at most
    body_size: int  # bytes of response body received in all
    body_sha256: str  # hex digest of the whole response body received
    sent_size: int  # bytes of request body actually sent
    sent_sha256: str | None  # hex digest of the request body sent; None when there was no body
    body_sent: bool  # False when the server answered before the (whole) request body went out
    duration_ms: float
    exchange: Exchange  # the redacted transcript of the request and response
    error: str | None = None  # transport error text
    go_ahead: str = ""  # what let the body go (`100 Continue after 3 ms`, `no answer within 2 s`); "" otherwise

    def json(self) -> Any:
        """The response body parsed as JSON; a clear ValueError when it is not JSON (or was cut at the excerpt)."""
        if self.body_size > len(self.body_excerpt):
            raise ValueError(f"response body of {self.body_size} bytes is larger than the "
                             f"{len(self.body_excerpt)}-byte excerpt: not parsed as JSON")
        try:
            return json.loads(self.body_excerpt)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            start = self.body_excerpt[:200].decode("utf-8", errors="replace")
            raise ValueError(f"response body (status {self.status}) is not JSON ({exc}): {start!r}") from None


class BodyDigest:
    """Hashes and counts a body chunk by chunk, keeping only its first `limit` bytes."""

    def __init__(self, limit: int = EXCERPT_LIMIT) -> None:
        self._sha256 = hashlib.sha256()
        self._excerpt = bytearray()
        self._limit = limit
        self.size = 0

    def update(self, chunk: bytes | bytearray | memoryview) -> None:
        self._sha256.update(chunk)
        self.size += len(chunk)
        room = self._limit - len(self._excerpt)
        if room > 0:
            self._excerpt += chunk[:room]

    @property
    def sha256(self) -> str:
        return self._sha256.hexdigest()

    @property
    def excerpt(self) -> bytes:
        return bytes(self._excerpt)


@runtime_checkable
class Driver(Protocol):
    """Sends a request as a client would, presenting `credential` in `scheme`. Never raises on transport errors:
    those are reported in `Observation.error` with `status` None."""

    name: str

    def send(self, spec: RequestSpec, credential: Credential, scheme: AuthScheme) -> Observation: ...
