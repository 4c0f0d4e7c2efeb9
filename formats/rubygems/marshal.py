"""Ruby's Marshal format 4.8, the little of it GitLab's dependency API answers with: `Marshal.dump` of an Array of
Hashes with Symbol keys, String values (UTF-8) and Arrays of Strings (lib/api/rubygem_packages.rb, `get
'dependencies'`; the hash is DependencyResolverService's payload). A writer for the reference server and a reader for
the harness and the tests."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

MAJOR, MINOR = 4, 8


@dataclass(frozen=True, slots=True)
class Symbol:
    """A Ruby Symbol (`:name`): the keys of the dependency hashes."""

    name: str


def _long(n: int) -> bytes:
    """Marshal's `w_long`: small integers in one byte, others as 1 to 4 little-endian bytes after their count."""
    if n == 0:
        return b"\x00"
    if 0 < n < 123:
        return bytes([n + 5])
    if -124 < n < 0:
        return bytes([(n - 5) & 0xFF])
    out = bytearray()
    for i in range(1, 5):
        out.append(n & 0xFF)
        n >>= 8
        if n == 0 or n == -1:
            return bytes([i if n == 0 else 256 - i]) + bytes(out)
    raise ValueError("integer too large for Marshal's fixnum")


class _Writer:
    def __init__(self) -> None:
        self.out = bytearray([MAJOR, MINOR])
        self.symbols: dict[str, int] = {}

    def symbol(self, name: str) -> None:
        if name in self.symbols:
            self.out += b";" + _long(self.symbols[name])
            return
        self.symbols[name] = len(self.symbols)
        raw = name.encode()
        self.out += b":" + _long(len(raw)) + raw

    def value(self, value: object) -> None:
        if value is None:
            self.out += b"0"
        elif value is True:
            self.out += b"T"
        elif value is False:
            self.out += b"F"
        elif isinstance(value, int):
            self.out += b"i" + _long(value)
        elif isinstance(value, Symbol):
            self.symbol(value.name)
        elif isinstance(value, str):  # a UTF-8 String: the bytes, then the ivar E (encoding) = true
            raw = value.encode()
            self.out += b'I"' + _long(len(raw)) + raw + _long(1)
            self.symbol("E")
            self.out += b"T"
        elif isinstance(value, bytes):  # a binary (ASCII-8BIT) String: no encoding ivar
            self.out += b'"' + _long(len(value)) + value
        elif isinstance(value, Mapping):
            self.out += b"{" + _long(len(value))
            for key, item in value.items():
                self.value(key)
                self.value(item)
        elif isinstance(value, Sequence):
            self.out += b"[" + _long(len(value))
            for item in value:
                self.value(item)
        else:
            raise TypeError(f"Marshal cannot write {type(value).__name__}")


def dump(value: object) -> bytes:
    """`Marshal.dump(value)` for nil, booleans, fixnums, Symbols, Strings, Arrays and Hashes."""
    writer = _Writer()
    writer.value(value)
    return bytes(writer.out)


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.at = 0
        self.symbols: list[str] = []

    def byte(self) -> int:
        if self.at >= len(self.data):
            raise ValueError("Marshal data ends early")
        b = self.data[self.at]
        self.at += 1
        return b

    def take(self, n: int) -> bytes:
        if self.at + n > len(self.data):
            raise ValueError("Marshal data ends early")
        chunk = self.data[self.at:self.at + n]
        self.at += n
        return chunk

    def long(self) -> int:
        c = self.byte()
        if c == 0:
            return 0
        signed = c - 256 if c > 127 else c
        if 4 < signed < 128:
            return signed - 5
        if -129 < signed < -4:
            return signed + 5
        if signed > 0:
            return int.from_bytes(self.take(signed), "little")
        raw = self.take(-signed)
        return int.from_bytes(raw, "little") - (1 << (8 * len(raw)))

    def value(self) -> object:
        tag = chr(self.byte())
        if tag == "0":
            return None
        if tag == "T":
            return True
        if tag == "F":
            return False
        if tag == "i":
            return self.long()
        if tag == ":":
            name = self.take(self.long()).decode()
            self.symbols.append(name)
            return Symbol(name)
        if tag == ";":
            return Symbol(self.symbols[self.long()])
        if tag == '"':
            return self.take(self.long())
        if tag == "I":
            inner = self.value()
            for _ in range(self.long()):
                key, flag = self.value(), self.value()
                if isinstance(inner, bytes) and key == Symbol("E") and flag is True:
                    inner = inner.decode()
            return inner
        if tag == "[":
            return [self.value() for _ in range(self.long())]
        if tag == "{":
            pairs = [(self.value(), self.value()) for _ in range(self.long())]
            return dict(pairs)
        raise ValueError(f"Marshal type {tag!r} is not read here")


def load(data: bytes) -> object:
    """`Marshal.load` of what `dump` writes (and Ruby writes for the same values)."""
    if data[:2] != bytes([MAJOR, MINOR]):
        raise ValueError(f"not Marshal {MAJOR}.{MINOR} data")
    reader = _Reader(data)
    reader.at = 2
    value = reader.value()
    if reader.at != len(data):
        raise ValueError("trailing bytes after the Marshal value")
    return value


def dependency_list(data: bytes) -> list[dict[str, object]]:
    """The dependency API's answer as plain dicts: name, number, platform, dependencies ([name, requirement])."""
    value = load(data)
    if not isinstance(value, list):
        raise ValueError("the dependency API answers an Array")
    out = []
    for item in value:
        if not isinstance(item, dict):
            raise ValueError("each dependency entry is a Hash")
        out.append({key.name if isinstance(key, Symbol) else str(key): v for key, v in item.items()})
    return out
