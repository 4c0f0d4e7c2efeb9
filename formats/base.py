"""The format interface: rules, endpoints and request builders every format module provides."""

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from urllib.parse import quote

from harness.vocabulary import AuthScheme, Operation, TokenKind

ALL_KINDS = frozenset(TokenKind)
HEADER_AND_BASIC = frozenset({AuthScheme.HEADER, AuthScheme.BASIC})


@dataclass(frozen=True)
class Endpoint:
    """One HTTP endpoint, with the path template the reference server routes on (Starlette syntax)."""

    name: str
    method: str
    path: str
    operation: Operation
    success_status: int
    accepted_kinds: frozenset[TokenKind] = ALL_KINDS
    accepted_schemes: frozenset[AuthScheme] = HEADER_AND_BASIC
    anonymous_status: int = 401  # 401 + WWW-Authenticate, or 404 where GitLab hides private projects
    rate_limited: bool = True  # under one of GitLab's package rate-limit prefixes
    custom_reason: str | None = None  # why GitLab adds this where no upstream registry has it

    def url_path(self, **params: object) -> str:
        """The path with every `{param}` filled in, each URL-encoded as one path segment."""
        path = self.path
        for key, value in params.items():
            path = path.replace("{" + key + "}", quote(str(value), safe=""))
            path = path.replace("{" + key + ":path}", quote(str(value), safe="/"))
        if "{" in path:
            raise ValueError(f"endpoint {self.name}: unfilled parameters in {path}")
        return path


@dataclass(frozen=True)
class DuplicatePolicy:
    """Whether a second upload of the same name/version is accepted by default, and if it can be switched."""

    allowed_by_default: bool
    switchable: bool  # a group setting "reject duplicates" with an exceptions regex exists
    refused_status: int = 400  # how a refused duplicate is answered
    refused_message: str = "Duplicate package is not allowed"


@dataclass(frozen=True)
class FormatRules:
    """Validation facts, enforced by the reference server and exercised by the harness."""

    name_pattern: re.Pattern[str]
    version_pattern: re.Pattern[str]
    file_name_pattern: re.Pattern[str]
    size_limit: int  # bytes; GitLab's default for the format
    duplicates: DuplicatePolicy
    name_rule: str  # the rule as a sentence, for refusal messages
    version_rule: str
    file_name_rule: str
    too_large_status: int = 413  # a file over the size limit, refused before its body is read

    def name_error(self, name: str) -> str | None:
        return None if self.name_pattern.fullmatch(name) else f"package_name is invalid: {self.name_rule}"

    def version_error(self, version: str) -> str | None:
        return None if self.version_pattern.fullmatch(version) else f"package_version is invalid: {self.version_rule}"

    def file_name_error(self, file_name: str) -> str | None:
        if self.file_name_pattern.fullmatch(file_name):
            return None
        return f"file_name is invalid: {self.file_name_rule}"


Body = bytes | Iterable[bytes] | None


@dataclass
class RequestSpec:
    """A request, defined once by a format operation and sent by any driver (or a Locust user)."""

    endpoint: Endpoint
    path: str
    params: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    body: Body = None
    body_size: int | None = None  # known length of an iterable body, sent as Content-Length

    @property
    def method(self) -> str:
        return self.endpoint.method


@dataclass(frozen=True)
class Format:
    """A package format: name, rules, and its endpoints by name."""

    name: str
    rules: FormatRules
    endpoints: dict[str, Endpoint]

    def endpoint(self, name: str) -> Endpoint:
        return self.endpoints[name]

    def custom_endpoints(self) -> list[Endpoint]:
        return [e for e in self.endpoints.values() if e.custom_reason]


def iter_chunks(data: bytes, chunk_size: int = 1 << 16) -> Iterator[bytes]:
    for start in range(0, len(data), chunk_size):
        yield data[start : start + chunk_size]
