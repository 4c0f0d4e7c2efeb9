"""Drivers carry a format operation's request to the target and report an Observation.

`http` sends plain HTTP; later drivers run real package-manager clients (npm, pip, mvn, curl, …) with the same
interface.
"""

from engine.drivers.base import EXCERPT_LIMIT, BodyDigest, Driver, Observation
from engine.drivers.http import HttpDriver

__all__ = ["EXCERPT_LIMIT", "BodyDigest", "Driver", "HttpDriver", "Observation"]
