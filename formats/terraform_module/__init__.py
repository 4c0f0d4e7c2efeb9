"""The Terraform module format (GitLab's Terraform module registry), one job per module: the rules and endpoints
(`rules.py`), real module archives (`artifacts.py`), the requests (`requests.py`), the FormatOperations
(`operations.py`), and curl driven as `terraform init` walks the registry (`clients.py`)."""

from .artifacts import ModuleArchive, build_module, file_name, module_files
from .clients import IMAGES, RECIPES
from .operations import OPERATIONS, TerraformModuleOperations, namespace_of
from .rules import (
    DISCOVERY_PATH,
    DOWNLOAD,
    DUPLICATE_MESSAGE,
    ELSEWHERE_MESSAGE,
    FORMAT,
    INVALID_NAME_STATUS,
    MODULES_V1,
    NAMESPACE_DOWNLOAD,
    NAMESPACE_FILE,
    PACKAGE_NAME_REGEX,
    PACKAGE_TYPE,
    PART_REGEX,
    RULES,
    SYSTEM,
    TERRAFORM_MODULE,
    UPLOAD,
    VERSION_REGEX,
    VERSIONS,
)

__all__ = ["DISCOVERY_PATH", "DOWNLOAD", "DUPLICATE_MESSAGE", "ELSEWHERE_MESSAGE", "FORMAT", "IMAGES",
           "INVALID_NAME_STATUS", "MODULES_V1", "NAMESPACE_DOWNLOAD", "NAMESPACE_FILE", "OPERATIONS",
           "PACKAGE_NAME_REGEX", "PACKAGE_TYPE", "PART_REGEX", "RECIPES", "RULES", "SYSTEM", "TERRAFORM_MODULE",
           "UPLOAD", "VERSIONS", "VERSION_REGEX", "ModuleArchive", "TerraformModuleOperations", "build_module",
           "file_name", "module_files", "namespace_of"]
