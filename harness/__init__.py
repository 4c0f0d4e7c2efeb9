"""The command line and the pytest plugin: the top layer, which wires the engine to the outputs."""

from core import __version__

__all__ = ["__version__"]
