"""PyPI upload (`POST /api/v4/projects/:id/packages/pypi`): the legacy upload API, as twine and uv send it.

Refusals that need no body (credentials, a declared length over the limit, a body that is not a multipart form)
come before the body is read. The form is then streamed: fields are kept (bounded), the `content` file goes
straight to disk through `FileStore.receive`. Then, in order: missing fields, name / version / file name rules,
digests, the file itself (a wheel or sdist of that name and version), duplicates (a second file of the same name
in a package: GitLab's 400 "File name has already been taken").
"""

import re
from collections.abc import AsyncIterator, Callable
from pathlib import Path, PurePosixPath

import anyio
import anyio.to_thread
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response

from core.faults import Fault
from core.vocabulary import Operation, Permission
from formats.pypi import FORMAT, RULES, UPLOAD, wheel_dist_name
from reference_server.access import check_protection
from reference_server.db import Database, Row
from reference_server.duplicates import duplicate_refusal, duplicate_refused
from reference_server.errors import ApiError, bad_request, missing, refused
from reference_server.formats.pypi.access import authorize_project
from reference_server.formats.pypi.distributions import InvalidDistribution, inspect
from reference_server.formats.pypi.multipart import FIELD_LIMIT, MultipartError, MultipartReader, boundary_of
from reference_server.metrics import count_event
from reference_server.package_files import add_file, new_package_status, saving_package
from reference_server.settings import ServerSettings
from reference_server.storage import FileStore, ReceivedFile, TooLarge
from reference_server.transfers import body_before_auth, declared_size, over_limit, size_limit, stream_limit, too_large

FIELDS_LIMIT = 8 << 20  # bytes of all non-file fields together
FORM_FRAMING = 64 << 10  # delimiters and part headers around the fields, at most
EPILOGUE = 2  # the CRLF clients write after the closing delimiter
REQUIRES_PYTHON_MAX = 255  # Packages::Pypi::Metadatum truncates longer values
KEPT_FIELDS = ("metadata_version", "summary", "keywords", "author_email", "description_content_type")
HEX = {"sha256_digest": re.compile(r"[0-9a-fA-F]{64}"), "md5_digest": re.compile(r"[0-9a-fA-F]{32}")}


def invalid(param: str, rule: str) -> ApiError:
    """Grape's answer for a parameter that fails its validation, with the rule broken."""
    return ApiError(400, f"{param} is invalid: {rule}", body={"error": f"{param} is invalid: {rule}"})


async def _spooled(path: Path) -> AsyncIterator[bytes]:
    """A body read in full before anything else (the read_body_before_auth fault), replayed from disk."""
    async with await anyio.open_file(path, "rb") as file:
        while chunk := await file.read(1 << 16):
            yield chunk


class Form:
    """The upload's fields, and its `content` file once received (on disk, discarded unless placed)."""

    def __init__(self) -> None:
        self.fields: dict[str, str] = {}
        self.content: ReceivedFile | None = None
        self.file_name: str | None = None

    async def read(self, reader: MultipartReader, store: FileStore, limit: int | None, cap: int | None, *,
                   declared: int | None = None, over: Callable[[int], bool] | None = None) -> None:
        """The form's parts; a `content` file of more than `cap` bytes (see transfers.stream_limit) is refused as
        over `limit`. With the body's declared length, the file's size is known as its part begins (twine and uv
        send it last: the rest of the body is the file and the closing delimiter), so a file over the limit is
        refused before its bytes are read. A form with another file after `content` (a gpg signature) could be
        refused within that file's size under the limit: clients that sign are gone from PyPI."""
        budget = FIELDS_LIMIT
        while (part := await reader.next_part()) is not None:
            if part.name == "content" and part.filename is not None:
                if self.content is not None:
                    raise bad_request("content is given twice: one file per upload")
                if declared is not None and over is not None and limit is not None:
                    file_size = declared - reader.position - reader.closing_size - EPILOGUE
                    if over(file_size):
                        raise too_large(FORMAT, limit)
                self.file_name = PurePosixPath(part.filename.replace("\\", "/")).name
                try:
                    self.content = await store.receive(reader.data(), cap)
                except TooLarge:
                    assert limit is not None
                    raise too_large(FORMAT, limit) from None
            elif part.filename is None:
                value = await reader.text(min(FIELD_LIMIT, budget))
                budget -= len(value.encode())
                self.fields[part.name] = value
            # other files (gpg_signature, attestations) are skipped by the next `next_part`

    def required(self, name: str) -> str:
        value = self.fields.get(name, "")
        if not value:
            raise missing(name)
        return value


def name_exempt(file_name: str, name: str) -> str:
    """The file name with the package name it starts with (as wheel and sdist names spell it, or as given) put as
    `x`, so that the file-name rule does not check the name a second time (the loose_name_rule fault)."""
    for spelled in (wheel_dist_name(name), name):
        if spelled and file_name.lower().startswith(spelled.lower() + "-"):
            return "x" + file_name[len(spelled):]
    return file_name


def check_fields(form: Form, loose_name: bool = False) -> tuple[str, str, str]:
    """Name, version and file name, or 400 naming the missing or invalid one and its rule. With `loose_name` (the
    loose_name_rule fault) the name's rule is not checked, neither in the name nor in the file name."""
    if form.content is None or not form.file_name:
        raise missing("content")
    name, version = form.required("name"), form.required("version")
    if not loose_name and not RULES.name_pattern.fullmatch(name):
        raise invalid("name", RULES.name_rule)
    if not RULES.version_pattern.fullmatch(version):
        raise invalid("version", RULES.version_rule)
    if not RULES.file_name_pattern.fullmatch(name_exempt(form.file_name, name) if loose_name else form.file_name):
        raise invalid("content", f"its file name must be {RULES.file_name_rule}")
    for field, pattern in HEX.items():
        value = form.fields.get(field)
        if value and not pattern.fullmatch(value):
            raise invalid(field, f"must be {pattern.pattern}")
    received = form.content
    for field, actual in (("sha256_digest", received.sha256), ("md5_digest", received.md5)):
        claimed = form.fields.get(field)
        if claimed and claimed.lower() != actual:
            raise bad_request(f"{field} {claimed} does not match the uploaded file, whose digest is {actual}")
    return name, version, form.file_name


def package_metadata(form: Form) -> dict[str, str]:
    """What GitLab keeps in packages_pypi_metadata (the last upload of a version wins)."""
    data = {key: form.fields[key] for key in KEPT_FIELDS if form.fields.get(key)}
    data["requires_python"] = form.fields.get("requires_python", "")[:REQUIRES_PYTHON_MAX]
    return data


async def save(request: Request, project: Row, name: str, version: str, file_name: str, received: ReceivedFile,
               metadata: dict[str, str]) -> Row:
    """Record the package (created if new), its metadata and the file, and move the file into place, at once."""
    db: Database = request.app.state.db
    async with saving_package(request, project, FORMAT, name, version, new_package_status(request)) as package:
        if duplicate_refused(db, project, package, file_name):
            raise duplicate_refusal(FORMAT)  # lost a race with an upload of the same file name
        db.set_package_metadata(package["id"], metadata)
        return add_file(request, project, package, file_name, received)


async def upload(request: Request) -> Response:
    settings: ServerSettings = request.app.state.settings
    db: Database = request.app.state.db
    store: FileStore = request.app.state.store
    spooled = await body_before_auth(request)
    form = Form()
    try:
        granted = authorize_project(request, UPLOAD, Permission.CREATE_PACKAGE)
        project = granted.project
        boundary = boundary_of(request.headers.get("content-type", ""))
        if boundary is None:
            raise bad_request("the body must be a multipart/form-data form with a boundary (the legacy upload API)")
        limit = size_limit(request, FORMAT)
        size = declared_size(request)
        # Refused unread when even the most the other fields may take leaves a file over the limit; otherwise the
        # file's exact size is known once the fields before it are read (see Form.read), still before its bytes.
        allowance = FIELDS_LIMIT + FORM_FRAMING
        if limit is not None and size is not None and over_limit(request, size - allowance, limit):
            raise refused(RULES.too_large_status, f"Content-Length {size} exceeds the {FORMAT} file size limit of"
                                                  f" {limit} bytes plus the {allowance} bytes a form's other fields "
                                                  "may take")
        source = _spooled(spooled.path) if spooled is not None else request.stream()

        def file_over_limit(file_size: int) -> bool:
            return over_limit(request, file_size, limit)

        try:
            await form.read(MultipartReader(source, boundary), store, limit, stream_limit(request, limit),
                            declared=size, over=file_over_limit)
        except MultipartError as error:
            raise bad_request(f"the body is not a valid multipart form: {error}") from None
        except ClientDisconnect:
            raise bad_request("the client disconnected before the body was complete") from None
        name, version, file_name = check_fields(form, loose_name=settings.has(Fault.LOOSE_NAME_RULE))
        check_protection(request, UPLOAD, granted, name)
        assert form.content is not None
        try:
            if not settings.has(Fault.NO_FORMAT_GUARD):
                await anyio.to_thread.run_sync(inspect, form.content.path, file_name, name, version)
        except InvalidDistribution as error:
            raise bad_request(f"content is not a valid distribution: {error}") from None
        if duplicate_refused(db, project, db.find_package(project["id"], FORMAT, name, version), file_name):
            raise duplicate_refusal(FORMAT)
        await save(request, project, name, version, file_name, form.content, package_metadata(form))
    finally:
        store.discard(form.content)  # a no-op once the file was moved into place
        store.discard(spooled)
    count_event(request, FORMAT, Operation.PUSH, granted.principal)
    return JSONResponse({"message": "201 Created"}, status_code=201)
