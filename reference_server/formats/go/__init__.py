"""The reference server's Go proxy: its routes (routes.py), read from the project's repository."""

from .routes import ROUTES

__all__ = ["ROUTES"]
