"""The npm format (GitLab's npm API), one job per module: the rules and endpoints (`rules.py`), how names, versions
and files are spelled (`names.py`), a real-tarball artifact builder (`artifacts.py`), the requests
(`requests.py`), the FormatOperations (`operations.py`), npm and pnpm with their image (`clients.py`).

This package re-exports every name other code imports from `formats.npm`.
"""

from formats.npm.artifacts import PAYLOAD, package_json, tarball
from formats.npm.clients import IMAGES, RECIPES
from formats.npm.names import escaped, pack_file_name, same_version, scope_of, tarball_file_name, unscoped, version_key
from formats.npm.operations import OPERATIONS, NpmOperations
from formats.npm.requests import (
           add_dist_tag,
           dist_tags,
           download,
           instance_add_dist_tag,
           instance_dist_tags,
           instance_packument,
           instance_remove_dist_tag,
           packument,
           publish,
           publish_document,
           remove_dist_tag,
           tarball_path,
)
from formats.npm.rules import (
           DIST_TAG_ADD,
           DIST_TAG_REMOVE,
           DIST_TAGS,
           FILE_NAME_PATTERN,
           FORWARDING,
           INSTANCE_DIST_TAG_ADD,
           INSTANCE_DIST_TAG_REMOVE,
           INSTANCE_DIST_TAGS,
           INSTANCE_PACKUMENT,
           NAME_PATTERN,
           NPM,
           NPM_ENDPOINTS,
           PACKUMENT,
           PUBLISH,
           RULES,
           TAG_PATTERN,
           TAG_RULE,
           TARBALL,
           VERSION_PATTERN,
           forward_url,
)

__all__ = ["DIST_TAGS", "DIST_TAG_ADD", "DIST_TAG_REMOVE", "FILE_NAME_PATTERN", "FORWARDING", "IMAGES",
           "INSTANCE_DIST_TAGS", "INSTANCE_DIST_TAG_ADD", "INSTANCE_DIST_TAG_REMOVE", "INSTANCE_PACKUMENT",
           "NAME_PATTERN", "NPM", "NPM_ENDPOINTS", "NpmOperations", "OPERATIONS", "PACKUMENT", "PAYLOAD", "PUBLISH",
           "RECIPES", "RULES", "TAG_PATTERN", "TAG_RULE", "TARBALL", "VERSION_PATTERN", "add_dist_tag", "dist_tags",
           "download", "escaped", "forward_url", "instance_add_dist_tag", "instance_dist_tags", "instance_packument",
           "instance_remove_dist_tag", "pack_file_name", "package_json", "packument", "publish", "publish_document",
           "remove_dist_tag", "same_version", "scope_of", "tarball", "tarball_file_name", "tarball_path", "unscoped",
           "version_key"]
