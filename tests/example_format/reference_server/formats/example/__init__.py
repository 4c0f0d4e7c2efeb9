"""The reference server's example API: its routes (routes.py), built on the shared server helpers."""

from .routes import ROUTES

__all__ = ["ROUTES"]
