"""GitLab-style package rate limiting: a token bucket per client address on the package route prefixes.

A throttled request gets 429 with `Retry-After` and Rack::Attack's body, `Retry later`.
"""

import math
import threading
import time

from starlette.types import ASGIApp, Receive, Scope, Send

from core.format_types import RATE_LIMITED_PATH as PACKAGE_ROUTES  # GitLab's package prefixes, defined once


class TokenBucket:
    """`rate` tokens a second, holding at most `rate` (one second's burst, at least 1)."""

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self.capacity = max(rate, 1.0)
        self.tokens = self.capacity
        self.updated = time.monotonic()

    def take(self) -> float:
        """0 when a token was taken, else the seconds until one is available."""
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate


class RateLimitMiddleware:
    def __init__(self, app: ASGIApp, rate_per_second: float | None) -> None:
        self.app = app
        self.rate = rate_per_second
        self.buckets: dict[str, TokenBucket] = {}
        self.lock = threading.Lock()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.rate is None or scope["type"] != "http" or not PACKAGE_ROUTES.match(scope["path"]):
            await self.app(scope, receive, send)
            return
        client = (scope.get("client") or ("unknown", 0))[0]
        with self.lock:
            wait = self.buckets.setdefault(client, TokenBucket(self.rate)).take()
        if wait == 0:
            await self.app(scope, receive, send)
            return
        body = b"Retry later\n"
        headers = [
            (b"content-type", b"text/plain"),
            (b"content-length", str(len(body)).encode()),
            (b"retry-after", str(max(1, math.ceil(wait))).encode()),
            (b"ratelimit-name", b"throttle_packages_api"),
            (b"ratelimit-limit", str(self.rate).encode()),
        ]
        await send({"type": "http.response.start", "status": 429, "headers": headers})
        await send({"type": "http.response.body", "body": body})
