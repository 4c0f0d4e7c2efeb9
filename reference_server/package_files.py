"""Saving an uploaded package file, as every format does it: the package found or created and the file recorded
and moved into place in one transaction, with the duplicate_race and processing_stuck faults.

Under duplicate_race, a new package is first inserted on its own after a pause (`RACE_WINDOW`), so concurrent
uploads to a new version race to create it: the loser answers 500, as GitLab does when its unique index refuses.
"""

import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
from starlette.requests import Request

from core.faults import Fault
from reference_server.db import PROCESSING, Database, Row
from reference_server.errors import ApiError
from reference_server.settings import ServerSettings
from reference_server.storage import FileStore, ReceivedFile

RACE_WINDOW = 0.25  # seconds between "is there a package?" and "create it" under the duplicate_race fault


def race_lost() -> ApiError:
    """The answer to an upload whose package another upload created first (the duplicate_race fault)."""
    return ApiError(500, "500 Internal Server Error")


def new_package_status(request: Request, status: str = "default") -> str:
    """The status a package created by this upload gets: `status`, or, under the processing_stuck fault, GitLab's
    `processing`, which it then keeps (its metadata extraction never ends)."""
    settings: ServerSettings = request.app.state.settings
    return PROCESSING if settings.has(Fault.PROCESSING_STUCK) else status


@asynccontextmanager
async def saving_package(request: Request, project: Row, format_name: str, name: str, version: str,
                         status: str) -> AsyncIterator[Row]:
    """The package of this name and version (created with `status` if new), inside one transaction: what the
    `async with` body records (the file with `add_file`, metadata, tags) is kept together or not at all, and a
    refusal raised there (a duplicate that won a race) undoes the package's creation too."""
    settings: ServerSettings = request.app.state.settings
    db: Database = request.app.state.db
    try:
        if settings.has(Fault.DUPLICATE_RACE) and db.find_package(project["id"], format_name, name, version) is None:
            await anyio.sleep(RACE_WINDOW)
            db.insert_package(project["id"], format_name, name, version, status)  # may raise IntegrityError
        with db.transaction():
            yield db.get_or_create_package(project["id"], format_name, name, version, status)
    except sqlite3.IntegrityError:
        raise race_lost() from None


def add_file(request: Request, project: Row, package: Row, file_name: str, received: ReceivedFile) -> Row:
    """Record the file in the package and move the upload into its place (inside `saving_package`)."""
    db: Database = request.app.state.db
    store: FileStore = request.app.state.store
    row = db.add_package_file(package["id"], file_name, received.size, received.md5, received.sha1, received.sha256)
    store.place(received, store.file_path(project["id"], package["id"], row["id"], file_name))
    return row
