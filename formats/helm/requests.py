"""Helm's requests: the upload GitLab documents (`curl --form 'chart=@mychart-0.1.0.tgz'`: a multipart form whose one
field, `chart`, is the archive, streamed), a channel's index.yaml and a chart download, as `helm pull` asks for them."""

from collections.abc import Iterator

from core.format_types import Artifact, RequestSpec

from .rules import DOWNLOAD, INDEX, UPLOAD


def _multipart(head: bytes, artifact: Artifact, tail: bytes) -> Iterator[bytes]:
    yield head
    yield from artifact.chunks()
    yield tail


def upload(project_id: int | str, channel: str, artifact: Artifact, field: str = "chart") -> RequestSpec:
    """POST the chart as curl's `--form chart=@<file>` does (`field` changes the form field, for negative tests)."""
    boundary = "harness-helm-" + artifact.sha256()[:24]
    head = (f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="{artifact.file_name}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n").encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    return RequestSpec(UPLOAD, UPLOAD.url_path(project_id=project_id, channel=channel),
                       headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
                       body=_multipart(head, artifact, tail), body_size=len(head) + artifact.size + len(tail))


def index(project_id: int | str, channel: str) -> RequestSpec:
    """The channel's index.yaml (every chart of the channel: `helm repo add` and `helm repo update` read it)."""
    return RequestSpec(INDEX, INDEX.url_path(project_id=project_id, channel=channel))


def download(project_id: int | str, channel: str, file_name: str) -> RequestSpec:
    """A chart of the channel, by the file name its index.yaml entry's `urls` give (`charts/<file>`)."""
    return RequestSpec(DOWNLOAD, DOWNLOAD.url_path(project_id=project_id, channel=channel, file_name=file_name))
