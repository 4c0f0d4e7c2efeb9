"""Metadata documents (npm packument, PyPI simple pages, maven-metadata.xml, the Packages API list), each rendered
once and served from memory until the package changes, as GitLab caches a package's metadata.

Correctness does not depend on the write paths: a cached answer is kept with the package revision of every project
it was built from (`Database.package_revisions`, kept by SQLite triggers on the package tables), and is served only
while those revisions are unchanged; one indexed query per request checks them. The revision is read before the
document is built, so a write that lands during the build only makes the entry look older than it is (the next
request builds again), never newer. The key holds everything else the answer depends on besides the database: the
route and its variant (project, group or instance level; HTML or JSON), the request's URL (a packument's tarball
URLs and a page's links are built from the address the client used) and the projects it covers.

The cache is an LRU bounded by entry count and bytes, shared by the app's threads under one lock.

Faults: `metadata_never_invalidated` (a format's document is served as first built, whatever changed since),
`slow_metadata` (every metadata answer waits SLOW_METADATA_SECONDS, without holding the event loop) and
`metadata_n_plus_one` (no cache, and each document is built with a check inside its loop over versions that
re-reads every version of the package with its metadata and files: quadratic in the number of versions).
"""

import asyncio
import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import Response

from core.faults import Fault
from reference_server.db import Database, Row
from reference_server.settings import ServerSettings

SLOW_METADATA_SECONDS = 0.6
MAX_ENTRIES = 1024
MAX_BYTES = 64 << 20
N_PLUS_ONE_READS = 1  # re-reads of every version per version listed, under metadata_n_plus_one

# Called for each version as a document lists it (only under metadata_n_plus_one: the "check inside the loop").
Check = Callable[[Row], None]
Build = Callable[[Check | None], Response]


@dataclass(frozen=True)
class Rendered:
    """An answer as it went out: status, headers and body bytes."""

    status: int
    raw_headers: tuple[tuple[bytes, bytes], ...]
    body: bytes

    @classmethod
    def of(cls, response: Response) -> "Rendered":
        return cls(response.status_code, tuple(response.raw_headers), bytes(response.body))

    @property
    def size(self) -> int:
        return len(self.body) + sum(len(k) + len(v) for k, v in self.raw_headers)


class CachedResponse(Response):
    """A Rendered answer sent again, byte for byte (headers included)."""

    def __init__(self, rendered: Rendered) -> None:
        self.status_code = rendered.status
        self.background = None
        self.body = rendered.body
        self.raw_headers = list(rendered.raw_headers)


class MetadataCache:
    """key → (revisions, Rendered), least recently used first out; at most `max_entries` and `max_bytes`."""

    def __init__(self, max_entries: int = MAX_ENTRIES, max_bytes: int = MAX_BYTES) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.bytes = 0
        self.hits = 0
        self.misses = 0
        self._entries: OrderedDict[Hashable, tuple[tuple[int, ...], Rendered]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: Hashable, revisions: tuple[int, ...]) -> Rendered | None:
        """The answer cached for `key` if it was built at these revisions; a stale entry is dropped."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry[0] != revisions:
                if entry is not None:
                    self._drop(key)
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return entry[1]

    def put(self, key: Hashable, revisions: tuple[int, ...], rendered: Rendered) -> None:
        if rendered.size > self.max_bytes // 4:  # one huge document must not empty the cache
            return
        with self._lock:
            if key in self._entries:
                self._drop(key)
            self._entries[key] = (revisions, rendered)
            self.bytes += rendered.size
            while len(self._entries) > self.max_entries or self.bytes > self.max_bytes:
                self._drop(next(iter(self._entries)))

    def _drop(self, key: Hashable) -> None:
        _, rendered = self._entries.pop(key)
        self.bytes -= rendered.size


@dataclass(frozen=True)
class Subject:
    """What a document lists: the packages of one type (all types: None) whose name `matches`, in its projects."""

    package_type: str | None
    matches: Callable[[str], bool] = lambda name: True


def n_plus_one_check(db: Database, subject: Subject) -> Check:
    """The metadata_n_plus_one fault's check, run for each version listed: "is this version the only one of its
    name and version with installable files?", answered by re-reading every version of the package with its
    metadata (JSON-parsed) and its file rows, one query per version. It changes no answer, only the cost:
    versions × versions, whatever else the project holds."""

    def check(package: Row) -> None:
        twins = 0
        for _ in range(N_PLUS_ONE_READS):
            for row in db.versions_with_details(package["project_id"], subject.package_type, package["name"]):
                stored = json.loads(row["data"]) if row["data"] else {}  # parsed again for every version listed
                files = json.loads(row["files"])
                if (subject.matches(row["name"]) and row["id"] != package["id"] and files
                        and (row["name"], stored.get("version", row["version"])) == (package["name"],
                                                                                    package["version"])):
                    twins += 1
        del twins  # the answer never changes the document

    return check


async def metadata_response(request: Request, key: tuple[Hashable, ...], projects: list[Row], subject: Subject,
                            build: Build) -> Response:
    """The metadata answer for `key` over `projects` (the caller is already authorized for them): from the cache
    while the projects' packages are unchanged, else built by `build(None)` and cached when it is a 200."""
    settings: ServerSettings = request.app.state.settings
    db: Database = request.app.state.db
    if settings.has(Fault.SLOW_METADATA):
        await asyncio.sleep(SLOW_METADATA_SECONDS)
    if settings.has(Fault.METADATA_N_PLUS_ONE):  # slow on purpose: built off the event loop, never cached
        return await anyio.to_thread.run_sync(build, n_plus_one_check(db, subject))
    cache: MetadataCache = request.app.state.metadata_cache
    project_ids = [int(p["id"]) for p in projects]
    full_key = (*key, str(request.url), tuple((int(p["id"]), str(p["full_path"])) for p in projects))
    revisions = db.package_revisions(project_ids)
    if settings.has(Fault.METADATA_NEVER_INVALIDATED) and key[0] != "packages":  # the Packages API stays honest
        revisions = ()  # every revision looks like the first: the first answer is served for ever
    cached = cache.get(full_key, revisions)
    if cached is not None:
        return CachedResponse(cached)
    response = build(None)
    if response.status_code == 200 and not db.in_transaction:
        cache.put(full_key, revisions, Rendered.of(response))
    return response
