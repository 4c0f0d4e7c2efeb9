"""The reference server's maven API: its routes (routes.py) and their helpers."""

from reference_server.formats.maven.routes import ROUTES

__all__ = ["ROUTES"]
