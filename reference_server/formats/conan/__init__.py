"""The reference server's Conan API: Conan 2 (project level, revisions) and Conan 1 (project and instance level)."""

from .routes import ROUTES

__all__ = ["ROUTES"]
