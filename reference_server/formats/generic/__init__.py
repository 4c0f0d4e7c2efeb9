"""The reference server's generic API: its routes (routes.py) and their helpers."""

from reference_server.formats.generic.routes import ROUTES

__all__ = ["ROUTES"]
