"""The NuGet format (GitLab's NuGet feeds, per project and read-only per group), one job per module: the rules and
endpoints (`rules.py`), file names (`names.py`), real .nupkg and .snupkg files (`artifacts.py`), the requests
(`requests.py`), the FormatOperations (`operations.py`), and the clients (`clients.py`: curl as GitLab's guide
publishes, and nuget.exe on Mono)."""

from .artifacts import Nupkg, build_nupkg, build_snupkg, not_a_package, nuspec, stored_zip
from .clients import IMAGES, RECIPES
from .names import entry_stem, packed_file_name, stored_file_name
from .operations import OPERATIONS, NugetOperations
from .rules import (
    API_KEY_HEADER,
    DELETE,
    DOWNLOAD,
    DUPLICATE_MESSAGE,
    FORMAT,
    GROUP_METADATA,
    GROUP_METADATA_VERSION,
    GROUP_QUERY,
    GROUP_SERVICE_INDEX_PATH,
    METADATA,
    METADATA_VERSION,
    NAME_REGEX,
    NUGET,
    NUGET_GROUP_ROUTE,
    NUGET_ROUTE,
    NUSPEC_MAX,
    PACKAGE_TYPE,
    PUBLISH,
    QUERY,
    RULES,
    SERVICE_INDEX_PATH,
    SYMBOL_PUBLISH,
    TEMPORARY_PACKAGE_NAME,
    TEMPORARY_SYMBOL_PACKAGE_NAME,
    UPLOADED_FILE_NAME,
    UPLOADED_SYMBOL_FILE_NAME,
    V2_FIND_BY_ID_PATH,
    V2_METADATA_PATH,
    V2_PACKAGE_PATH,
    V2_PACKAGES_PATH,
    V2_PUBLISH,
    V2_SERVICE_INDEX_PATH,
    VERSION_REGEX,
    VERSIONS,
)

__all__ = ["API_KEY_HEADER", "DELETE", "DOWNLOAD", "DUPLICATE_MESSAGE", "FORMAT", "GROUP_METADATA",
           "GROUP_METADATA_VERSION", "GROUP_QUERY", "GROUP_SERVICE_INDEX_PATH", "IMAGES", "METADATA",
           "METADATA_VERSION", "NAME_REGEX", "NUGET", "NUGET_GROUP_ROUTE", "NUGET_ROUTE", "NUSPEC_MAX", "OPERATIONS",
           "PACKAGE_TYPE", "PUBLISH", "QUERY", "RECIPES", "RULES", "SERVICE_INDEX_PATH", "SYMBOL_PUBLISH",
           "TEMPORARY_PACKAGE_NAME", "TEMPORARY_SYMBOL_PACKAGE_NAME", "UPLOADED_FILE_NAME",
           "UPLOADED_SYMBOL_FILE_NAME", "V2_FIND_BY_ID_PATH", "V2_METADATA_PATH",
           "V2_PACKAGES_PATH", "V2_PACKAGE_PATH", "V2_PUBLISH", "V2_SERVICE_INDEX_PATH", "VERSIONS",
           "VERSION_REGEX", "Nupkg", "NugetOperations", "build_nupkg", "build_snupkg", "entry_stem",
           "not_a_package", "nuspec", "packed_file_name", "stored_file_name", "stored_zip"]
