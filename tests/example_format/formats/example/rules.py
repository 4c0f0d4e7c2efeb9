"""The example format's rules and endpoints, the Format: everything the harness derives its cases from and the
reference server enforces."""

import re

from core import packages_api
from core.format_types import DuplicatePolicy, Endpoint, Format, FormatRules
from core.route_auth import BASIC, BEARER, HEADER, RouteAuth
from core.vocabulary import Operation

MIB = 1 << 20
PACKAGE_TYPE = "example"  # the Packages API's `package_type`
FILE_SUFFIX = ".raw"

RULES = FormatRules(
    # Lowercase names that start with a letter: stricter than Generic, so its refusals are its own.
    name_pattern=re.compile(r"[a-z][a-z0-9-]*"),
    # Three numbers, nothing else: 1.0.0 is a version, 1.0 and 1.0.0-rc1 are not.
    version_pattern=re.compile(r"[0-9]+\.[0-9]+\.[0-9]+", re.ASCII),
    # The file a push stores is always `<name>-<version>.raw` (artifacts.file_name).
    file_name_pattern=re.compile(r"[a-z][a-z0-9.-]*\.raw"),
    size_limit=512 * MIB,
    # A published version is immutable: its file cannot be uploaded again, and no group setting changes that.
    duplicates=DuplicatePolicy(allowed_by_default=False, switchable=False, refused_status=409,
                               refused_message="This version of the package already exists"),
    name_rule="a lowercase letter, then lowercase letters, digits and '-'",
    version_rule="three numbers separated by '.' (MAJOR.MINOR.PATCH)",
    file_name_rule=f"<name>-<version>{FILE_SUFFIX}",
)

_FILE_PATH = "/api/v4/projects/{project_id}/packages/example/{package_name}/{package_version}/{file_name}"
_OWN_API = "The example format is GitLab's own API, with no upstream registry: the worked example of adding a format."
# How the format's routes authenticate, in GitLab's terms: job tokens in every carrier, deploy tokens, access tokens
# over Basic, and the Basic challenge on 401s (the matrix gets its schemes from this line alone).
_ROUTE = RouteAuth(job_token=frozenset({HEADER, BASIC, BEARER}), deploy_token=True, basic_pat=True, challenge=True,
                   anonymous_hidden=401, source="the example format's own rules")

UPLOAD = Endpoint(
    name="upload",
    method="PUT",
    path=_FILE_PATH,
    operation=Operation.PUSH,
    success_status=201,
    auth=_ROUTE,
    custom_reason=_OWN_API,
)
DOWNLOAD = Endpoint(
    name="download",
    method="GET",
    path=_FILE_PATH,
    operation=Operation.PULL,
    success_status=200,
    auth=_ROUTE,
    custom_reason=_OWN_API,
)

EXAMPLE = Format(
    name="example",
    rules=RULES,
    endpoints={UPLOAD.name: UPLOAD, DOWNLOAD.name: DOWNLOAD, **packages_api.ENDPOINTS},
)
