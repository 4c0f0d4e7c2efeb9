"""Who is asking: credentials from the request (GitLab's headers, Basic, Bearer) resolved to a Principal.

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
from core.vocabulary import AuthScheme, TokenKind
from reference_server.db import Database
from reference_server.errors import unauthorized

ACCESS_TOKEN_KINDS = frozenset({TokenKind.PERSONAL_ACCESS_TOKEN, TokenKind.PROJECT_ACCESS_TOKEN})
DEPLOY_TOKEN_KINDS = frozenset({TokenKind.PROJECT_DEPLOY_TOKEN, TokenKind.GROUP_DEPLOY_TOKEN})
# Bearer carries access tokens and, as the Packages API contract (core/packages_api.py) says, job tokens.
BEARER_KINDS = ACCESS_TOKEN_KINDS | {TokenKind.JOB_TOKEN}

# The token kinds each header (or scheme) can carry.
CARRIERS: list[tuple[str, AuthScheme, frozenset[TokenKind]]] = [
    ("private-token", AuthScheme.HEADER, ACCESS_TOKEN_KINDS),
    ("deploy-token", AuthScheme.HEADER, DEPLOY_TOKEN_KINDS),
    ("job-token", AuthScheme.HEADER, frozenset({TokenKind.JOB_TOKEN})),
]

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
class Credential:
    """A token as it arrived, before it is looked up."""

    token: str
    scheme: AuthScheme
    kinds: frozenset[TokenKind]  # the kinds the carrier may hold


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


def read_credential(request: Request) -> Credential | None:
    """The credential a request carries, if any."""
    headers = request.headers
    for header, scheme, kinds in CARRIERS:
        if header in headers:
            return Credential(headers[header], scheme, kinds)
    authorization = headers.get("authorization", "")
    method, _, value = authorization.partition(" ")
    if method.lower() == "basic":
        try:
            _, _, password = base64.b64decode(value.strip(), validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return Credential("", AuthScheme.BASIC, frozenset())  # malformed: authenticates no one
        return Credential(password, AuthScheme.BASIC, frozenset(TokenKind))  # the user name is not checked
    if method.lower() == "bearer":
        return Credential(value.strip(), AuthScheme.BEARER, BEARER_KINDS)
    return None


def authenticate(request: Request, db: Database, faults: Collection[str], *,
                 accepted_kinds: Collection[TokenKind] = frozenset(TokenKind),
                 accepted_schemes: Collection[AuthScheme] = frozenset(AuthScheme)) -> Principal | None:
    """The request's principal; None when it carries no credential the endpoint accepts; 401 for a bad token."""
    credential = read_credential(request)
    if credential is None or credential.scheme not in accepted_schemes:
        return None
    if credential.scheme is AuthScheme.BEARER:
        # Routes that take deploy tokens (npm's `deploy_token_allowed`) read them from Bearer too: npm sends
        # every `_authToken` that way. The Packages API takes no deploy tokens, so there Bearer stays as it was.
        credential = Credential(credential.token, credential.scheme,
                                credential.kinds | (DEPLOY_TOKEN_KINDS & frozenset(accepted_kinds)))
    row = db.token_by_hash(token_hash(credential.token)) if credential.token else None
    if row is None or not hmac.compare_digest(row["token_hash"], token_hash(credential.token)):
        raise unauthorized()
    kind = TokenKind(row["kind"])
    if kind not in credential.kinds:
        raise unauthorized()  # e.g. a deploy token in PRIVATE-TOKEN: GitLab does not find it
    if kind not in accepted_kinds:
        return None
    if row["revoked"] and Fault.ACCEPT_REVOKED_TOKENS not in faults:
        raise unauthorized()
    if row["expires_at"] and date.fromisoformat(row["expires_at"]) <= today_utc() and Fault.IGNORE_EXPIRY not in faults:
        raise unauthorized()
    project_id = row["project_id"]
    if kind is TokenKind.JOB_TOKEN:
        job = db.job(row["job_id"])
        if job is None or job["status"] != "running":
            raise unauthorized()
        if credential.scheme is AuthScheme.BASIC and Fault.JOB_TOKEN_BASIC_REFUSED in faults:
            raise unauthorized()
        project_id = job["project_id"]
    user = db.user(row["user_id"]) if row["user_id"] is not None else None
    return Principal(
        token_id=row["id"],
        kind=kind,
        scheme=credential.scheme,
        scopes=tuple(json.loads(row["scopes"])),
        user_id=db.job_user(row["job_id"]) if kind is TokenKind.JOB_TOKEN else row["user_id"],  # a job acts as its user
        is_admin=bool(user and user["is_admin"]),
        project_id=project_id,
        group_id=row["namespace_id"],
        access_level=row["access_level"],
    )
