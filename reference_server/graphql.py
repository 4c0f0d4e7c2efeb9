"""`POST /api/graphql`, limited to the one mutation the harness needs: `updateNamespacePackageSettings`.

Variables only: `{"input": {"namespacePath", "<type>DuplicatesAllowed", "<type>DuplicateExceptionRegex"}}` for
the types in `SWITCHABLE_DUPLICATES` (the formats whose duplicate policy is switchable), and
`"<type>PackageRequestsForwarding"` (a boolean) for the types in `FORWARDING_PACKAGE_TYPES` (Maven, npm, PyPI).
Any other query gets GraphQL's `{"errors": [...]}` with 200. Needs an administrator's token with `api` scope.
"""

import json
import re
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from core.faults import Fault
from core.provisioning_api import (
    GRAPHQL,
    PACKAGE_SETTINGS_MUTATION,
    duplicate_setting_fields,
    forwarding_field,
)
from formats import FORWARDING_PACKAGE_TYPES
from reference_server.db import SWITCHABLE_DUPLICATES, Database, allowed_column, forwarding_column, regex_column
from reference_server.provisioning_auth import api_principal, route

MUTATION = PACKAGE_SETTINGS_MUTATION
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
    row = db.ensure_package_settings(group["id"])
    fields = {package_type: duplicate_setting_fields(package_type) for package_type in SWITCHABLE_DUPLICATES}
    asked = [t for t in SWITCHABLE_DUPLICATES if fields[t][0] in arguments or fields[t][1] in arguments]
    forwarding = {t: forwarding_field(t) for t in FORWARDING_PACKAGE_TYPES if forwarding_field(t) in arguments}
    for field in forwarding.values():
        if not isinstance(arguments[field], bool):
            return _errors(f"Variable $input of type UpdateNamespacePackageSettingsInput! was provided invalid value"
                           f" for {field} (Could not coerce value {json.dumps(arguments[field])} to Boolean)")
    saving = not request.app.state.settings.has(Fault.SETTINGS_NOT_SAVED)  # the fault: answer them as they were
    for package_type in asked if saving else []:
        allowed_field, regex_field = fields[package_type]
        allowed = arguments.get(allowed_field)
        regex = arguments.get(regex_field)
        if regex:
            try:
                re.compile(regex)
            except re.error as error:
                return _payload(None, [f"{package_type.capitalize()} duplicate exception regex is invalid: {error}"])
        row = db.set_package_settings(group["id"], package_type, None if allowed is None else bool(allowed), regex)
    for package_type, field in forwarding.items() if saving else []:
        row = db.set_forwarding(group["id"], package_type, arguments[field])
    settings: dict[str, Any] = {}  # like GraphQL, only what was asked for
    for package_type in asked:
        allowed_field, regex_field = fields[package_type]
        settings[allowed_field] = bool(row[allowed_column(package_type)])
        settings[regex_field] = row[regex_column(package_type)]
    for package_type, field in forwarding.items():
        settings[field] = bool(row[forwarding_column(package_type)])
    return _payload(settings, [])


ROUTES = [route(GRAPHQL, graphql)]
