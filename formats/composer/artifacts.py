"""A real Composer package: `composer.json` (name, description, type, license, PSR-4 autoload, the PHP it requires)
and PHP source under `src/`, padded with comment lines to about the size asked for.

What is committed is the package's files; what GitLab serves is a zip archive of the commit (`git archive`, with a
top-level directory of its own). The two are compared by content (`content_digest`): every file's path and bytes,
in path order, whatever the archive's own bytes (timestamps, compression, prefix) are.
"""

import hashlib
import io
import json
import random
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from core.format_types import iter_chunks
from formats.composer.names import archive_file_name, composer_name, php_namespace

LINE = 72  # bytes of a padding comment line


def content_stream(files: Mapping[str, bytes]) -> bytes:
    """The files as one canonical byte string: per file, in path order, `path NUL size NUL content`."""
    out = bytearray()
    for path in sorted(files):
        out += f"{path}\0{len(files[path])}\0".encode() + files[path]
    return bytes(out)


def content_digest(files: Mapping[str, bytes]) -> tuple[str, int]:
    """(sha256, size) of the canonical stream of the files."""
    data = content_stream(files)
    return hashlib.sha256(data).hexdigest(), len(data)


def archive_files(archive: bytes) -> dict[str, bytes] | None:
    """The files of a zip archive, the single top-level directory GitLab's archive puts them in taken off (as
    Composer does when it extracts a dist); None when the bytes are not a zip."""
    try:
        with zipfile.ZipFile(io.BytesIO(archive)) as zipped:
            entries = {info.filename: zipped.read(info) for info in zipped.infolist() if not info.is_dir()}
    except (zipfile.BadZipFile, ValueError, OSError):
        return None
    tops = {path.split("/", 1)[0] for path in entries}
    if len(tops) == 1 and all("/" in path for path in entries):
        entries = {path.split("/", 1)[1]: data for path, data in entries.items()}
    return entries


def composer_json(name: str, version: str, seed: int) -> dict[str, object]:
    namespace = php_namespace(name)
    return {
        "name": composer_name(name),
        "description": f"Harness package {name} {version} (seed {seed})",
        "type": "library",
        "license": "MIT",
        "require": {"php": ">=7.4"},
        "autoload": {"psr-4": {namespace + "\\": "src/"}},
    }


def php_source(name: str, version: str, size: int, seed: int) -> bytes:
    namespace = php_namespace(name)
    head = (f"<?php\n\ndeclare(strict_types=1);\n\nnamespace {namespace};\n\n"
            "final class Greeter\n{\n"
            f"    public const VERSION = '{version}';\n\n"
            "    public function greet(string $who): string\n    {\n"
            f"        return 'Hello ' . $who . ' from {name} ' . self::VERSION;\n    }}\n}}\n")
    body = bytearray(head.encode())
    rng = random.Random(seed)
    words = ("alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel")
    block = bytearray()  # 64 comment lines of the seed, repeated: a large package's archive deflates to little
    for _ in range(64):
        line = "// " + " ".join(rng.choice(words) for _ in range(12))
        block += (line[:LINE - 1].ljust(LINE - 1) + "\n").encode()
    lines = max(0, size - len(body)) // LINE
    whole, rest = divmod(lines, 64)
    body += bytes(block) * whole + bytes(block[:rest * LINE])
    return bytes(body)


@dataclass(frozen=True)
class ComposerPackage:
    """One version's files. As an Artifact its bytes are the canonical content stream (`content_stream`), so
    `sha256()` and `size` are what a download's archive must hold (`archive_files` → `content_digest`)."""

    name: str
    version: str
    size_hint: int
    seed: int

    @cached_property
    def files(self) -> dict[str, bytes]:
        manifest = json.dumps(composer_json(self.name, self.version, self.seed), indent=4).encode() + b"\n"
        source = php_source(self.name, self.version, max(0, self.size_hint - len(manifest)), self.seed)
        return {"composer.json": manifest, "src/Greeter.php": source}

    @cached_property
    def _stream(self) -> bytes:
        return content_stream(self.files)

    @property
    def file_name(self) -> str:
        return archive_file_name(self.name, self.version)

    @property
    def size(self) -> int:
        return len(self._stream)

    def chunks(self) -> Iterator[bytes]:
        return iter_chunks(self._stream)

    def sha256(self) -> str:
        return hashlib.sha256(self._stream).hexdigest()

    def write_to(self, directory: Path) -> Path:
        """The package's files in `directory` (its root: composer.json), the directory returned."""
        for path, data in self.files.items():
            target = directory / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        return directory


@dataclass(frozen=True)
class BrokenPackage(ComposerPackage):
    """Named as a package, but its composer.json is not JSON: GitLab's format guard (ComposerJsonService) refuses
    the publish with 422."""

    @cached_property
    def files(self) -> dict[str, bytes]:
        return {"composer.json": b"not_valid_JSON\n", "src/Greeter.php": php_source(self.name, self.version, 0, 0)}
