"""PyPI's requests: the upload twine sends (a multipart form, streamed), the simple index and file downloads, at
the project and the group level."""

from collections.abc import Iterator, Mapping

from core.format_types import Artifact, RequestSpec
from formats.pypi.artifacts import DEFAULT_REQUIRES_PYTHON, file_digests
from formats.pypi.names import normalize_name
from formats.pypi.rules import (
    DOWNLOAD,
    GROUP_DOWNLOAD,
    GROUP_SIMPLE_INDEX,
    GROUP_SIMPLE_PACKAGE,
    SIMPLE_INDEX,
    SIMPLE_JSON,
    SIMPLE_PACKAGE,
    UPLOAD,
)


def _form_part(name: str, value: str, boundary: str) -> bytes:
    return (f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n').encode() + \
        value.encode() + b"\r\n"


def _multipart(head: bytes, artifact: Artifact, tail: bytes) -> Iterator[bytes]:
    yield head
    yield from artifact.chunks()
    yield tail


def upload(project_id: int | str, name: str, version: str, artifact: Artifact, *,
           requires_python: str | None = DEFAULT_REQUIRES_PYTHON,
           fields: Mapping[str, str | None] | None = None) -> RequestSpec:
    """POST one distribution file as twine does: a multipart form with the metadata fields first and the file
    (`content`) last, streamed. `fields` overrides or (with None) leaves out any field, for negative tests."""
    md5, sha256 = file_digests(artifact)
    kind = "sdist" if artifact.file_name.endswith((".tar.gz", ".zip")) else "bdist_wheel"
    form: dict[str, str | None] = {
        ":action": "file_upload", "protocol_version": "1", "metadata_version": "2.1", "name": name,
        "version": version, "filetype": kind, "pyversion": "source" if kind == "sdist" else "py3",
        "requires_python": requires_python, "md5_digest": md5, "sha256_digest": sha256,
    }
    form.update(fields or {})
    boundary = "harness-pypi-" + sha256[:24]
    head = b"".join(_form_part(key, value, boundary) for key, value in form.items() if value is not None)
    head += (f'--{boundary}\r\nContent-Disposition: form-data; name="content"; filename="{artifact.file_name}"\r\n'
             "Content-Type: application/octet-stream\r\n\r\n").encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    return RequestSpec(UPLOAD, UPLOAD.url_path(project_id=project_id),
                       headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
                       body=_multipart(head, artifact, tail), body_size=len(head) + artifact.size + len(tail))


def _accept(json: bool) -> dict[str, str]:
    return {"Accept": SIMPLE_JSON} if json else {"Accept": "text/html"}


def simple_index(project_id: int | str, *, json: bool = False) -> RequestSpec:
    return RequestSpec(SIMPLE_INDEX, SIMPLE_INDEX.url_path(project_id=project_id), headers=_accept(json))


def simple_package(project_id: int | str, name: str, *, json: bool = False) -> RequestSpec:
    """The simple page of one project (package name), requested by its normalized name as pip does."""
    path = SIMPLE_PACKAGE.url_path(project_id=project_id, package_name=normalize_name(name))
    return RequestSpec(SIMPLE_PACKAGE, path, headers=_accept(json))


def download(project_id: int | str, sha256: str, file_name: str) -> RequestSpec:
    return RequestSpec(DOWNLOAD, DOWNLOAD.url_path(project_id=project_id, sha256=sha256, file_name=file_name))


def group_simple_index(group_id: int | str, *, json: bool = False) -> RequestSpec:
    return RequestSpec(GROUP_SIMPLE_INDEX, GROUP_SIMPLE_INDEX.url_path(group_id=group_id), headers=_accept(json))


def group_simple_package(group_id: int | str, name: str, *, json: bool = False) -> RequestSpec:
    path = GROUP_SIMPLE_PACKAGE.url_path(group_id=group_id, package_name=normalize_name(name))
    return RequestSpec(GROUP_SIMPLE_PACKAGE, path, headers=_accept(json))


def group_download(group_id: int | str, sha256: str, file_name: str) -> RequestSpec:
    return RequestSpec(GROUP_DOWNLOAD, GROUP_DOWNLOAD.url_path(group_id=group_id, sha256=sha256, file_name=file_name))
