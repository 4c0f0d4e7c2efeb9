"""The Helm format (GitLab's Helm chart repository, per project and channel), one job per module: the rules and
endpoints (`rules.py`), file names and channels (`names.py`), real chart archives (`artifacts.py`), the requests
(`requests.py`), the FormatOperations (`operations.py`), and curl with a `helm pull` over HTTP (`clients.py`)."""

from .artifacts import Chart, build_chart, chart_yaml
from .clients import IMAGES, RECIPES
from .names import channel_of, chart_file_name, hinted_file_name, split_file_name
from .operations import OPERATIONS, HelmOperations
from .requests import download, index, upload
from .rules import (
    CHANNEL_REGEX,
    CHANNEL_RULE,
    CHART_YAML_MAX,
    DEFAULT_CHANNEL,
    DOWNLOAD,
    FORMAT,
    HELM,
    HELM_ROUTE,
    INDEX,
    MAX_PACKAGES_COUNT,
    NAME_REGEX,
    PACKAGE_TYPE,
    RULES,
    TEMPORARY_PACKAGE_NAME,
    TEMPORARY_VERSION_PREFIX,
    UPLOAD,
    UPLOADED_FILE_NAME,
    VERSION_REGEX,
)

__all__ = ["CHANNEL_REGEX", "CHANNEL_RULE", "CHART_YAML_MAX", "DEFAULT_CHANNEL", "DOWNLOAD", "FORMAT", "HELM",
           "HELM_ROUTE", "IMAGES", "INDEX", "MAX_PACKAGES_COUNT", "NAME_REGEX", "OPERATIONS", "PACKAGE_TYPE", "RECIPES",
           "RULES", "TEMPORARY_PACKAGE_NAME", "TEMPORARY_VERSION_PREFIX", "UPLOAD", "UPLOADED_FILE_NAME",
           "VERSION_REGEX", "Chart", "HelmOperations", "build_chart", "channel_of", "chart_file_name", "chart_yaml",
           "download", "hinted_file_name", "index", "split_file_name", "upload"]
