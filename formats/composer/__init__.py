"""The Composer format (GitLab's Composer repository), one job per module: the rules and endpoints (`rules.py`),
names, tags and branches (`names.py`), real packages (`artifacts.py`), the requests (`requests.py`), the
FormatOperations (`operations.py`), the composer client and its image (`clients.py`)."""

from formats.composer.clients import IMAGES, RECIPES
from formats.composer.operations import OPERATIONS, ComposerOperations
from formats.composer.rules import (
    ARCHIVE,
    COMPOSER,
    FORMAT,
    P2,
    PACKAGE_V1,
    PACKAGES_JSON,
    PROVIDER,
    PUBLISH,
    RULES,
    version_of_ref,
)

__all__ = ["ARCHIVE", "COMPOSER", "ComposerOperations", "FORMAT", "IMAGES", "OPERATIONS", "P2", "PACKAGES_JSON",
           "PACKAGE_V1", "PROVIDER", "PUBLISH", "RECIPES", "RULES", "version_of_ref"]
