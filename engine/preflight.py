"""Before a command touches a target: is it GitLab, and does it take the owner token? A target that is not GitLab says
so (exit 4: nothing was created and nothing judged), instead of failing later on 404s that look like the registry's
refusals.

GitLab answers `GET /api/v4/version` (lib/api/version.rb) to any authenticated user with a JSON object holding
`version`, and refuses a bad token with GitLab's JSON error `{"message": "401 Unauthorized"}` (lib/api/helpers.rb,
`unauthorized!`). Anything else (an HTML page, a 404 from another server, JSON of another shape) is not GitLab's API.
"""

from __future__ import annotations

from typing import Any

import requests

from core import provisioning_api as api
from engine.gitlab_api import GitLabClient

WHAT = "check that the target is GitLab"
POINT_AT_GITLAB = ("--target must be the base URL of a GitLab instance (the address you open in a browser, "
                   "without /api/v4): the harness drives GitLab's REST API and its package routes")


class NotGitLab(Exception):
    """The target does not answer as GitLab's API does, or refuses the owner token: the message says which. Exit 4
    (`harness run`, `load` and `cleanup`): the harness cannot work on this target, and judges nothing."""


def _json(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _described(response: requests.Response) -> str:
    kind = response.headers.get("Content-Type", "no content type").split(";")[0]
    text = " ".join(response.text.split())[:120]
    reason = f" {response.reason}" if response.reason else ""
    return f"{response.status_code}{reason} ({kind}{': ' + text if text else ''})"


def check_target(client: GitLabClient) -> str:
    """The target's GitLab version, once it has answered as GitLab does; NotGitLab otherwise. A target that does
    not answer at all raises ProvisioningError (the harness's environment: exit 4)."""
    response = client.probe(api.VERSION, WHAT)
    body = _json(response)
    gitlab_error = isinstance(body, dict) and isinstance(body.get("message"), str)
    if response.status_code == 200 and isinstance(body, dict) and isinstance(body.get("version"), str):
        return str(body["version"])
    where = f"{client.base_url}: GET {api.VERSION.path} answered {_described(response)}"
    if response.status_code == 401 and gitlab_error:
        raise NotGitLab(f"{where}: the target is GitLab, but it refuses the owner token (revoked, expired, or made "
                        "on another instance); put a valid personal access token with the api scope under "
                        "'owner' in the token file")
    if response.status_code == 403 and gitlab_error:
        raise NotGitLab(f"{where}: the owner token lacks the scope to read the version; the owner token needs the "
                        "api scope")
    raise NotGitLab(f"{where}: this is not GitLab's API. {POINT_AT_GITLAB}")
