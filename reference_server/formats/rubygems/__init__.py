"""The reference server's RubyGems API: its routes (routes.py) and the gem reader (gems.py)."""

from reference_server.formats.rubygems.routes import ROUTES

__all__ = ["ROUTES"]
