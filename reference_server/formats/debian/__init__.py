"""The reference server's Debian routes (routes.py)."""

from reference_server.formats.debian.routes import ROUTES

__all__ = ["ROUTES"]
