"""One module per package format: its rules, its endpoints and the requests that exercise them."""

from core.format_types import Endpoint, Format, FormatOperations, FormatRules, RequestSpec
from formats import generic, maven, npm, pypi

# Each format module defines its Format (rules and endpoints) and its FormatOperations (requests, artifacts).
OPERATIONS: dict[str, FormatOperations] = {
    ops.format.name: ops for ops in (generic.OPERATIONS, maven.OPERATIONS, npm.OPERATIONS, pypi.OPERATIONS)
}
FORMATS: dict[str, Format] = {name: ops.format for name, ops in OPERATIONS.items()}


def get_format(name: str) -> Format:
    try:
        return FORMATS[name]
    except KeyError:
        known = ", ".join(sorted(FORMATS))
        raise KeyError(f"unknown format {name!r}; known formats: {known}") from None


__all__ = ["Endpoint", "FORMATS", "Format", "FormatOperations", "FormatRules", "OPERATIONS", "RequestSpec",
           "get_format"]
