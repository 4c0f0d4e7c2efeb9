"""Who is asking: the credential a request carries (GitLab's headers, Basic, Bearer, a bare Authorization), looked
up, as the expected-answer model's `Presented` facts, and the Principal a stored token stands for.

Tokens are stored as sha256 hex digests and looked up by digest; a token never reaches a log or the database.
"""

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime

from starlette.requests import Request

from core.faults import Fault
from core.permissions import ACCESS_TOKEN_KINDS, DEPLOY_TOKEN_KINDS, Presented, TokenState
from core.vocabulary import CI_JOB_USER, AuthScheme, TokenKind
from reference_server.db import Database, Row

# The kinds each token header can hold: a token of another kind in it is not found (GitLab looks it up per kind).
HEADER_KINDS: dict[str, frozenset[TokenKind]] = {
    "private-token": ACCESS_TOKEN_KINDS,
    "deploy-token": DEPLOY_TOKEN_KINDS,
    "job-token": frozenset({TokenKind.JOB_TOKEN}),
}
# The kind a token the server does not know is taken for, by carrier: what GitLab would have looked it up as.
UNKNOWN_AS: dict[str, TokenKind] = {
    "private-token": TokenKind.PERSONAL_ACCESS_TOKEN,
    "deploy-token": TokenKind.PROJECT_DEPLOY_TOKEN,
    "job-token": TokenKind.JOB_TOKEN,
}

PREFIXES: dict[TokenKind, str] = {
    TokenKind.PERSONAL_ACCESS_TOKEN: "glpat-",
    TokenKind.PROJECT_ACCESS_TOKEN: "glpat-",
    TokenKind.PROJECT_DEPLOY_TOKEN: "gldt-",
    TokenKind.GROUP_DEPLOY_TOKEN: "gldt-",
    TokenKind.JOB_TOKEN: "glcbt-",
}


def new_token(kind: TokenKind) -> str:
    return PREFIXES[kind] + secrets.token_urlsafe(20)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def today_utc() -> date:
    return datetime.now(UTC).date()


@dataclass(frozen=True)
class Principal:
    """An authenticated token."""

    token_id: int
    kind: TokenKind
    scheme: AuthScheme
    scopes: tuple[str, ...]
    user_id: int | None = None
    is_admin: bool = False
    project_id: int | None = None  # project access, project deploy and job tokens
    group_id: int | None = None  # group deploy tokens
    access_level: int | None = None  # project access tokens


@dataclass(frozen=True)
class Arrived:
    """A request's credential as the model needs it, and the stored token it names (None: unknown or none)."""

    presented: Presented
    row: Row | None


def _carried(request: Request) -> tuple[str, AuthScheme, str, bool] | None:
    """The token a request carries: (carrier, scheme, token, Basic user is gitlab-ci-token); None without one."""
    headers = request.headers
    for header in HEADER_KINDS:
        if header in headers:
            return header, AuthScheme.HEADER, headers[header], False
    method, _, value = headers.get("authorization", "").partition(" ")
    if method.lower() == "basic":
        try:
            user, _, password = base64.b64decode(value.strip(), validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return "basic", AuthScheme.BASIC, "", False  # malformed: names no token
        return "basic", AuthScheme.BASIC, password, user == CI_JOB_USER
    if method.lower() == "bearer":
        return "bearer", AuthScheme.BEARER, value.strip(), False
    raw = headers.get("authorization", "").strip()
    if raw:  # the token alone (`gem push`): GitLab's `http_token` location reads the whole header
        return "authorization", AuthScheme.TOKEN, raw, False
    return None


def _state(db: Database, row: Row, faults: Collection[str]) -> TokenState:
    if row["revoked"] and Fault.ACCEPT_REVOKED_TOKENS not in faults:
        return TokenState.REVOKED
    if row["expires_at"] and date.fromisoformat(row["expires_at"]) <= today_utc() and Fault.IGNORE_EXPIRY not in faults:
        return TokenState.EXPIRED
    if row["kind"] == TokenKind.JOB_TOKEN.value:
        job = db.job(row["job_id"])
        if job is None or job["status"] != "running":
            return TokenState.EXPIRED
    return TokenState.VALID


def arrived(request: Request, db: Database, faults: Collection[str]) -> Arrived:
    """What the request presents: the stored token's real kind and state, or an unknown token of the kind its
    carrier holds. Tokens are looked up by digest; a token never reaches a log."""
    carried = _carried(request)
    if carried is None:
        return Arrived(Presented(None, AuthScheme.NONE), None)
    carrier, scheme, token, ci_user = carried
    row = db.token_by_hash(token_hash(token)) if token else None
    if row is not None and not hmac.compare_digest(row["token_hash"], token_hash(token)):
        row = None
    if row is not None and carrier in HEADER_KINDS and TokenKind(row["kind"]) not in HEADER_KINDS[carrier]:
        row = None  # e.g. a deploy token in PRIVATE-TOKEN: GitLab does not find it
    if row is None:
        kind = UNKNOWN_AS.get(carrier, TokenKind.JOB_TOKEN if ci_user else TokenKind.PERSONAL_ACCESS_TOKEN)
        return Arrived(Presented(kind, scheme, TokenState.UNKNOWN, ci_user), None)
    return Arrived(Presented(TokenKind(row["kind"]), scheme, _state(db, row, faults), ci_user), row)


def principal_of(db: Database, row: Row, scheme: AuthScheme) -> Principal:
    """The principal a stored token stands for (a job token: its job's project and user)."""
    kind = TokenKind(row["kind"])
    project_id = row["project_id"]
    if kind is TokenKind.JOB_TOKEN:
        job = db.job(row["job_id"])
        project_id = job["project_id"] if job is not None else None
    user = db.user(row["user_id"]) if row["user_id"] is not None else None
    return Principal(
        token_id=row["id"],
        kind=kind,
        scheme=scheme,
        scopes=tuple(json.loads(row["scopes"])),
        user_id=db.job_user(row["job_id"]) if kind is TokenKind.JOB_TOKEN else row["user_id"],  # a job acts as its user
        is_admin=bool(user and user["is_admin"]),
        project_id=project_id,
        group_id=row["namespace_id"],
        access_level=row["access_level"],
    )
