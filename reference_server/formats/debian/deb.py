"""A `.deb`'s control fields, as GitLab reads them (Packages::Debian::ExtractDebMetadataService runs `dpkg-deb
--field`; ParseDebian822Service parses the paragraph): the ar archive's `control.tar.*` member, its `./control`,
fields with their continuation lines."""

import io
import lzma
import tarfile
import zlib
from pathlib import Path

AR_MAGIC = b"!<arch>\n"
MAX_CONTROL = 16 << 20  # a control archive larger than this is refused (GitLab has no such member limit; dpkg's)


class DebError(Exception):
    """The file is no valid Debian binary package."""


def _members(path: Path) -> dict[str, bytes]:
    """The ar members before the data archive (`debian-binary` and `control.tar.*`), read from the file."""
    found: dict[str, bytes] = {}
    with path.open("rb") as file:
        if file.read(8) != AR_MAGIC:
            raise DebError("not an ar archive")
        while True:
            header = file.read(60)
            if len(header) < 60:
                break
            if header[58:60] != b"`\n":
                raise DebError("bad ar member header")
            name = header[:16].decode("ascii", "replace").strip().rstrip("/")
            try:
                size = int(header[48:58].decode("ascii").strip())
            except ValueError:
                raise DebError("bad ar member size") from None
            if name.startswith("data.tar"):
                found[name] = b""
                break
            if size > MAX_CONTROL:
                raise DebError(f"ar member {name} too large")
            found[name] = file.read(size)
            file.read(size % 2)
    return found


def _decompress(name: str, data: bytes) -> bytes:
    if name.endswith(".gz"):
        return zlib.decompress(data, 16 + zlib.MAX_WBITS)
    if name.endswith(".xz"):
        return lzma.decompress(data)
    if name == "control.tar":
        return data
    raise DebError(f"unsupported control archive {name}")


def parse_paragraph(text: str) -> dict[str, str]:
    """One deb822 paragraph: `Field: value` lines, continuation lines (starting with a space) appended."""
    fields: dict[str, str] = {}
    last: str | None = None
    for line in text.splitlines():
        if not line.strip():
            if fields:
                break
            continue
        if line[0] in " \t":
            if last is None:
                raise DebError("continuation line without a field")
            fields[last] += "\n" + line
            continue
        key, sep, value = line.partition(":")
        if not sep:
            raise DebError(f"bad control line: {line[:40]!r}")
        last = key.strip()
        fields[last] = value.strip()
    return fields


def control_fields(path: Path) -> dict[str, str]:
    """The package's control fields; DebError when the file is no .deb (format 2.0, a control archive, a data
    archive) or its control file lacks Package, Version or Architecture."""
    try:
        members = _members(path)
    except OSError as error:
        raise DebError(str(error)) from None
    if members.get("debian-binary", b"").split(b"\n")[0] != b"2.0":
        raise DebError("no debian-binary 2.0 member")
    control_name = next((n for n in members if n.startswith("control.tar")), None)
    if control_name is None or not any(n.startswith("data.tar") for n in members):
        raise DebError("no control or data archive")
    try:
        with tarfile.open(fileobj=io.BytesIO(_decompress(control_name, members[control_name]))) as archive:
            member = next((m for m in archive.getmembers() if m.name in ("./control", "control")), None)
            extracted = archive.extractfile(member) if member is not None else None
            if extracted is None:
                raise DebError("no control file")
            text = extracted.read().decode("utf-8", "replace")
    except (tarfile.TarError, zlib.error, lzma.LZMAError, EOFError) as error:
        raise DebError(f"bad control archive: {error}") from None
    fields = parse_paragraph(text)
    for required in ("Package", "Version", "Architecture"):
        if not fields.get(required):
            raise DebError(f"control file without {required}")
    return fields
