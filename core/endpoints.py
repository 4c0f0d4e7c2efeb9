"""Endpoints and requests: what a format's operation sends, defined once and sent by any driver or Locust user."""

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import quote

from core.route_auth import RouteAuth
from core.vocabulary import Operation

# GitLab's package rate-limit prefixes (seed 001, "Rate Limits on GitLab.com"): paths under them get the higher
# package rate limit. `/projects/:id/packages` itself (the Packages API list) counts, as GitLab routes it.
RATE_LIMITED_PREFIXES = ("/api/v4/packages/", "/api/v4/projects/:project_id/packages/",
                         "/api/v4/groups/:group_id/-/packages/")
# GitLab's own matcher (Gitlab::Regex::Packages::API_PATH_REGEX, `groups?/`) also takes the singular `group/` of
# Composer's group routes (lib/api/composer_packages.rb `resource :group`).
RATE_LIMITED_PATH = re.compile(r"^/api/v4/(packages/|projects/[^/]+/packages(/|$)|groups?/[^/]+/-/packages/)")


@dataclass(frozen=True)
class Endpoint:
    """One HTTP endpoint, with the path template the reference server routes on (Starlette syntax)."""

    name: str
    method: str
    path: str
    operation: Operation
    success_status: int
    auth: RouteAuth  # GitLab's route settings: which carriers take which tokens, how refusals look
    custom_reason: str | None = None  # why GitLab adds this where no upstream registry has it

    @property
    def rate_limited(self) -> bool:
        """Under one of GitLab's package rate-limit prefixes (the reference server throttles exactly these)."""
        return bool(RATE_LIMITED_PATH.match(self.path))

    def url_path(self, **params: object) -> str:
        """The path with every `{param}` filled in, each URL-encoded as one path segment."""
        path = self.path
        for key, value in params.items():
            path = path.replace("{" + key + "}", quote(str(value), safe=""))
            path = path.replace("{" + key + ":path}", quote(str(value), safe="/"))
        if "{" in path:
            raise ValueError(f"endpoint {self.name}: unfilled parameters in {path}")
        return path


Body = bytes | Iterable[bytes] | None


@dataclass
class RequestSpec:
    """A request, defined once by a format operation and sent by any driver (or a Locust user)."""

    endpoint: Endpoint
    path: str
    params: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    body: Body = None
    body_size: int | None = None  # known length of an iterable body, sent as Content-Length
    follow_redirects: bool = True  # False: a redirect is the answer (GitLab's request forwarding), never followed
    keep_body: int = 0  # bytes of the answer to keep whole, where more than a driver's excerpt must be read

    @property
    def method(self) -> str:
        return self.endpoint.method
