"""The reference server's npm API: its routes (routes.py) and their helpers."""

from reference_server.formats.npm.routes import ROUTES

__all__ = ["ROUTES"]
