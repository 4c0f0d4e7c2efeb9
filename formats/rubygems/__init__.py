"""The RubyGems format (GitLab's RubyGems API, an experiment behind the `rubygem_packages` flag), one job per module:
the rules and endpoints (`rules.py`), gem file names (`names.py`), real `.gem` files (`artifacts.py`), Ruby's Marshal
(`marshal.py`, the dependency API's answer), the requests (`requests.py`), the FormatOperations (`operations.py`),
`gem` and its image (`clients.py`)."""

from formats.rubygems.clients import IMAGES, RECIPES
from formats.rubygems.operations import OPERATIONS, RubygemsOperations

__all__ = ["IMAGES", "OPERATIONS", "RECIPES", "RubygemsOperations"]
