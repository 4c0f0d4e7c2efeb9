"""Credentials a case presents, how each auth scheme carries them, and redaction of every secret."""

import base64
import re
import threading
from dataclasses import dataclass

from core.vocabulary import CI_JOB_USER, HEADER_FOR_KIND, AuthScheme, CredentialCase, TokenKind

REDACTED = "[REDACTED]"


@dataclass(frozen=True)
class Credential:
    """A secret and what it is. `username` is the Basic user name: a deploy token's own, any for an access token;
    a job token always goes as `gitlab-ci-token`, the only user name GitLab reads one with."""

    case: CredentialCase
    kind: TokenKind | None  # None for anonymous
    token: str | None
    username: str = "harness"

    def __repr__(self) -> str:  # never show the token, not even in a traceback
        return f"Credential(case={self.case.value}, kind={self.kind.value if self.kind else None})"


ANONYMOUS = Credential(CredentialCase.ANONYMOUS, None, None)


def basic_user(credential: Credential) -> str:
    """The Basic user name a credential goes with."""
    return CI_JOB_USER if credential.kind is TokenKind.JOB_TOKEN else credential.username


def auth_headers(credential: Credential, scheme: AuthScheme) -> dict[str, str]:
    """The request headers that carry `credential` in `scheme`."""
    if credential.token is None or credential.kind is None or scheme is AuthScheme.NONE:
        return {}
    if scheme is AuthScheme.HEADER:
        return {HEADER_FOR_KIND[credential.kind]: credential.token}
    if scheme is AuthScheme.BASIC:
        pair = f"{basic_user(credential)}:{credential.token}".encode()
        return {"Authorization": "Basic " + base64.b64encode(pair).decode()}
    if scheme is AuthScheme.BEARER:
        return {"Authorization": f"Bearer {credential.token}"}
    if scheme is AuthScheme.TOKEN:
        return {"Authorization": credential.token}
    raise ValueError(f"unknown auth scheme {scheme}")


class Redactor:
    """Replaces every known secret (and its Basic-auth encodings) with a placeholder.

    One process-wide instance (`REDACTOR`) learns each token as it is created or loaded, so that
    transcripts, curl lines, logs and reports never carry one.
    """

    _AUTH_HEADER = re.compile(
        r"(?i)\b(private-token|deploy-token|job-token|authorization)(\s*[:=]\s*)(\"?)([^\"\r\n]+)"
    )

    def __init__(self) -> None:
        self._secrets: set[str] = set()
        self._lock = threading.Lock()

    def add(self, secret: str | None) -> None:
        if not secret or len(secret) < 6:
            return
        with self._lock:
            self._secrets.add(secret)

    def add_credential(self, credential: Credential) -> None:
        self.add(credential.token)
        if credential.token:
            pair = f"{basic_user(credential)}:{credential.token}".encode()
            self.add(base64.b64encode(pair).decode())

    def __call__(self, text: str) -> str:
        with self._lock:
            secrets = sorted(self._secrets, key=len, reverse=True)
        for secret in secrets:
            text = text.replace(secret, REDACTED)
        return text

    def header_value(self, name: str, value: str) -> str:
        """Header values that carry credentials are replaced whole, known secret or not."""
        if name.lower() in {"private-token", "deploy-token", "job-token", "authorization", "cookie"}:
            scheme = value.split(" ", 1)[0] if name.lower() == "authorization" and " " in value else ""
            return f"{scheme} {REDACTED}".strip()
        return self(value)


REDACTOR = Redactor()
