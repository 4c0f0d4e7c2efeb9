"""The reference server's Helm API: its routes (routes.py), the chart reader (chart.py) and index.yaml (index.py)."""

from .routes import ROUTES

__all__ = ["ROUTES"]
