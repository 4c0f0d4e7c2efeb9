"""The opening of an upload, as every format's upload route does it: the body read before anything else under the
read_body_before_auth fault, the size limit (and its faults) checked against the declared length before the body
is read, and the body received into the store."""

from starlette.requests import ClientDisconnect, Request

from core.faults import Fault
from formats import FORMATS
from reference_server.errors import ApiError, bad_request, refused
from reference_server.settings import ServerSettings
from reference_server.storage import FileStore, ReceivedFile, TooLarge


def size_limit(request: Request, format_name: str) -> int | None:
    """The format's size limit on this server; None (no limit) under the no_size_limit fault."""
    settings: ServerSettings = request.app.state.settings
    return None if settings.has(Fault.NO_SIZE_LIMIT) else settings.size_limit(format_name)


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


def declared_size(request: Request) -> int | None:
    """The body's length as its Content-Length declares it (None without one)."""
    value = request.headers.get("content-length")
    return int(value) if value and value.isdigit() else None


def too_large(format_name: str, limit: int, size: int | None = None) -> ApiError:
    """The format's refusal of a file over its limit (of `size` bytes, where known)."""
    size_text = f"file size {size}" if size is not None else "file size"
    return refused(FORMATS[format_name].rules.too_large_status,
                   f"{size_text} exceeds the {format_name} limit of {limit} bytes")


async def body_before_auth(request: Request) -> ReceivedFile | None:
    """Under the read_body_before_auth fault, the whole body, read (and `100 Continue` sent) before any refusal;
    otherwise None: the body is read once every refusal that needs no body is made."""
    settings: ServerSettings = request.app.state.settings
    if not settings.has(Fault.READ_BODY_BEFORE_AUTH):
        return None
    store: FileStore = request.app.state.store
    return await store.receive(request.stream(), None)


def refuse_oversized(request: Request, format_name: str, received: ReceivedFile | None) -> int | None:
    """The format's limit here (see `size_limit`), once a file over it is refused, by its declared length or, when
    it was read already (`received`), by its size."""
    limit = size_limit(request, format_name)
    if limit is None:
        return None
    size = declared_size(request)
    if size is not None and over_limit(request, size, limit):
        raise too_large(format_name, limit, size)
    if received is not None and over_limit(request, received.size, limit):
        raise too_large(format_name, limit, received.size)
    return limit


async def receive_body(request: Request, format_name: str, limit: int | None) -> ReceivedFile:
    """The request body, streamed into the store and hashed on the way; a body over `limit` is refused as too large
    for the format, a client that went away mid-body with 400."""
    store: FileStore = request.app.state.store
    try:
        return await store.receive(request.stream(), stream_limit(request, limit))
    except TooLarge:
        assert limit is not None
        raise too_large(format_name, limit) from None
    except ClientDisconnect:
        raise bad_request("the client disconnected before the body was complete") from None
