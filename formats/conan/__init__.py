"""The Conan format (GitLab's Conan 1 and Conan 2 repositories, package type `conan`), one job per module: the rules
and endpoints (`rules.py`), protocols, references and revisions (`names.py`), real recipes and packages
(`artifacts.py`), the requests (`requests.py`), the FormatOperations (`operations.py`), and the real clients
(`clients.py`)."""

from .artifacts import ConanRecipe, ExportArchive, build_recipe, conaninfo, manifest
from .clients import IMAGES, RECIPES
from .names import EXPORT, Protocol, hinted_file_name, protocol_of, recipe_revision, split_file_name, username_for
from .operations import OPERATIONS, ConanOperations
from .rules import (
    AUTHENTICATE,
    COMPONENT_REGEX,
    CONAN,
    CONAN_ROUTE,
    DEFAULT_CHANNEL,
    FORMAT,
    INSTANCE_PACKAGE_DOWNLOAD,
    INSTANCE_PACKAGE_UPLOAD,
    INSTANCE_RECIPE_DOWNLOAD,
    INSTANCE_RECIPE_UPLOAD,
    INSTANCE_SEARCH,
    NONE_VALUE,
    PACKAGE_DOWNLOAD,
    PACKAGE_FILES,
    PACKAGE_REFERENCE_REGEX,
    PACKAGE_TYPE,
    PACKAGE_UPLOAD,
    RECIPE_DOWNLOAD,
    RECIPE_FILES,
    RECIPE_UPLOAD,
    REVISION_REGEX_V2,
    RULES,
    SEARCH,
    USER_CHANNEL_REGEX,
    V1_PACKAGE_DOWNLOAD,
    V1_PACKAGE_UPLOAD,
    V1_RECIPE_DOWNLOAD,
    V1_RECIPE_UPLOAD,
    V1_REVISION,
    V1_SEARCH,
)

__all__ = ["AUTHENTICATE", "COMPONENT_REGEX", "CONAN", "CONAN_ROUTE", "DEFAULT_CHANNEL", "EXPORT", "FORMAT", "IMAGES",
           "INSTANCE_PACKAGE_DOWNLOAD", "INSTANCE_PACKAGE_UPLOAD", "INSTANCE_RECIPE_DOWNLOAD",
           "INSTANCE_RECIPE_UPLOAD", "INSTANCE_SEARCH", "NONE_VALUE", "OPERATIONS", "PACKAGE_DOWNLOAD",
           "PACKAGE_FILES", "PACKAGE_REFERENCE_REGEX", "PACKAGE_TYPE", "PACKAGE_UPLOAD", "RECIPES", "RECIPE_DOWNLOAD",
           "RECIPE_FILES", "RECIPE_UPLOAD", "REVISION_REGEX_V2", "RULES", "SEARCH", "USER_CHANNEL_REGEX",
           "V1_PACKAGE_DOWNLOAD", "V1_PACKAGE_UPLOAD", "V1_RECIPE_DOWNLOAD", "V1_RECIPE_UPLOAD", "V1_REVISION",
           "V1_SEARCH", "ConanOperations", "ConanRecipe", "ExportArchive", "Protocol", "build_recipe", "conaninfo",
           "hinted_file_name", "manifest", "protocol_of", "recipe_revision", "split_file_name", "username_for"]
