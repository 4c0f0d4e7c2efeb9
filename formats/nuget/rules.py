"""NuGet's rules and GitLab's NuGet endpoints, the Format.

GitLab serves a NuGet feed per project (`/api/v4/projects/:id/packages/nuget`) and a read-only one per group
(`/api/v4/groups/:id/-/packages/nuget`): the v3 service index (`index.json`), the publish resource (`PUT`, multipart
field `package`), symbol packages (`PUT .../symbolpackage`), the package content (PackageBaseAddress: `download/...`),
the registration ("metadata") resource and the search query service; and a v2 feed (`.../nuget/v2`: service index,
`$metadata`, `PUT` push, FindPackagesById(), Packages()). Facts read from GitLab's `lib/api/nuget_project_packages.rb`,
`lib/api/nuget_group_packages.rb`, `lib/api/concerns/packages/nuget/private_endpoints.rb` and `public_endpoints.rb`,
`lib/api/helpers/packages/nuget.rb`, `lib/api/entities/nuget/*`, `app/presenters/packages/nuget/*`,
`app/services/packages/nuget/create_or_update_package_service.rb`, `extract_metadata_file_service.rb`,
`check_duplicates_service.rb`, `lib/gitlab/regex.rb` and `doc/user/packages/nuget_repository/index.md`.
"""

import re
from dataclasses import replace

from core import packages_api
from core.format_types import DuplicatePolicy, Endpoint, Format, FormatRules
from core.route_auth import BASIC, Level, RouteAuth
from core.vocabulary import Operation

MIB = 1 << 20
FORMAT = "nuget"
PACKAGE_TYPE = "nuget"
SOURCE = "lib/api/nuget_project_packages.rb"
TEMPORARY_PACKAGE_NAME = "NuGet.Temporary.Package"  # Packages::Nuget::TEMPORARY_PACKAGE_NAME
TEMPORARY_SYMBOL_PACKAGE_NAME = "NuGet.Temporary.SymbolPackage"  # Packages::Nuget::TEMPORARY_SYMBOL_PACKAGE_NAME
UPLOADED_FILE_NAME = "package.nupkg"  # API::NugetProjectPackages::PACKAGE_FILENAME
UPLOADED_SYMBOL_FILE_NAME = "package.snupkg"  # SYMBOL_PACKAGE_FILENAME
API_KEY_HEADER = "X-NuGet-ApiKey"  # API_KEY_HEADER = 'X-Nuget-Apikey' (headers are case-insensitive)
NUSPEC_MAX = 4 * MIB  # Packages::Nuget::ExtractMetadataFileService::MAX_FILE_SIZE: 'nuspec file too big'
DUPLICATE_MESSAGE = "A package with the same name and version already exists"  # CreateOrUpdatePackageService

# Gitlab::Regex.nuget_package_name_regex: %r{\A[-+\.\_a-zA-Z0-9]+\z}
NAME_REGEX = re.compile(r"[-+._a-zA-Z0-9]+", re.ASCII)
# Gitlab::Regex.nuget_version_regex: _semver_major_regex . _semver_minor_regex (. _semver_patch_regex)? (\.\d*)?
# _semver_prerelease_build_regex: SemVer with an optional patch and an optional fourth (revision) number.
_IDENT = r"(?:\d*[a-zA-Z-][0-9a-zA-Z-]*|[1-9]\d*|0)"
VERSION_REGEX = re.compile(
    r"(?P<major>0|[1-9]\d*)\.(?P<minor>0|[1-9]\d*)(?:\.(?P<patch>0|[1-9]\d*))?(?:\.\d*)?"
    rf"(?:-(?P<prerelease>{_IDENT}(?:\.{_IDENT})*))?"
    r"(?:\+(?P<build>[0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?",
    re.ASCII,
)

RULES = FormatRules(
    name_pattern=NAME_REGEX,
    version_pattern=VERSION_REGEX,
    # CreateOrUpdatePackageService#package_filename: "#{name.downcase}.#{version.downcase}.nupkg"
    file_name_pattern=re.compile(r"[-+._a-z0-9]+\.s?nupkg", re.ASCII),
    size_limit=500 * MIB,  # GitLab's default nuget_max_file_size (524288000 bytes)
    plan_limit="nuget_max_file_size",  # lib/api/nuget_project_packages.rb `actual_limits.nuget_max_file_size`
    # Namespace::PackageSetting.duplicates_allowed?: the group's `nuget_duplicates_allowed` (default true) and
    # `nuget_duplicate_exception_regex`; a refused duplicate is CreateOrUpdatePackageService::DUPLICATE_ERROR
    # (reason :conflict → 409, 'A package with the same name and version already exists').
    duplicates=DuplicatePolicy(allowed_by_default=True, switchable=True, refused_status=409,
                               refused_message=DUPLICATE_MESSAGE),
    name_rule="letters, digits, '.', '-', '_' and '+' (Gitlab::Regex.nuget_package_name_regex)",
    version_rule="MAJOR.MINOR[.PATCH][.REVISION] with SemVer pre-release and build parts, no leading zeros "
                 "(Gitlab::Regex.nuget_version_regex), e.g. 1.0, 1.3.0.17, 2.0.0-rc.1+build.5",
    file_name_rule="<name>.<version>.nupkg, lowercase (CreateOrUpdatePackageService#package_filename)",
    too_large_status=413,
    too_large_before_body=False,
    too_large_rule="`PUT nuget/authorize` gives Workhorse maximum_size = nuget_max_file_size with has_length: false, "
                   "so Workhorse answers 413 while it streams the file; the publish route's own check answers 400 "
                   "'File is too large' (lib/api/nuget_project_packages.rb upload_nuget_package_file)",
    invalid_status=400,  # ExtractMetadataFileService::ExtractionError → render_api_error!(message, :bad_request)
    # The current code creates the package on the fly when the .nuspec extracts (CreateOrUpdatePackageService),
    # and falls back to a temporary package and Packages::Nuget::ExtractionWorker otherwise; older GitLab always
    # used the worker. Waiting until the package is `default` is right for both.
    processed_in_background=True,
)

_PROJECT = "/api/v4/projects/{project_id}/packages/nuget"
_GROUP = "/api/v4/groups/{group_id}/-/packages/nuget"
# Read routes (metadata, query, download): `authenticate_with { accept.token_types(:personal_access_token_with_
# username, :deploy_token_with_username, :job_token_with_username).sent_through(:http_basic_auth) }` and
# BasicAuthHelpers: tokens over HTTP Basic only, 401s with the Basic challenge, `authorized_user_project` (anonymous
# on a private project 401, signed-in 404). The `_with_username` types also check the Basic user name against the
# token's user (Gitlab::APIAuthentication::TokenResolver); the harness does not model that check (see the report).
NUGET_ROUTE = RouteAuth(
    job_token=frozenset({BASIC}),
    deploy_token=True,
    basic_pat=True,
    challenge=True,
    anonymous_hidden=401,
    sent_through=frozenset({BASIC}),
    source=SOURCE,
)
# Publish, symbol publish, delete and v2 push (and their authorize routes) add
# `accept.token_types(:personal_access_token, :deploy_token, :job_token).sent_through(http_header: 'X-Nuget-Apikey')`
# to the Basic carrier: `nuget push -ApiKey`. The harness sends Basic, as GitLab's curl guide does; the API-key
# header (no shared auth scheme carries it) is taken by the reference server and tested in tests/test_nuget_server.py.
NUGET_PUSH_ROUTE = NUGET_ROUTE
# lib/api/nuget_group_packages.rb: the same Basic-only declaration, `authenticate!` first ("This API can't be
# accessed anonymously"), then `find_authorized_group!` (404 for a group the caller cannot read).
NUGET_GROUP_ROUTE = replace(NUGET_ROUTE, level=Level.GROUP, login_required=True,
                            source="lib/api/nuget_group_packages.rb")

_V2_REASON = ("nuget.org's v2 (OData) feed is served by GitLab only so that older clients (nuget.exe 2.x, Visual "
              "Studio's v2 sources) can push; GitLab's v2 push takes the same multipart `package` field as v3.")
_SYMBOL_REASON = ("a symbol package (.snupkg) published to the project's feed: nuget.org has a separate symbol "
                  "server; GitLab stores it with the package (SymbolPackagePublish/4.9.0 is not in its service "
                  "index).")

PUBLISH = Endpoint("publish", "PUT", _PROJECT, Operation.PUSH, 201, NUGET_PUSH_ROUTE)
SYMBOL_PUBLISH = Endpoint("symbol_publish", "PUT", _PROJECT + "/symbolpackage", Operation.PUSH, 201,
                          NUGET_PUSH_ROUTE, custom_reason=_SYMBOL_REASON)
V2_PUBLISH = Endpoint("v2_publish", "PUT", _PROJECT + "/v2", Operation.PUSH, 201, NUGET_PUSH_ROUTE,
                      custom_reason=_V2_REASON)
# PackageBaseAddress/3.0.0: `download/*package_name/index` (versions) and
# `download/*package_name/*package_version/*package_filename` (format: nupkg, snupkg).
DOWNLOAD = Endpoint("download", "GET", _PROJECT + "/download/{package_name}/{package_version}/{package_filename}",
                    Operation.PULL, 200, NUGET_ROUTE)
VERSIONS = Endpoint("versions", "GET", _PROJECT + "/download/{package_name}/index.json", Operation.METADATA, 200,
                    NUGET_ROUTE)
# RegistrationsBaseUrl: `metadata/*package_name/index` (the registration index) and `metadata/*package_name/
# *package_version` (one registration leaf), both `.json`.
METADATA = Endpoint("metadata", "GET", _PROJECT + "/metadata/{package_name}/index.json", Operation.METADATA, 200,
                    NUGET_ROUTE)
METADATA_VERSION = Endpoint("metadata_version", "GET", _PROJECT + "/metadata/{package_name}/{package_version}",
                            Operation.METADATA, 200, NUGET_ROUTE)
QUERY = Endpoint("query", "GET", _PROJECT + "/query", Operation.SEARCH, 200, NUGET_ROUTE)
DELETE = Endpoint("nuget_delete", "DELETE", _PROJECT + "/{package_name}/{package_version}", Operation.DELETE, 204,
                  NUGET_PUSH_ROUTE)
GROUP_METADATA = Endpoint("group_metadata", "GET", _GROUP + "/metadata/{package_name}/index.json",
                          Operation.METADATA, 200, NUGET_GROUP_ROUTE)
GROUP_METADATA_VERSION = Endpoint("group_metadata_version", "GET",
                                  _GROUP + "/metadata/{package_name}/{package_version}", Operation.METADATA, 200,
                                  NUGET_GROUP_ROUTE)
GROUP_QUERY = Endpoint("group_query", "GET", _GROUP + "/query", Operation.SEARCH, 200, NUGET_GROUP_ROUTE)

# Public routes (`include ::API::Concerns::Packages::Nuget::PublicEndpoints` before `authenticate_with`): the v3
# and v2 service indexes and v2 `$metadata` read no credentials and find the project with `find_project` (any
# existing project, 404 otherwise); the v2 OData queries (FindPackagesById(), Packages()) are outside every
# authentication declaration as well (`present_odata_entry`: `find_project(params[:project_id])`). They carry no
# RouteAuth the permission model judges, so they are served (and tested) but are not Endpoints of the matrix.
SERVICE_INDEX_PATH = _PROJECT + "/index.json"
GROUP_SERVICE_INDEX_PATH = _GROUP + "/index.json"
V2_SERVICE_INDEX_PATH = _PROJECT + "/v2"
V2_METADATA_PATH = _PROJECT + "/v2/$metadata"
V2_FIND_BY_ID_PATH = _PROJECT + "/v2/FindPackagesById()"
V2_PACKAGES_PATH = _PROJECT + "/v2/Packages()"
V2_PACKAGE_PATH = _PROJECT + "/v2/Packages(Id='{package_name}',Version='{package_version}')"

NUGET = Format(
    name=FORMAT,
    rules=RULES,
    endpoints={e.name: e for e in (PUBLISH, SYMBOL_PUBLISH, V2_PUBLISH, DOWNLOAD, VERSIONS, METADATA,
                                   METADATA_VERSION, QUERY, DELETE, GROUP_METADATA, GROUP_METADATA_VERSION,
                                   GROUP_QUERY)} | packages_api.ENDPOINTS,
)
