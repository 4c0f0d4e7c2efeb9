"""GitLab's Composer repository on the reference server (routes.py)."""

from reference_server.formats.composer.routes import ROUTES

__all__ = ["ROUTES"]
