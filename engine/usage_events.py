"""Push and pull event tracking (the MVC checklist's "push/pull event tracking"): the registry's usage counters,
read from its Prometheus text at `/-/metrics` as `package_events_total{format, event, token_kind}`.

Counters are instance-wide, so a case checks that they moved by at least what it did; a registry that tracks
nothing (or not this format or token kind) never moves them.
"""

from __future__ import annotations

import re

from core.format_types import Endpoint, RequestSpec
from core.route_auth import REST_API_ROUTE
from core.vocabulary import EVENTS_METRIC, EVENTS_METRICS_PATH, Operation

METRICS = Endpoint("usage metrics", "GET", EVENTS_METRICS_PATH, Operation.LIST, 200, REST_API_ROUTE)
_SAMPLE = re.compile(rf"^{EVENTS_METRIC}_total\{{(?P<labels>[^}}]*)\}}\s+(?P<value>[0-9.eE+-]+)\s*$", re.MULTILINE)
_LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')

Counts = dict[tuple[str, str, str], float]  # (format, event, token kind) → count


def request() -> RequestSpec:
    return RequestSpec(METRICS, METRICS.path)


def parse(text: str) -> Counts | None:
    """The event counters in a Prometheus text exposition; None when the text has no such metric at all."""
    counts: Counts = {}
    for match in _SAMPLE.finditer(text):
        labels = dict(_LABEL.findall(match.group("labels")))
        key = (labels.get("format", ""), labels.get("event", ""), labels.get("token_kind", ""))
        counts[key] = counts.get(key, 0.0) + float(match.group("value"))
    if not counts and f"# TYPE {EVENTS_METRIC}" not in text and f"# TYPE {EVENTS_METRIC}_total" not in text:
        return None
    return counts


def delta(before: Counts, after: Counts, format_name: str, event: str, token_kind: str) -> float:
    key = (format_name, event, token_kind)
    return after.get(key, 0.0) - before.get(key, 0.0)
