"""`POST /api/graphql`, limited to the one mutation the harness needs: `updateNamespacePackageSettings`.

Variables only: `{"input": {"namespacePath", "<type>DuplicatesAllowed", "<type>DuplicateExceptionRegex"}}` for
the types in `SWITCHABLE_DUPLICATES` (generic, maven).
Any other query gets GraphQL's `{"errors": [...]}` with 200. Needs an administrator's token with `api` scope.
"""

import json
import re
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from reference_server.db import SWITCHABLE_DUPLICATES, Database
from reference_server.provisioning_auth import api_principal

MUTATION = "updateNamespacePackageSettings"
NOT_FOUND = ("The resource that you are attempting to access does not exist or you don't have permission to "
             "perform this action")


def _errors(message: str) -> JSONResponse:
    return JSONResponse({"errors": [{"message": message}]})


def _payload(settings: dict[str, Any] | None, errors: list[str]) -> JSONResponse:
    return JSONResponse({"data": {MUTATION: {"packageSettings": settings, "errors": errors}}})


async def graphql(request: Request) -> Response:
    principal = api_principal(request)
    db: Database = request.app.state.db
    try:
        body = json.loads(await request.body())
    except ValueError:
        return _errors("the body must be a JSON object with `query` and `variables`")
    if not isinstance(body, dict) or MUTATION not in str(body.get("query", "")):
        return _errors(f"the reference server only implements the mutation {MUTATION}")
    arguments = (body.get("variables") or {}).get("input") or {}
    group = db.group_by_ref(str(arguments.get("namespacePath", "")))
    if group is None or not principal.is_admin:
        return JSONResponse({"data": {MUTATION: None}, "errors": [{"message": NOT_FOUND, "path": [MUTATION]}]})
    row = db.set_package_settings(group["id"], "generic", None, None)
    asked = [t for t in SWITCHABLE_DUPLICATES if f"{t}DuplicatesAllowed" in arguments
             or f"{t}DuplicateExceptionRegex" in arguments]
    for package_type in asked:
        prefix = package_type  # GraphQL's camelCase of a one-word snake_case name is the name itself
        allowed = arguments.get(f"{prefix}DuplicatesAllowed")
        regex = arguments.get(f"{prefix}DuplicateExceptionRegex")
        if regex:
            try:
                re.compile(regex)
            except re.error as error:
                return _payload(None, [f"{package_type.capitalize()} duplicate exception regex is invalid: {error}"])
        row = db.set_package_settings(group["id"], package_type, None if allowed is None else bool(allowed), regex)
    settings = {}  # like GraphQL, only what was asked for
    for package_type in asked:
        settings[f"{package_type}DuplicatesAllowed"] = bool(row[f"{package_type}_duplicates_allowed"])
        settings[f"{package_type}DuplicateExceptionRegex"] = row[f"{package_type}_duplicate_exception_regex"]
    return _payload(settings, [])


ROUTES = [Route("/api/graphql", graphql, methods=["POST"])]
