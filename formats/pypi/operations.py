"""PyPI's FormatOperations: what the engine and Locust users call."""

import json
import threading
from html.parser import HTMLParser
from urllib.parse import urldefrag

from core.format_types import Artifact, BytesArtifact, FormatOperations, MetadataEntry, RequestSpec
from formats.pypi import requests
from formats.pypi.artifacts import WheelArtifact, build_sdist
from formats.pypi.names import normalize_name, normalize_version, parse_file_name, sdist_file_name, wheel_file_name
from formats.pypi.rules import FORMAT, FORWARDING, PYPI, forward_url


class PypiOperations(FormatOperations):
    """PyPI's operations. A download URL holds the file's sha256, which only the simple page (or the pushed
    artifact) tells: `push` remembers the sha256 of the first file pushed under each (project, file name), which
    is the one a PyPI registry keeps, since it refuses every later file of that name; `pull` uses it unless
    given `sha256`."""

    format = PYPI
    package_type = FORMAT

    def __init__(self) -> None:
        self._pushed: dict[tuple[str, str], str] = {}
        self._lock = threading.Lock()

    def artifact(self, name: str, version: str, file_hint: str, size: int, seed: int) -> Artifact:
        """A wheel, or an sdist when the scenario's file name ends in `.tar.gz`; other hints are ignored."""
        if file_hint.endswith(".tar.gz"):
            return build_sdist(name, version, size, seed)
        return WheelArtifact(name, version, size, seed)

    def push(self, project_id: int | str, name: str, version: str, artifact: Artifact, *,
             status: str | None = None, select: str | None = None) -> list[RequestSpec]:
        if status is not None or select is not None:
            raise ValueError("PyPI uploads have no status or select option (those are Generic's)")
        with self._lock:
            self._pushed.setdefault((str(project_id), artifact.file_name), artifact.sha256())
        return [requests.upload(project_id, name, version, artifact)]

    def forwarded_to(self, spec: RequestSpec, name: str) -> str | None:
        """By the name as requested: the simple pages are asked for by the normalized name, as pip does."""
        return forward_url(normalize_name(name)) if spec.endpoint.name in FORWARDING.endpoints else None

    def invalid_artifact(self, name: str, version: str) -> Artifact:
        """Named as the version's wheel, but not a zip with a METADATA file: not a distribution."""
        return BytesArtifact(wheel_file_name(name, version), b"this is not a wheel\n" * 8)

    def pull(self, project_id: int | str, name: str, version: str, file_name: str,
             sha256: str | None = None) -> RequestSpec:
        """Download a file as pip does after reading the simple page. A `file_name` that is no distribution name
        (a scenario's hint such as `small.bin`) means this format's wheel for the name and version."""
        if parse_file_name(file_name) is None:
            file_name = wheel_file_name(name, version)
        if sha256 is None:
            with self._lock:
                sha256 = self._pushed.get((str(project_id), file_name))
        if sha256 is None:
            raise ValueError(f"no sha256 known for {file_name}: push it first or pass sha256 (PyPI download URLs"
                             " carry the file's sha256)")
        return requests.download(project_id, sha256, file_name)

    def group_pull(self, group_id: int | str, project_id: int | str, name: str, version: str,
                   file_name: str) -> RequestSpec:
        project_download = self.pull(project_id, name, version, file_name)
        sha256, file_name = project_download.path.rsplit("/", 2)[-2:]
        return requests.group_download(group_id, sha256, file_name)

    def group_metadata(self, group_id: int | str, name: str) -> RequestSpec:
        return requests.group_simple_package(group_id, name)

    def file_name(self, name: str, version: str, file_hint: str) -> str:
        return sdist_file_name(name, version) if file_hint.endswith(".tar.gz") else wheel_file_name(name, version)

    def metadata(self, project_id: int | str, name: str) -> RequestSpec:
        return requests.simple_package(project_id, name)

    def metadata_entries(self, document: bytes, name: str) -> list[MetadataEntry]:
        """The simple page's files (PEP 503 anchors, or PEP 691 JSON), each with its URL and the `#sha256=` digest
        pip checks after a download; the version comes from the file name."""
        files: list[tuple[str, dict[str, str]]] = []
        text = document.decode("utf-8", errors="replace")
        if text.lstrip().startswith("{"):
            try:
                files = [(str(f["url"]), {k: str(v).lower() for k, v in (f.get("hashes") or {}).items()})
                         for f in json.loads(text)["files"]]
            except (ValueError, KeyError, TypeError) as exc:
                raise ValueError(f"not a PEP 691 project page: {exc}") from None
        else:
            links = _Anchors()
            links.feed(text)
            for href in links.hrefs:
                url, fragment = urldefrag(href)
                algorithm, _, value = fragment.partition("=")
                files.append((url, {algorithm: value.lower()} if algorithm and value else {}))
        entries = []
        for url, digests in files:
            parsed = parse_file_name(url.rsplit("/", 1)[-1])
            if parsed is None:
                raise ValueError(f"a link names no distribution file: {url}")
            entries.append(MetadataEntry(normalize_version(parsed.version), url, digests))
        return entries

    def duplicate_checked_before_body(self) -> bool:
        """False: the name, version and file name travel inside the multipart body, so a duplicate can only be
        told (by GitLab too) once the body is read. Credentials and the declared size are checked before it."""
        return False


class _Anchors(HTMLParser):
    """The `href` of every anchor of a simple page."""

    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        href = dict(attrs).get("href")
        if tag == "a" and href:
            self.hrefs.append(href)


OPERATIONS = PypiOperations()
