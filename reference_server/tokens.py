"""Issuing tokens (only the digest is stored) and registering the bootstrap admin token."""

from datetime import date
from typing import Any

from core.vocabulary import TokenKind
from reference_server.auth import new_token, token_hash
from reference_server.db import ROOT_USER_ID, Database, Row

ADMIN_TOKEN_NAME = "reference-server-admin"


def issue_token(db: Database, kind: TokenKind, name: str, scopes: list[str], expires_at: date | None,
                **owner: Any) -> tuple[str, Row]:
    """A new token of `kind` and its stored row. The token string is returned once and never kept."""
    token = new_token(kind)
    row = db.create_token(kind.value, name, token_hash(token), scopes,
                          expires_at.isoformat() if expires_at else None, **owner)
    return token, row


def register_admin_token(db: Database, token: str) -> None:
    """Make `token` a personal access token of root with scope `api` (idempotent across restarts)."""
    if db.token_by_hash(token_hash(token)) is None:
        db.create_token(TokenKind.PERSONAL_ACCESS_TOKEN.value, ADMIN_TOKEN_NAME, token_hash(token), ["api"], None,
                        user_id=ROOT_USER_ID)
