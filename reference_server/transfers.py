"""What every format's file routes share: the size-limit comparison, receiving an upload's body into the store, and
the corrupt_download fault's stream."""

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import anyio
from starlette.requests import ClientDisconnect, Request

from core.faults import Fault
from reference_server.db import PROCESSING
from reference_server.errors import ApiError, bad_request
from reference_server.settings import ServerSettings
from reference_server.storage import FileStore, ReceivedFile, TooLarge


def over_limit(request: Request, size: int, limit: int | None) -> bool:
    """True when a file of `size` bytes is too large for `limit` (None: no limit): over it, or, under the
    at_limit_refused fault, at it too (the off-by-one `size >= limit`)."""
    settings: ServerSettings = request.app.state.settings
    if limit is None:
        return False
    return size >= limit if settings.has(Fault.AT_LIMIT_REFUSED) else size > limit


def stream_limit(request: Request, limit: int | None) -> int | None:
    """The most bytes `FileStore.receive` may take for a file under `limit` (it refuses anything over it): the limit
    itself, or one byte less under the at_limit_refused fault."""
    settings: ServerSettings = request.app.state.settings
    if limit is None or not settings.has(Fault.AT_LIMIT_REFUSED):
        return limit
    return limit - 1


def new_package_status(request: Request, status: str = "default") -> str:
    """The status a package created by this upload gets: `status`, or, under the processing_stuck fault, GitLab's
    `processing`, which it then keeps (its metadata extraction never ends)."""
    settings: ServerSettings = request.app.state.settings
    return PROCESSING if settings.has(Fault.PROCESSING_STUCK) else status


async def receive_body(request: Request, store: FileStore, limit: int | None,
                       too_large: Callable[[int], ApiError]) -> ReceivedFile:
    """The request body, streamed into the store and hashed on the way; a body over `limit` is refused with the
    format's own `too_large(limit)`, a client that went away mid-body with 400."""
    try:
        return await store.receive(request.stream(), stream_limit(request, limit))
    except TooLarge:
        assert limit is not None
        raise too_large(limit) from None
    except ClientDisconnect:
        raise bad_request("the client disconnected before the body was complete") from None


async def flipped(path: Path) -> AsyncIterator[bytes]:
    """The file with its first byte flipped (the corrupt_download fault)."""
    first = True
    async with await anyio.open_file(path, "rb") as file:
        while chunk := await file.read(1 << 16):
            if first:
                chunk = bytes([chunk[0] ^ 0xFF]) + chunk[1:]
                first = False
            yield chunk
