"""`create_app(settings)`: the reference registry as a Starlette app (routes, state, middleware, error rendering)."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.routing import BaseRoute, Route

from core.discovery import subpackages
from core.faults import Fault
from core.vocabulary import EVENTS_METRICS_PATH
from reference_server import (
    formats,
    graphql,
    packages_api,
    provisioning,
    provisioning_setup,
    provisioning_tokens,
    reference_jobs,
    repository,
)
from reference_server.db import Database
from reference_server.errors import ApiError, api_error_handler, http_exception_handler, server_error_handler
from reference_server.metadata_cache import MetadataCache
from reference_server.metrics import Metrics, metrics_endpoint
from reference_server.paths import EncodedSlashMiddleware
from reference_server.ratelimit import RateLimitMiddleware
from reference_server.settings import ServerSettings
from reference_server.storage import FileStore
from reference_server.tokens import register_admin_token

DATABASE_FILE = "registry.sqlite3"


def format_routes() -> list[BaseRoute]:
    """The routes of every format in reference_server/formats/ (formats in name order: no two formats' paths
    overlap, each is under its own `packages/<format>` segment)."""
    routes: list[BaseRoute] = []
    for package in subpackages(formats):
        if not hasattr(package, "ROUTES"):
            raise TypeError(f"{package.__name__} is a format folder without ROUTES (its routes, in match order)")
        routes.extend(package.ROUTES)
    return routes


def create_app(settings: ServerSettings) -> Starlette:
    """A ready app over `settings.data_dir` (created if missing; existing data is kept)."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(settings.data_dir / DATABASE_FILE)
    if settings.admin_token:
        register_admin_token(db, settings.admin_token)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        db.close()

    routes = [
        Route(EVENTS_METRICS_PATH, metrics_endpoint, methods=["GET"]),
        *format_routes(),  # before the Packages API, whose `/packages/{package_id}` would take a format's path
        *packages_api.ROUTES,
        *provisioning.ROUTES,
        *provisioning_tokens.ROUTES,
        *provisioning_setup.ROUTES,
        *graphql.ROUTES,
        *reference_jobs.ROUTES,
        *repository.ROUTES,
    ]
    app = Starlette(
        routes=routes,
        middleware=[Middleware(EncodedSlashMiddleware),
                    Middleware(RateLimitMiddleware, rate_per_second=settings.rate_limit_per_second)],
        exception_handlers={ApiError: api_error_handler, HTTPException: http_exception_handler,
                            Exception: server_error_handler},
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.db = db
    app.state.store = FileStore(settings.data_dir)
    app.state.metrics = Metrics(tracked=not settings.has(Fault.EVENTS_NOT_TRACKED))
    app.state.metadata_cache = MetadataCache()
    return app
