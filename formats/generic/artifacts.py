"""Generic's artifact: a deterministic file of any size, streamed (npm and PyPI use it for their payloads)."""

import random
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from core.format_types import streamed_sha256, write_streamed


@dataclass(frozen=True)
class GeneratedFile:
    """A deterministic file of any size, produced chunk by chunk (never held in memory whole).

    Each 1 MiB chunk is one random block, seeded by `seed`, with the chunk's index written over
    its first 8 bytes, so no two chunks are alike and a misplaced chunk changes the digest.
    """

    size: int
    seed: int = 0
    chunk_size: int = 1 << 20
    file_name: str = "package.bin"

    @cached_property
    def _block(self) -> bytes:
        return random.Random(self.seed).randbytes(self.chunk_size)

    def chunks(self) -> Iterator[bytes]:
        remaining, index = self.size, 0
        while remaining > 0:
            take = min(remaining, self.chunk_size)
            chunk = index.to_bytes(8, "big") + self._block[8:]
            yield chunk[:take]
            remaining -= take
            index += 1

    def sha256(self) -> str:
        return streamed_sha256(self)

    def write_to(self, directory: Path) -> Path:
        return write_streamed(self, directory)
