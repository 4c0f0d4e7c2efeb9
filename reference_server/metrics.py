"""Push/pull event counters in the Prometheus text format, one registry per app, served at `/-/metrics`."""

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, generate_latest
from starlette.requests import Request
from starlette.responses import Response

from reference_server.auth import Principal


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.package_events = Counter(
            "package_events", "Package push and pull events", ["format", "event", "token_kind"],
            registry=self.registry)

    def count(self, format_name: str, event: str, principal: Principal | None) -> None:
        token_kind = principal.kind.value if principal else "anonymous"
        self.package_events.labels(format=format_name, event=event, token_kind=token_kind).inc()


async def metrics_endpoint(request: Request) -> Response:
    metrics: Metrics = request.app.state.metrics
    return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)
