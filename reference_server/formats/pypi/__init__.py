"""The reference server's pypi API: its routes (routes.py) and their helpers."""

from reference_server.formats.pypi.routes import ROUTES

__all__ = ["ROUTES"]
