"""The PyPI format's rules and GitLab's PyPI endpoints, the Format.

GitLab serves PyPI per project (`/api/v4/projects/:id/packages/pypi`: the legacy upload API twine and uv use,
a PEP 503 / PEP 691 simple index, file downloads addressed by sha256) and per group (a simple index over every
project of the group the caller can read). Facts checked against GitLab's `lib/api/pypi_packages.rb`,
`Packages::Pypi::CreatePackageService`, `Packages::Pypi::Package` and `Packages::PackageFile`.
"""

import re

from core import packages_api
from core.format_types import DuplicatePolicy, Endpoint, Format, FormatRules, Forwarding
from core.route_auth import PYPI_GROUP_ROUTE, PYPI_ROUTE
from core.vocabulary import Operation

GIB = 1 << 30
FORMAT = "pypi"

# GitLab's Gitlab::Regex.pypi_version_regex (packaging 16.7's PEP 440 regex, case-insensitive), with names on the
# groups so versions can be normalized the way wheel file names and the simple index need them.
VERSION_REGEX = re.compile(
    r"""
    v?
    (?:(?P<epoch>[0-9]+)!)?
    (?P<release>[0-9]+(?:\.[0-9]+)*)
    (?:[-_.]?(?P<pre_l>a|b|c|rc|alpha|beta|pre|preview)[-_.]?(?P<pre_n>[0-9]+)?)?
    (?:-(?P<post_n1>[0-9]+)|[-_.]?(?P<post_l>post|rev|r)[-_.]?(?P<post_n2>[0-9]+)?)?
    (?:[-_.]?(?P<dev_l>dev)[-_.]?(?P<dev_n>[0-9]+)?)?
    (?:\+(?P<local>[a-z0-9]+(?:[-_.][a-z0-9]+)*))?
""",
    re.VERBOSE | re.IGNORECASE | re.ASCII,
)

# PEP 508's project name. GitLab itself only applies its generic package_name_regex (which also lets through
# '/', '@', '+' and leading or trailing punctuation); the reference server holds uploads to what pip, twine and uv
# can install, and the report lists the difference.
NAME_REGEX = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?")

# Request forwarding (lib/api/helpers/packages/dependency_proxy_helpers.rb `registry_url`:
# `"#{base_url}#{package_name}/"`): the simple page of a package the project (or group) lacks redirects to PyPI's,
# by the name as requested. lib/api/pypi_packages.rb `present_simple_package` calls `authorize_read_package!` first
# (after `project!` / `find_authorized_group!`), so a caller who may not read is refused as without forwarding.
FORWARDING = Forwarding(
    upstream="https://pypi.org/simple/",
    endpoints=frozenset({"simple_package", "group_simple_package"}),
    rule="lib/api/pypi_packages.rb (present_simple_package), lib/api/helpers/packages/dependency_proxy_helpers.rb",
)


def forward_url(name: str) -> str:
    """PyPI's simple page GitLab redirects to for a package it does not have."""
    return f"{FORWARDING.upstream}{name}/"


RULES = FormatRules(
    name_pattern=NAME_REGEX,
    version_pattern=VERSION_REGEX,
    file_name_pattern=re.compile(r"[A-Za-z0-9._+!-]+\.(?:whl|tar\.gz|zip)"),
    size_limit=3 * GIB,  # GitLab's default pypi_max_file_size
    plan_limit="pypi_max_file_size",  # lib/api/entities/plan_limit.rb
    # Packages::PackageFile validates `file_name, uniqueness: { scope: :package }` for PyPI packages; the create
    # service turns the RecordInvalid into `bad_request!`. There is no group setting to allow duplicates.
    duplicates=DuplicatePolicy(
        allowed_by_default=False,
        switchable=False,
        refused_status=400,
        refused_message="Validation failed: File name has already been taken",
    ),
    name_rule="a PEP 508 name: letters, digits, '.', '-' and '_', starting and ending with a letter or digit",
    version_rule="a PEP 440 version (GitLab's pypi_version_regex), e.g. 1.0, 2.1rc1, 1.0.post2.dev3+local.1",
    file_name_rule="a wheel (.whl) or source distribution (.tar.gz, .zip) file name of letters, digits,"
    " '.', '_', '-', '+' and '!'",
    too_large_status=413,
    too_large_before_body=False,
    too_large_rule="Workhorse is given MaximumSize (has_length: false) and answers 413 while it streams the file, "
                   "so the refusal comes as the body goes (lib/api/pypi_packages.rb, workhorse upload/rewrite.go)",
    forwarding=FORWARDING,
)

SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"  # PEP 691
SIMPLE_JSON_LATEST = "application/vnd.pypi.simple.latest+json"

_PROJECT = "/api/v4/projects/{project_id}/packages/pypi"
_GROUP = "/api/v4/groups/{group_id}/-/packages/pypi"
# GitLab's PyPI routes (core.route_auth.PYPI_ROUTE) take personal access, deploy and job tokens over Basic (a job token
# only as `gitlab-ci-token`), access and deploy tokens in their headers, and every kind as Bearer; never the
# JOB-TOKEN header. Anonymous requests to a private project or group get 401 with the Basic challenge, so pip
# retries with its credentials.
_GROUP_REASON = (
    "GitLab-only: upstream PyPI has one index per server, GitLab has one per project; the group-level"
    " index merges the packages of every project of a group (and its subgroups) the caller can read,"
    " so pip needs one --index-url instead of one per project."
)

UPLOAD = Endpoint("upload", "POST", _PROJECT, Operation.PUSH, 201, PYPI_ROUTE)
SIMPLE_INDEX = Endpoint("simple_index", "GET", _PROJECT + "/simple", Operation.LIST, 200, PYPI_ROUTE)
SIMPLE_PACKAGE = Endpoint(
    "simple_package", "GET", _PROJECT + "/simple/{package_name}", Operation.METADATA, 200, PYPI_ROUTE
)
DOWNLOAD = Endpoint("download", "GET", _PROJECT + "/files/{sha256}/{file_name}", Operation.PULL, 200, PYPI_ROUTE)
GROUP_SIMPLE_INDEX = Endpoint(
    "group_simple_index", "GET", _GROUP + "/simple", Operation.LIST, 200, PYPI_GROUP_ROUTE, custom_reason=_GROUP_REASON
)
GROUP_SIMPLE_PACKAGE = Endpoint(
    "group_simple_package",
    "GET",
    _GROUP + "/simple/{package_name}",
    Operation.METADATA,
    200,
    PYPI_GROUP_ROUTE,
    custom_reason=_GROUP_REASON,
)
GROUP_DOWNLOAD = Endpoint(
    "group_download",
    "GET",
    _GROUP + "/files/{sha256}/{file_name}",
    Operation.PULL,
    200,
    PYPI_GROUP_ROUTE,
    custom_reason=_GROUP_REASON,
)

PYPI = Format(
    name=FORMAT,
    rules=RULES,
    endpoints={
        e.name: e
        for e in (
            UPLOAD,
            SIMPLE_INDEX,
            SIMPLE_PACKAGE,
            DOWNLOAD,
            GROUP_SIMPLE_INDEX,
            GROUP_SIMPLE_PACKAGE,
            GROUP_DOWNLOAD,
        )
    }
    | packages_api.ENDPOINTS,
)
