"""The PyPI format (GitLab's PyPI API), one job per module: the rules and endpoints (`rules.py`), PEP 503 names, PEP
440 versions and distribution file names (`names.py`), real wheel and sdist builders (`artifacts.py`), the requests
(`requests.py`), the FormatOperations (`operations.py`), twine, pip and uv with their image (`clients.py`).

This package re-exports every name other code imports from `formats.pypi`.
"""

from formats.pypi.artifacts import (
           DEFAULT_REQUIRES_PYTHON,
           SDIST_MAX,
           WheelArtifact,
           build_sdist,
           core_metadata,
           file_digests,
           record_hash,
)
from formats.pypi.clients import IMAGES, RECIPES
from formats.pypi.names import (
           DistributionName,
           normalize_name,
           normalize_version,
           parse_file_name,
           sdist_file_name,
           wheel_dist_name,
           wheel_file_name,
)
from formats.pypi.operations import OPERATIONS, PypiOperations
from formats.pypi.requests import (
           download,
           group_download,
           group_simple_index,
           group_simple_package,
           simple_index,
           simple_package,
           upload,
)
from formats.pypi.rules import (
           DOWNLOAD,
           FORMAT,
           FORWARDING,
           GROUP_DOWNLOAD,
           GROUP_SIMPLE_INDEX,
           GROUP_SIMPLE_PACKAGE,
           NAME_REGEX,
           PYPI,
           RULES,
           SIMPLE_INDEX,
           SIMPLE_JSON,
           SIMPLE_JSON_LATEST,
           SIMPLE_PACKAGE,
           UPLOAD,
           VERSION_REGEX,
           forward_url,
)

__all__ = ["DEFAULT_REQUIRES_PYTHON", "DOWNLOAD", "DistributionName", "FORMAT", "FORWARDING", "GROUP_DOWNLOAD",
           "GROUP_SIMPLE_INDEX", "GROUP_SIMPLE_PACKAGE", "IMAGES", "NAME_REGEX", "OPERATIONS", "PYPI",
           "PypiOperations", "RECIPES", "RULES", "SDIST_MAX", "SIMPLE_INDEX", "SIMPLE_JSON", "SIMPLE_JSON_LATEST",
           "SIMPLE_PACKAGE", "UPLOAD", "VERSION_REGEX", "WheelArtifact", "build_sdist", "core_metadata", "download",
           "file_digests", "forward_url", "group_download", "group_simple_index", "group_simple_package",
           "normalize_name", "normalize_version", "parse_file_name", "record_hash", "sdist_file_name",
           "simple_index", "simple_package", "upload", "wheel_dist_name", "wheel_file_name"]
