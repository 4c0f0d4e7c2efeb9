"""The .nuspec of an uploaded package, read as GitLab reads it: the first `*.nuspec` at the archive's top
(`zip_file.glob('*.nuspec').first`), at most 4 MiB (Packages::Nuget::ExtractMetadataFileService), and the id,
version, authors and description of its `<metadata>` (Packages::Nuget::ExtractMetadataContentService: XPath on the
element names, whatever the nuspec namespace)."""

import zipfile
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

from formats.nuget import NUSPEC_MAX


class ExtractionError(Exception):
    """The upload is no package GitLab can read (answered 400)."""


class NuspecMissing(ExtractionError):
    """A zip without a top-level .nuspec (`reason: :nuspec_extraction_failed`: GitLab falls back to the worker)."""


@dataclass(frozen=True)
class Nuspec:
    name: str
    version: str
    authors: str
    description: str
    symbols: bool


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def read_nuspec(path: Path) -> Nuspec:
    try:
        with zipfile.ZipFile(path) as archive:
            entry = next((i for i in archive.infolist() if "/" not in i.filename and i.filename.endswith(".nuspec")),
                         None)
            if entry is None:
                raise NuspecMissing("nuspec file not found")
            if entry.file_size > NUSPEC_MAX:
                raise ExtractionError("nuspec file too big")
            data = archive.read(entry)
    except (zipfile.BadZipFile, OSError, EOFError) as error:
        raise ExtractionError(f"invalid package file: {error}") from None
    try:
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError as error:
        raise ExtractionError(f"invalid nuspec: {error}") from None
    fields: dict[str, str] = {}
    symbols = False
    for element in root.iter():
        tag = _local(element.tag)
        if tag in ("id", "version", "authors", "description") and tag not in fields:
            fields[tag] = (element.text or "").strip()
        if tag == "packageType" and element.get("name") == "SymbolsPackage":
            symbols = True
    return Nuspec(fields.get("id", ""), fields.get("version", ""), fields.get("authors", ""),
                  fields.get("description", ""), symbols)
