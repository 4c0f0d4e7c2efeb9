"""Real `.gem` files, as `gem build` writes them: an uncompressed tar of `metadata.gz` (the gzipped YAML
`Gem::Specification`), `data.tar.gz` (the gem's files) and `checksums.yaml.gz` (SHA256 and SHA512 of the other two),
in that order (Gem::Package#build).

Any size, streamed: the payload (`data/payload.bin`, random bytes from the seed) is never held in memory whole. Every
gzip member uses stored (uncompressed) deflate blocks, so each size is known before a byte is written and the gem is
exactly the size asked for: the last bytes are zeros after the tar's end-of-archive blocks, which RubyGems' tar
reader (and every tar reader) stops at. The checksums come last, so they are computed as the data goes out.
"""

import hashlib
import random
import struct
import tarfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from core.format_types import streamed_sha256, write_streamed
from formats.rubygems.names import gem_file_name
from formats.rubygems.rules import DEFAULT_PLATFORM

BLOCK = 512
END_OF_ARCHIVE = 2 * BLOCK
_STORED_MAX = 65535  # the largest stored deflate block
_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"  # deflate, no flags, mtime 0, unknown OS
_FINAL_EMPTY_BLOCK = b"\x01\x00\x00\xff\xff"
_CHUNK = 1 << 16
RUBYGEMS_VERSION = "3.3.15"  # what Debian bookworm's `gem build` writes
DATE = "2024-01-01 00:00:00.000000000 Z"


def _pad(n: int) -> int:
    return -n % BLOCK


def gzip_stored_size(length: int) -> int:
    """The size of a gzip member of `length` bytes in stored deflate blocks of at most 65535 bytes."""
    full, rest = divmod(length, _STORED_MAX)
    return len(_GZIP_HEADER) + full * (_STORED_MAX + 5) + (rest + 5 if rest else 0) + len(_FINAL_EMPTY_BLOCK) + 8


class StoredGzip:
    """A gzip writer that stores: `feed` chunks of any size, `finish` for the trailer; the output is exactly
    `gzip_stored_size(total)` bytes, however the input was chunked."""

    def __init__(self) -> None:
        self.pending = bytearray()
        self.crc = 0
        self.length = 0
        self.started = False

    def _block(self, data: bytes | bytearray) -> bytes:
        return b"\x00" + struct.pack("<HH", len(data), len(data) ^ 0xFFFF) + bytes(data)

    def feed(self, data: bytes) -> bytes:
        self.crc = zlib.crc32(data, self.crc)
        self.length += len(data)
        self.pending += data
        out = bytearray()
        if not self.started:
            out += _GZIP_HEADER
            self.started = True
        while len(self.pending) >= _STORED_MAX:
            out += self._block(self.pending[:_STORED_MAX])
            del self.pending[:_STORED_MAX]
        return bytes(out)

    def finish(self) -> bytes:
        out = bytearray() if self.started else bytearray(_GZIP_HEADER)
        if self.pending:
            out += self._block(self.pending)
            self.pending.clear()
        out += _FINAL_EMPTY_BLOCK + struct.pack("<II", self.crc, self.length & 0xFFFFFFFF)
        return bytes(out)


def gzip_stored(data: bytes) -> bytes:
    writer = StoredGzip()
    return writer.feed(data) + writer.finish()


def tar_header(name: str, size: int, mode: int = 0o644) -> bytes:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = size, mode, 0
    info.uname = info.gname = "wheel"
    return info.tobuf(tarfile.USTAR_FORMAT, "utf-8", "strict")


def _yaml_str(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


@dataclass(frozen=True)
class Dependency:
    name: str
    requirement: str = ">= 0"  # "~> 1.0", ">= 2, < 3": comma-separated constraints
    type: str = "runtime"  # or development


def _requirement_yaml(requirement: str, indent: str) -> str:
    lines = [f"{indent}requirements:"]
    for constraint in requirement.split(","):
        op, _, version = constraint.strip().partition(" ")
        lines += [f"{indent}- - {_yaml_str(op)}", f"{indent}  - !ruby/object:Gem::Version",
                  f"{indent}    version: {_yaml_str(version.strip())}"]
    return "\n".join(lines)


def gemspec_yaml(name: str, version: str, files: list[str], *, summary: str, platform: str = DEFAULT_PLATFORM,
                 dependencies: tuple[Dependency, ...] = ()) -> bytes:
    """The YAML `Gem::Specification#to_yaml` writes (the document `metadata.gz` holds)."""
    deps = "dependencies: []" if not dependencies else "dependencies:\n" + "\n".join(
        f"- !ruby/object:Gem::Dependency\n  name: {_yaml_str(d.name)}\n  requirement: !ruby/object:Gem::Requirement\n"
        f"{_requirement_yaml(d.requirement, '    ')}\n  type: :{d.type}\n  prerelease: false\n"
        f"  version_requirements: !ruby/object:Gem::Requirement\n{_requirement_yaml(d.requirement, '    ')}"
        for d in dependencies)
    file_lines = "\n".join(f"- {_yaml_str(f)}" for f in files)
    text = f"""--- !ruby/object:Gem::Specification
name: {_yaml_str(name)}
version: !ruby/object:Gem::Version
  version: {_yaml_str(version)}
platform: {platform}
authors:
- Package Registry Rollout Harness
autorequire:
bindir: bin
cert_chain: []
date: {DATE}
{deps}
description: {_yaml_str(summary)}
email:
- harness@example.com
executables: []
extensions: []
extra_rdoc_files: []
files:
{file_lines}
homepage: https://example.com/{name}
licenses:
- MIT
metadata: {{}}
post_install_message:
rdoc_options: []
require_paths:
- lib
required_ruby_version: !ruby/object:Gem::Requirement
{_requirement_yaml('>= 0', '  ')}
required_rubygems_version: !ruby/object:Gem::Requirement
{_requirement_yaml('>= 0', '  ')}
requirements: []
rubygems_version: {RUBYGEMS_VERSION}
signing_key:
specification_version: 4
summary: {_yaml_str(summary)}
test_files: []
"""
    return text.encode()


def _checksums_yaml(sha256: dict[str, str], sha512: dict[str, str]) -> bytes:
    lines = ["---", "SHA256:"] + [f"  {k}: {v}" for k, v in sha256.items()] + ["SHA512:"] + [
        f"  {k}: {v}" for k, v in sha512.items()]
    return ("\n".join(lines) + "\n").encode()


_ENTRIES = ("metadata.gz", "data.tar.gz")
# checksums.yaml's length does not depend on the digests (hex of fixed length)
_CHECKSUMS_LEN = len(_checksums_yaml({k: "0" * 64 for k in _ENTRIES}, {k: "0" * 128 for k in _ENTRIES}))


@dataclass(frozen=True)
class GemArtifact:
    """A real gem of `name` and `version`, exactly `requested_size` bytes when that is at least the smallest such gem
    (about 5 KiB; smaller requests get the smallest): `lib/<name>.rb`, and `data/payload.bin` of random bytes from
    `seed` filling the rest."""

    name: str
    version: str
    requested_size: int = 0
    seed: int = 0
    dependencies: tuple[Dependency, ...] = ()
    platform: str = DEFAULT_PLATFORM
    _sizes: dict[str, int] = field(default_factory=dict, compare=False, repr=False)

    @property
    def file_name(self) -> str:
        return gem_file_name(self.name, self.version, self.platform)

    def _ruby_file(self) -> bytes:
        parts = self.name.replace("-", "_").replace(".", "_").split("_")
        module = "".join(part.capitalize() for part in parts) or "Gem"
        module = module if module[0].isalpha() else "G" + module
        return (f"# {self.name} {self.version}, generated by the package-registry rollout harness (seed "
                f"{self.seed}).\nmodule {module}\n  VERSION = {self.version!r}\nend\n").encode()

    def _files(self, payload: int) -> list[str]:
        return [f"lib/{self.name}.rb"] + (["data/payload.bin"] if payload else [])

    def metadata_gz(self, payload: int) -> bytes:
        summary = f"{self.name} {self.version}, a gem built by the package-registry rollout harness"
        return gzip_stored(gemspec_yaml(self.name, self.version, self._files(payload), summary=summary,
                                        platform=self.platform, dependencies=self.dependencies))

    def _data_tar_size(self, payload: int) -> int:
        ruby = len(self._ruby_file())
        size = BLOCK + ruby + _pad(ruby) + END_OF_ARCHIVE
        if payload:
            size += BLOCK + payload + _pad(payload)
        return size

    def _minimal_size(self, payload: int) -> int:
        """The gem's size with `payload` bytes of payload, before the trailing zeros."""
        total = 0
        for length in (len(self.metadata_gz(payload)), gzip_stored_size(self._data_tar_size(payload)),
                       gzip_stored_size(_CHECKSUMS_LEN)):
            total += BLOCK + length + _pad(length)
        return total + END_OF_ARCHIVE

    @property
    def payload_size(self) -> int:
        """The largest payload (a multiple of 512) whose gem is not over the requested size."""
        if "payload" not in self._sizes:
            base = self._minimal_size(0)
            payload = 0
            if self.requested_size > base + BLOCK:
                blocks = -(-self.requested_size // _STORED_MAX) + 1
                payload = max(0, self.requested_size - base - BLOCK - 5 * blocks - 2 * BLOCK)
                payload -= payload % BLOCK
                while payload and self._minimal_size(payload) > self.requested_size:
                    payload -= BLOCK
            self._sizes["payload"] = payload
        return self._sizes["payload"]

    @property
    def size(self) -> int:
        return max(self.requested_size, self._minimal_size(self.payload_size))

    def _payload_chunks(self, length: int) -> Iterator[bytes]:
        rng = random.Random(f"{self.name}-{self.version}-{self.seed}")
        left = length
        while left:
            n = min(_CHUNK, left)
            yield rng.randbytes(n)
            left -= n

    def _data_tar(self, payload: int) -> Iterator[bytes]:
        ruby = self._ruby_file()
        yield tar_header(f"lib/{self.name}.rb", len(ruby)) + ruby + b"\0" * _pad(len(ruby))
        if payload:
            yield tar_header("data/payload.bin", payload)
            yield from self._payload_chunks(payload)
            yield b"\0" * _pad(payload)
        yield b"\0" * END_OF_ARCHIVE

    def chunks(self) -> Iterator[bytes]:
        payload = self.payload_size
        sha256 = {k: hashlib.sha256() for k in _ENTRIES}
        sha512 = {k: hashlib.sha512() for k in _ENTRIES}
        metadata = self.metadata_gz(payload)
        sha256["metadata.gz"].update(metadata)
        sha512["metadata.gz"].update(metadata)
        yield tar_header("metadata.gz", len(metadata), 0o444) + metadata + b"\0" * _pad(len(metadata))
        data_size = gzip_stored_size(self._data_tar_size(payload))
        yield tar_header("data.tar.gz", data_size, 0o444)
        writer = StoredGzip()
        for piece in self._data_tar(payload):
            out = writer.feed(piece)
            if out:
                sha256["data.tar.gz"].update(out)
                sha512["data.tar.gz"].update(out)
                yield out
        tail = writer.finish()
        sha256["data.tar.gz"].update(tail)
        sha512["data.tar.gz"].update(tail)
        yield tail + b"\0" * _pad(data_size)
        checksums = gzip_stored(_checksums_yaml({k: h.hexdigest() for k, h in sha256.items()},
                                                {k: h.hexdigest() for k, h in sha512.items()}))
        yield tar_header("checksums.yaml.gz", len(checksums), 0o444) + checksums + b"\0" * _pad(len(checksums))
        yield b"\0" * (END_OF_ARCHIVE + self.size - self._minimal_size(payload))

    def sha256(self) -> str:
        return streamed_sha256(self)

    def write_to(self, directory: Path) -> Path:
        return write_streamed(self, directory)

    def data(self) -> bytes:
        return b"".join(self.chunks())
