"""The reference server's settings: where data lives, size limits, faults, bootstrap admin token, rate limit."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from core.faults import Fault, parse_faults
from formats import FORMATS


def _default_size_limits() -> dict[str, int]:
    return {name: fmt.rules.size_limit for name, fmt in FORMATS.items()}


@dataclass(frozen=True)
class ServerSettings:
    """Everything `create_app` needs. Unknown fault names raise ValueError at construction."""

    data_dir: Path
    size_limits: Mapping[str, int] = field(default_factory=_default_size_limits)  # format name -> bytes
    faults: frozenset[str] = frozenset()
    admin_token: str | None = None  # registered as a personal access token (scope api) of the admin `root`
    rate_limit_per_second: float | None = None  # None: no 429s

    def __post_init__(self) -> None:
        object.__setattr__(self, "data_dir", Path(self.data_dir))
        object.__setattr__(self, "faults", parse_faults(self.faults))
        object.__setattr__(self, "size_limits", {**_default_size_limits(), **self.size_limits})

    def size_limit(self, format_name: str) -> int:
        return self.size_limits[format_name]

    def has(self, fault: Fault) -> bool:
        return fault in self.faults
