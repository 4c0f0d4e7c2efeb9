"""The Generic format (seed 003): rules and endpoints (`rules.py`), a streaming artifact builder (`artifacts.py`),
requests (`requests.py`), the FormatOperations (`operations.py`) and curl with its image (`clients.py`)."""

from formats.generic.artifacts import GeneratedFile
from formats.generic.clients import IMAGES, RECIPES
from formats.generic.operations import OPERATIONS, GenericOperations
from formats.generic.requests import pull, push, search
from formats.generic.rules import DOWNLOAD, GENERIC, RULES, UPLOAD

__all__ = ["DOWNLOAD", "GENERIC", "IMAGES", "OPERATIONS", "RECIPES", "RULES", "UPLOAD", "GeneratedFile",
           "GenericOperations", "pull", "push", "search"]
