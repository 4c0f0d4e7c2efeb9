"""The Debian format (GitLab's apt repository, per project), one job per module: the rules and endpoints
(`rules.py`), real `.deb` files (`artifacts.py`), the requests (`requests.py`), the FormatOperations
(`operations.py`), and curl uploads with apt-get installs (`clients.py`)."""

from .artifacts import DebPackage, control_file, deb_file_name, letter_of, not_a_deb, upstream_version
from .clients import IMAGES, RECIPES
from .operations import OPERATIONS, DebianOperations
from .rules import (
    ARCHITECTURE,
    ARCHITECTURE_REGEX,
    ARCHITECTURES,
    COMPONENT_REGEX,
    COMPONENT_RULE,
    CREATE_DISTRIBUTION,
    DEBIAN,
    DEFAULT_CODENAME,
    DEFAULT_COMPONENT,
    DIRECT_UPLOAD_MESSAGE,
    DIRECT_UPLOAD_REGEX,
    DISTRIBUTION_KEY,
    DISTRIBUTION_REGEX,
    DISTRIBUTION_RULE,
    DOWNLOAD,
    FORMAT,
    IN_RELEASE,
    LETTER_REGEX,
    PACKAGE_TYPE,
    PACKAGES_INDEX,
    RELEASE,
    RULES,
    TEMPORARY_PACKAGE_NAME,
    TEMPORARY_VERSION_PREFIX,
    UPLOAD,
)

__all__ = ["ARCHITECTURE", "ARCHITECTURES", "ARCHITECTURE_REGEX", "COMPONENT_REGEX", "COMPONENT_RULE",
           "CREATE_DISTRIBUTION", "DEBIAN", "DEFAULT_CODENAME", "DEFAULT_COMPONENT", "DIRECT_UPLOAD_MESSAGE",
           "DIRECT_UPLOAD_REGEX", "DISTRIBUTION_KEY", "DISTRIBUTION_REGEX", "DISTRIBUTION_RULE", "DOWNLOAD", "FORMAT",
           "IMAGES", "IN_RELEASE", "LETTER_REGEX", "OPERATIONS", "PACKAGES_INDEX", "PACKAGE_TYPE", "RECIPES",
           "RELEASE", "RULES", "TEMPORARY_PACKAGE_NAME", "TEMPORARY_VERSION_PREFIX", "UPLOAD", "DebPackage",
           "DebianOperations", "control_file", "deb_file_name", "letter_of", "not_a_deb", "upstream_version"]
