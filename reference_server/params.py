"""Request parameters for the provisioning API: query string, then a JSON or form-encoded body (like Grape)."""

import json
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request

from reference_server.errors import ApiError, bad_request, missing


def _merge_pairs(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """`scopes[]=a&scopes[]=b` becomes a list; a plain key keeps its last value."""
    merged: dict[str, Any] = {}
    for key, value in pairs:
        if key.endswith("[]"):
            merged.setdefault(key[:-2], []).append(value)
        else:
            merged[key] = value
    return merged


async def read_params(request: Request) -> dict[str, Any]:
    params = _merge_pairs(list(request.query_params.multi_items()))
    body = await request.body()
    if not body:
        return params
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "application/x-www-form-urlencoded":
        params.update(_merge_pairs(parse_qsl(body.decode(), keep_blank_values=True)))
        return params
    try:
        decoded = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise bad_request("the body must be JSON or form-encoded") from None
    if not isinstance(decoded, dict):
        raise bad_request("the JSON body must be an object")
    params.update(decoded)
    return params


def required(params: dict[str, Any], name: str) -> Any:
    value = params.get(name)
    if value is None or value == "" or value == []:
        raise missing(name)
    return value


def as_list(value: Any) -> list[str]:
    """A list parameter given as a list, or as one comma-separated string."""
    if isinstance(value, list):
        return [str(v) for v in value]
    return [part for part in str(value).split(",") if part]


def as_int(params: dict[str, Any], name: str, default: int | None = None) -> int | None:
    value = params.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ApiError(400, f"{name} is invalid", body={"error": f"{name} is invalid"}) from None


def as_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).lower() in {"1", "true", "yes", "on"}
