"""Refusals as exceptions, rendered the way GitLab's API renders them: `{"message": "<status> <reason>"}`."""

from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

CHALLENGE = {"WWW-Authenticate": 'Basic realm="GitLab Packages Registry"'}
# What Rack::OAuth2's Bearer `invalid_token` error sends for a revoked or expired token (lib/api/api_guard.rb).
BEARER_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="Protected by OAuth 2.0", error="invalid_token", '
                                        'error_description="Token is expired or revoked."'}


class ApiError(Exception):
    """An API refusal. `body` defaults to `{"message": message}`."""

    def __init__(self, status: int, message: str, *, headers: Mapping[str, str] | None = None,
                 body: Any = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = dict(headers or {})
        self.body = {"message": message} if body is None else body


def bad_request(reason: str) -> ApiError:
    return ApiError(400, f"400 Bad request - {reason}")


def missing(param: str) -> ApiError:
    """Grape's answer for a missing or invalid parameter."""
    return ApiError(400, f"{param} is missing", body={"error": f"{param} is missing"})


def unauthorized(challenge: bool = False) -> ApiError:
    return ApiError(401, "401 Unauthorized", headers=CHALLENGE if challenge else None)


def refused(status: int, reason: str) -> ApiError:
    """A refusal whose status is a format's fact (e.g. a duplicate, answered as the format's rules say)."""
    return ApiError(status, f"{status} {HTTPStatus(status).phrase} - {reason}")


def forbidden(reason: str | None = None) -> ApiError:
    return ApiError(403, f"403 Forbidden - {reason}" if reason else "403 Forbidden")


def not_found(what: str | None = None) -> ApiError:
    return ApiError(404, f"404 {what} Not Found" if what else "404 Not Found")


async def api_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return JSONResponse(exc.body, status_code=exc.status, headers=exc.headers)


async def http_exception_handler(request: Request, exc: Exception) -> Response:
    """Starlette's own 404/405 (unknown route, wrong method) as GitLab-style JSON."""
    assert isinstance(exc, HTTPException)
    phrases = {404: "404 Not Found", 405: "405 Method Not Allowed"}
    message = phrases.get(exc.status_code, f"{exc.status_code} {exc.detail}")
    return JSONResponse({"message": message}, status_code=exc.status_code, headers=exc.headers)


async def server_error_handler(request: Request, exc: Exception) -> Response:
    return JSONResponse({"message": "500 Internal Server Error"}, status_code=500)
