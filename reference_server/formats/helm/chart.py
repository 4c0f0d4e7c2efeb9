"""What GitLab reads from an uploaded chart (Packages::Helm::ExtractFileMetadataService): the first regular file whose
path ends in `/Chart.yaml` in the gzip-compressed tar, at most 1 MiB, parsed as YAML (a mapping, or it is no chart)."""

import tarfile
from pathlib import Path
from typing import Any

import yaml

from formats.helm import CHART_YAML_MAX


class ExtractionError(ValueError):
    """The file is not a chart GitLab can read; the message is GitLab's reason."""


def chart_metadata(path: Path) -> dict[str, Any]:
    """Chart.yaml's content; ExtractionError with GitLab's reasons ('Chart.yaml not found within a directory',
    'Chart.yaml too big', 'Error while parsing Chart.yaml: ...')."""
    if path.stat().st_size == 0:
        raise ExtractionError("invalid package file")
    try:
        with tarfile.open(path, mode="r:gz") as archive:
            for member in archive:
                if member.isfile() and member.name.endswith("/Chart.yaml"):
                    if member.size > CHART_YAML_MAX:
                        raise ExtractionError("Chart.yaml too big")
                    extracted = archive.extractfile(member)
                    assert extracted is not None
                    text = extracted.read()
                    break
            else:
                raise ExtractionError("Chart.yaml not found within a directory")
    except (tarfile.TarError, OSError, EOFError) as error:
        raise ExtractionError(f"not a gzip-compressed tar archive ({error})") from None
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ExtractionError(f"Error while parsing Chart.yaml: {error}") from None
    if not isinstance(document, dict):
        raise ExtractionError("Chart.yaml is not a mapping")  # GitLab's `metadata['name']` fails on it
    return document
