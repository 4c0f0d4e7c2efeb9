"""The reference server's NuGet API: its routes (routes.py), the .nuspec reader (nuspec.py) and the feed's documents
(documents.py: service indexes, registration, search results, the v2 OData entries)."""

from .routes import ROUTES

__all__ = ["ROUTES"]
