"""Keep `%2F` inside a path segment, so `/projects/group%2Fproject/...` routes with the full path as one `:id`.

ASGI servers decode `%2F` into `/` in `scope["path"]`; this middleware rebuilds the path from `raw_path`,
decoding each segment but re-encoding a slash inside one. Handlers decode the id with `unquote`.
"""

from urllib.parse import unquote

from starlette.types import ASGIApp, Receive, Scope, Send


class EncodedSlashMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        raw = scope.get("raw_path")
        if scope["type"] == "http" and raw and b"%2f" in raw.lower():
            raw_path = raw.decode("latin-1").split("?", 1)[0]
            segments = [unquote(segment).replace("/", "%2F") for segment in raw_path.split("/")]
            scope = {**scope, "path": "/".join(segments)}
        await self.app(scope, receive, send)
