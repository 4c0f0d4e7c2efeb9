"""The web URLs of the projects a run works in, by project id: provisioning records each project it creates or is
given, for formats whose paths name the project itself (Go: a module path is GitLab's host and the project's full
path, lib/gitlab/golang.rb), which their operations only know by id."""

import threading

_URLS: dict[str, str] = {}
_LOCK = threading.Lock()


def remember(project_id: int | str, web_url: str) -> None:
    with _LOCK:
        _URLS[str(project_id)] = web_url


def web_url(project_id: int | str) -> str:
    """The project's web URL (GitLab's `web_url`); LookupError when no provisioning recorded the project."""
    with _LOCK:
        url = _URLS.get(str(project_id))
    if url is None:
        raise LookupError(f"project {project_id}: its web URL is unknown (no provisioning recorded it); a Go module "
                          "path names the project's full path")
    return url
