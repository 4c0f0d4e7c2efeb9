"""`POST /api/graphql`, limited to the one mutation the harness needs: `updateNamespacePackageSettings`.

Variables only: `{"input": {"namespacePath", "genericDuplicatesAllowed", "genericDuplicateExceptionRegex"}}`.
Any other query gets GraphQL's `{"errors": [...]}` with 200. Needs an administrator's token with `api` scope.
"""

import json
import re
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from reference_server.db import Database
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
    allowed = arguments.get("genericDuplicatesAllowed")
    regex = arguments.get("genericDuplicateExceptionRegex")
    if regex:
        try:
            re.compile(regex)
        except re.error as error:
            return _payload(None, [f"Generic duplicate exception regex is invalid: {error}"])
    row = db.set_package_settings(group["id"], None if allowed is None else bool(allowed), regex)
    return _payload({"genericDuplicatesAllowed": bool(row["generic_duplicates_allowed"]),
                     "genericDuplicateExceptionRegex": row["generic_duplicate_exception_regex"]}, [])


ROUTES = [Route("/api/graphql", graphql, methods=["POST"])]
