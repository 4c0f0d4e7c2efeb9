"""RubyGems' requests: the upload `gem push` sends (the raw `.gem`, `application/octet-stream`), the legacy
dependency API Bundler reads (`?gems=a,b`), and the `.gem` download."""

from core.format_types import Artifact, RequestSpec
from formats.rubygems.rules import DEPENDENCIES, DOWNLOAD, PUSH, QUICK_GEMSPEC, SPEC_INDEX


def push(project_id: int | str, artifact: Artifact) -> RequestSpec:
    """POST the gem as `gem push` does (Gem::Commands::PushCommand: `request.body = Gem.read_binary(name)`)."""
    return RequestSpec(PUSH, PUSH.url_path(project_id=project_id),
                       headers={"Content-Type": "application/octet-stream"},
                       body=artifact.chunks(), body_size=artifact.size)


def dependencies(project_id: int | str, *names: str) -> RequestSpec:
    """The dependency API for these gems (none: the availability probe Bundler sends first, answered 200 empty)."""
    params = {"gems": ",".join(names)} if names else {}
    return RequestSpec(DEPENDENCIES, DEPENDENCIES.url_path(project_id=project_id), params=params)


def download(project_id: int | str, file_name: str) -> RequestSpec:
    return RequestSpec(DOWNLOAD, DOWNLOAD.url_path(project_id=project_id, file_name=file_name))


def quick_gemspec(project_id: int | str, file_name: str) -> RequestSpec:
    return RequestSpec(QUICK_GEMSPEC, QUICK_GEMSPEC.url_path(project_id=project_id, file_name=file_name))


def spec_index(project_id: int | str, file_name: str = "specs.4.8.gz") -> RequestSpec:
    return RequestSpec(SPEC_INDEX, SPEC_INDEX.url_path(project_id=project_id, file_name=file_name))
