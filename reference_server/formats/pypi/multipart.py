"""A streaming `multipart/form-data` reader, so a PyPI upload of any size passes through in O(chunk) memory.

twine and uv send the package file as one part (`content`) of a multipart form beside small metadata fields.
Starlette's form parser needs python-multipart and spools the file; this reader hands the file part to
`FileStore.receive` as a stream of chunks instead, and keeps only small fields in memory (each one bounded).
"""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from email.message import Message

HEADER_LIMIT = 16 << 10  # bytes of one part's header block
FIELD_LIMIT = 1 << 20  # bytes of one non-file field (a long description is the largest twine sends)


class MultipartError(ValueError):
    """The body is not the multipart form its Content-Type announced; the message says what is wrong."""


def boundary_of(content_type: str) -> str | None:
    """The boundary of a `multipart/form-data` Content-Type, or None when it is another type or has none."""
    message = Message()
    message["content-type"] = content_type
    if message.get_content_type() != "multipart/form-data":
        return None
    boundary = message.get_param("boundary")
    return boundary if isinstance(boundary, str) and 0 < len(boundary) <= 200 else None


@dataclass(frozen=True)
class Part:
    name: str
    filename: str | None  # set for file parts


class MultipartReader:
    """Reads parts one at a time: `next_part()`, then either `data()` (a stream) or `text()` (a bounded field).

    A part not read is skipped by the next `next_part()`.
    """

    def __init__(self, stream: AsyncIterator[bytes], boundary: str) -> None:
        self._stream = stream
        self._delimiter = f"\r\n--{boundary}".encode()
        self._buffer = bytearray(b"\r\n")  # so the first delimiter looks like every other one
        self._in_part = False
        self._done = False
        self.received = 0  # bytes of the body taken from the stream so far
        self.closing_size = len(self._delimiter) + 2  # the closing delimiter, `--` included

    @property
    def position(self) -> int:
        """The offset in the body of the next byte to be read (the start of a part's data after `next_part`); the
        two bytes the buffer started with are not the body's, and were consumed with the first delimiter."""
        return self.received - len(self._buffer)

    async def _fill(self) -> bool:
        """Append the next chunk of the body; False at its end."""
        async for chunk in self._stream:
            if chunk:
                self._buffer += chunk
                self.received += len(chunk)
                return True
        return False

    async def _need(self, size: int) -> None:
        while len(self._buffer) < size:
            if not await self._fill():
                raise MultipartError("the body ended before the closing boundary")

    async def data(self) -> AsyncIterator[bytes]:
        """The current part's bytes, as they arrive (a delimiter split across chunks is held back until known)."""
        keep = len(self._delimiter) - 1
        while self._in_part:
            index = self._buffer.find(self._delimiter)
            if index >= 0:
                if index:
                    yield bytes(self._buffer[:index])
                del self._buffer[:index]
                self._in_part = False
                return
            if len(self._buffer) > keep:
                out = bytes(self._buffer[:-keep])
                del self._buffer[:-keep]
                yield out
            if not await self._fill():
                raise MultipartError("the body ended inside a part")

    async def text(self, limit: int = FIELD_LIMIT) -> str:
        """The current part as UTF-8 text, refused past `limit` bytes."""
        value = bytearray()
        async for chunk in self.data():
            value += chunk
            if len(value) > limit:
                raise MultipartError(f"a form field is larger than {limit} bytes")
        try:
            return value.decode()
        except UnicodeDecodeError:
            raise MultipartError("a form field is not UTF-8 text") from None

    async def next_part(self) -> Part | None:
        """The next part's name and file name; None after the closing boundary."""
        if self._done:
            return None
        if not self._in_part and not self._buffer.startswith(self._delimiter):
            self._in_part = True  # the preamble, before the first delimiter
        async for _ in self.data():
            pass
        await self._need(len(self._delimiter) + 2)
        after = len(self._delimiter)
        if self._buffer[after: after + 2] == b"--":
            self._done = True
            return None
        while b"\r\n\r\n" not in self._buffer[after:]:
            if len(self._buffer) - after > HEADER_LIMIT:
                raise MultipartError(f"a part's headers are longer than {HEADER_LIMIT} bytes")
            if not await self._fill():
                raise MultipartError("the body ended inside a part's headers")
        end = self._buffer.index(b"\r\n\r\n", after)
        line_end = self._buffer.index(b"\r\n", after)
        if self._buffer[after:line_end].strip(b" \t"):
            raise MultipartError("a boundary line has text after the boundary")
        headers = bytes(self._buffer[line_end + 2: end]).decode("utf-8", "replace")
        del self._buffer[: end + 4]  # the part's data starts here
        self._in_part = True
        return _parse_part(headers)


def _parse_part(headers: str) -> Part:
    message = Message()
    for line in headers.split("\r\n"):
        key, sep, value = line.partition(":")
        if sep:
            message[key.strip()] = value.strip()
    if message.get("content-disposition") is None:
        raise MultipartError("a part has no Content-Disposition header")
    name = message.get_param("name", header="content-disposition")
    if not isinstance(name, str):
        raise MultipartError("a part's Content-Disposition has no name")
    filename = message.get_filename()
    return Part(name, filename)
