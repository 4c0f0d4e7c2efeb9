"""The Go format (GitLab's Go proxy), one job per module: the rules and endpoints (`rules.py`), module paths,
versions, pseudo-versions and Go's module hash (`names.py`), a real module (`artifacts.py`), the proxy's requests
(`requests.py`), the FormatOperations (`operations.py`: a publish is a commit and a tag of the project's
repository), `go` itself and its image (`clients.py`)."""

from .artifacts import GoModule
from .clients import GO_IMAGE, IMAGES, RECIPES
from .operations import OPERATIONS, GoOperations
from .rules import GO, INFO, LIST, MOD, RULES, ZIP

__all__ = ["GO", "GO_IMAGE", "IMAGES", "INFO", "LIST", "MOD", "OPERATIONS", "RECIPES", "RULES", "ZIP", "GoModule",
           "GoOperations"]
