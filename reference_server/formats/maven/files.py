"""Serving Maven files: a stored file with its checksum headers, a checksum computed on request, and the
artifact-level maven-metadata.xml built from the package's versions (and its checksums), kept in the metadata cache
until the project's packages change (reference_server/metadata_cache.py).

Shared by the project-, group- and instance-level download routes (routes.py), which find the project and
authorize first.
"""

import hashlib
from functools import partial
from pathlib import Path

import anyio
import anyio.to_thread
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from formats.maven import FileRef, artifact_metadata_xml
from reference_server.auth import Principal
from reference_server.db import Database, Row
from reference_server.downloads import count_pull, file_response, served_file
from reference_server.errors import not_found
from reference_server.metadata_cache import Check, Subject, metadata_response
from reference_server.storage import FileStore

FORMAT = "maven"
VERSIONLESS = ""  # GitLab's nil version: the package that holds the artifact-level maven-metadata.xml
STORED_DIGESTS = {"md5": "file_md5", "sha1": "file_sha1", "sha256": "file_sha256"}  # package_files columns


def stored_version(ref: FileRef) -> str:
    return VERSIONLESS if ref.version is None else ref.version


def maven_timestamp(iso: str) -> str:
    """GitLab's `2021-10-12T12:05:23.387Z` as Maven's `lastUpdated`, `20211012120523`."""
    return "".join(ch for ch in iso[:19] if ch.isdigit())


def artifact_metadata(db: Database, project_id: int, ref: FileRef, check: Check | None = None) -> bytes | None:
    """The artifact-level maven-metadata.xml as GitLab's Packages::Maven::Metadata::SyncService writes it after each
    upload (every version, oldest first), built here on request; None when the package has no version. `check` is
    called for each version (the metadata_n_plus_one fault's)."""
    packages = [p for p in db.packages_named(project_id, FORMAT, ref.package_name) if p["version"] != VERSIONLESS]
    if not packages:
        return None
    if check is not None:
        for package in packages:
            check(package)
    last_updated = maven_timestamp(max(p["updated_at"] for p in packages))
    return artifact_metadata_xml(ref.group_id, ref.artifact_id, [p["version"] for p in packages], last_updated)


def _file_digest(path: Path, algorithm: str) -> str:
    digest = hashlib.new(algorithm)
    with path.open("rb") as file:
        while chunk := file.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


async def stored_checksum(store: FileStore, project: Row, row: Row, algorithm: str) -> str:
    """A stored file's checksum: md5, sha1 and sha256 were computed on upload; sha512 is computed now."""
    if algorithm in STORED_DIGESTS:
        return str(row[STORED_DIGESTS[algorithm]])
    path = store.file_path(project["id"], row["package_id"], row["id"], row["file_name"])
    return await anyio.to_thread.run_sync(_file_digest, path, algorithm)


def find_file(db: Database, project: Row, ref: FileRef) -> Row | None:
    """The most recent stored file `ref` names (what a checksum upload is verified against)."""
    package = db.find_package(project["id"], FORMAT, ref.package_name, stored_version(ref))
    return None if package is None else db.file_named(package["id"], ref.file_name)



def _metadata_answer(db: Database, project_id: int, ref: FileRef, check: Check | None) -> Response:
    """maven-metadata.xml, or one of its checksums, with the checksum headers a stored file has."""
    document = artifact_metadata(db, project_id, ref, check)
    if document is None:
        raise not_found("Package")
    if ref.checksum:
        return PlainTextResponse(hashlib.new(ref.checksum, document).hexdigest())
    headers = {"X-Checksum-SHA1": hashlib.sha1(document).hexdigest(),
               "X-Checksum-MD5": hashlib.md5(document).hexdigest()}
    return Response(document, media_type="application/xml", headers=headers)


async def serve(request: Request, project: Row, ref: FileRef, principal: Principal | None) -> Response:
    """Answer a GET (or HEAD) for `ref` in `project`, which the caller may read."""
    db: Database = request.app.state.db
    store: FileStore = request.app.state.store
    if ref.version is None and ref.is_metadata:
        return await metadata_response(request, (FORMAT, "maven-metadata.xml", ref.package_name, ref.checksum),
                                       [project], Subject(FORMAT, lambda name: name == ref.package_name),
                                       partial(_metadata_answer, db, project["id"], ref))
    package = db.find_package(project["id"], FORMAT, ref.package_name, stored_version(ref))
    row = served_file(request, package, ref.file_name)
    if row is None:
        raise not_found("Package")
    if ref.checksum:
        return PlainTextResponse(await stored_checksum(store, project, row, ref.checksum))
    if ref.extension == ".jar":  # GitLab counts pulls of jars only
        count_pull(request, FORMAT, principal)
    return file_response(request, project["id"], row, {"X-Checksum-SHA1": row["file_sha1"],
                                                       "X-Checksum-MD5": row["file_md5"]})
