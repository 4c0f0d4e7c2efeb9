"""Push/pull event counters in the Prometheus text format, one registry per app, served at `/-/metrics`.

Under the events_not_tracked fault the counter is still exposed, but nothing ever counts into it.
"""

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, generate_latest
from starlette.requests import Request
from starlette.responses import Response

from core.vocabulary import EVENTS_METRIC, Operation
from reference_server.auth import Principal


class Metrics:
    def __init__(self, tracked: bool = True) -> None:
        self.tracked = tracked  # False: the events_not_tracked fault
        self.registry = CollectorRegistry()
        self.package_events = Counter(
            EVENTS_METRIC, "Package push and pull events", ["format", "event", "token_kind"],
            registry=self.registry)

    def count(self, format_name: str, event: str, principal: Principal | None) -> None:
        if not self.tracked:
            return
        token_kind = principal.kind.value if principal else "anonymous"
        self.package_events.labels(format=format_name, event=event, token_kind=token_kind).inc()


async def metrics_endpoint(request: Request) -> Response:
    metrics: Metrics = request.app.state.metrics
    return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)


def count_event(request: Request, format_name: str, operation: Operation, principal: Principal | None) -> None:
    """Count one push or pull of the format's packages on the app's counter."""
    metrics: Metrics = request.app.state.metrics
    metrics.count(format_name, operation.value, principal)
