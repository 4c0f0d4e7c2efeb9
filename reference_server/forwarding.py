"""GitLab's package request forwarding (`redirect_registry_request`,
lib/api/helpers/packages/dependency_proxy_helpers.rb): a request for a package the registry does not have, when the
group forwards requests of the format, is answered with a redirect to the public registry instead of 404.

What every format shares: the group's setting (`Database.forwarding`, cascading down the groups) and the redirect.
Each format's routes call `forwarded` where they would answer 404, in GitLab's order (npm before the read check,
PyPI and Maven after it), with the URL its `forward_url` builds (formats/<name>/rules.py). Under the
`forwarding_ignored` fault nothing is forwarded: the usual 404.
"""

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from core.faults import Fault
from core.format_types import Forwarding
from reference_server.db import Database
from reference_server.settings import ServerSettings


def forwarded(request: Request, forwarding: Forwarding, namespace_id: int, package_type: str,
              location: str) -> Response | None:
    """The redirect to `location` when the group (`namespace_id`) forwards `package_type` requests; None otherwise
    (the route answers its 404)."""
    settings: ServerSettings = request.app.state.settings
    db: Database = request.app.state.db
    if settings.has(Fault.FORWARDING_IGNORED) or not db.forwarding(namespace_id, package_type):
        return None
    return RedirectResponse(location, status_code=forwarding.status)
