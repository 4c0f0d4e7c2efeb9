"""The Generic format (seed 003): its rules and endpoints, the Format."""

import re

from core import packages_api
from core.format_types import DuplicatePolicy, Endpoint, Format, FormatRules
from core.route_auth import GENERIC_DOWNLOAD_ROUTE, GENERIC_UPLOAD_ROUTE
from core.vocabulary import Operation

GIB = 1 << 30
PACKAGE_TYPE = "generic"  # the Packages API's `package_type`

RULES = FormatRules(
    # Seed 003: names and file names may hold a-z, A-Z, 0-9, '.', '-' and '_'.
    name_pattern=re.compile(r"[A-Za-z0-9._-]+"),
    # Seed 003: \A(\.?[\w\+-]+\.?)+\z, written here without the catastrophic nesting but with the same language.
    version_pattern=re.compile(r"\.?[\w+-]+(?:\.{1,2}[\w+-]+)*\.?", re.ASCII),
    file_name_pattern=re.compile(r"[A-Za-z0-9._-]+"),
    size_limit=5 * GIB,
    plan_limit="generic_packages_max_file_size",  # lib/api/entities/plan_limit.rb
    # GitLab's generic_packages.rb: `bad_request!('Duplicate package is not allowed')`.
    duplicates=DuplicatePolicy(allowed_by_default=True, switchable=True, refused_status=400),
    name_rule="only letters, digits, '.', '-' and '_'",
    version_rule=r"must match \A(\.?[\w\+-]+\.?)+\z",
    file_name_rule="only letters, digits, '.', '-' and '_'",
    too_large_status=400,
    too_large_before_body=False,
    too_large_rule="Workhorse takes the whole upload (the authorize route sends no MaximumSize with has_length: true)"
                   " and the PUT answers 400 'File is too large' (lib/api/generic_packages.rb, spec 'rejects "
                   "request if file size is too large')",
)

_FILE_PATH = "/api/v4/projects/{project_id}/packages/generic/{package_name}/{package_version}/{file_name}"
_NO_UPSTREAM = "Generic has no upstream client or protocol: this API is GitLab's own, for curl and CI jobs."

UPLOAD = Endpoint(
    name="upload",
    method="PUT",
    path=_FILE_PATH,
    operation=Operation.PUSH,
    success_status=201,
    auth=GENERIC_UPLOAD_ROUTE,
    custom_reason=_NO_UPSTREAM + " `status=hidden` and `select=package_file` are GitLab options too.",
)
DOWNLOAD = Endpoint(
    name="download",
    method="GET",
    path=_FILE_PATH,
    operation=Operation.PULL,
    success_status=200,
    auth=GENERIC_DOWNLOAD_ROUTE,
    custom_reason=_NO_UPSTREAM,
)

GENERIC = Format(
    name="generic",
    rules=RULES,
    endpoints={UPLOAD.name: UPLOAD, DOWNLOAD.name: DOWNLOAD, **packages_api.ENDPOINTS},
)
