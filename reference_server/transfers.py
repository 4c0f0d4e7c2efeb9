"""What every format's file routes share: receiving an upload's body into the store, and the corrupt_download
fault's stream."""

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import anyio
from starlette.requests import ClientDisconnect, Request

from reference_server.errors import ApiError, bad_request
from reference_server.storage import FileStore, ReceivedFile, TooLarge


async def receive_body(request: Request, store: FileStore, limit: int | None,
                       too_large: Callable[[int], ApiError]) -> ReceivedFile:
    """The request body, streamed into the store and hashed on the way; a body over `limit` is refused with the
    format's own `too_large(limit)`, a client that went away mid-body with 400."""
    try:
        return await store.receive(request.stream(), limit)
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
