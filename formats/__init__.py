"""One module per package format: its rules, its endpoints and the requests that exercise them."""

from formats.base import Endpoint, Format, FormatRules, RequestSpec
from formats.generic import GENERIC

FORMATS: dict[str, Format] = {GENERIC.name: GENERIC}


def get_format(name: str) -> Format:
    try:
        return FORMATS[name]
    except KeyError:
        known = ", ".join(sorted(FORMATS))
        raise KeyError(f"unknown format {name!r}; known formats: {known}") from None


__all__ = ["Endpoint", "FORMATS", "Format", "FormatRules", "RequestSpec", "get_format"]
