"""Conan's rules and GitLab's Conan endpoints, the Format.

GitLab serves both Conan protocols under one package type, `conan`: Conan 1 (`.../packages/conan/v1`, per project and
for the whole instance, recipe revision always `0`) and Conan 2 (`.../projects/:id/packages/conan/v2`, revisions, behind
the `conan_package_revisions_support` feature flag, on by default since 18.x). Facts read from GitLab's
`lib/api/conan_project_packages.rb`, `lib/api/conan_instance_packages.rb`, `lib/api/conan/v1/*.rb`,
`lib/api/concerns/packages/conan_endpoints.rb` (v1), `lib/api/concerns/packages/conan/shared_endpoints.rb`,
`lib/api/conan/v2/project_packages.rb` (v2), `lib/api/helpers/packages/conan/api_helpers.rb` (authentication, the
upload and its size check), `app/models/packages/conan/metadatum.rb` (user and channel, the instance naming
convention), `lib/gitlab/regex.rb` (`conan_recipe_component_regex`, `conan_recipe_user_channel_regex`,
`conan_revision_regex`, `conan_revision_regex_v2`, CONAN_RECIPE_FILES / CONAN_PACKAGE_FILES),
`spec/support/shared_examples/requests/api/conan_packages_shared_examples.rb` and
`doc/user/packages/conan_repository/index.md`, `doc/user/packages/conan_2_repository/index.md`.

The HTTP driver speaks Conan 2 (the `v2` routes) for the shared push and pull: Conan 1 is end-of-life upstream and
GitLab's current guide is the Conan 2 one (`conan_2_repository`, `conan remote add gitlab
.../projects/<id>/packages/conan`, the client appending `/v2`). Conan 1 (project and instance level) is reached
through a file hint (`names.py`) by scenarios of its own.
"""

import re
from dataclasses import replace

from core import packages_api
from core.format_types import DuplicatePolicy, Endpoint, Format, FormatRules
from core.route_auth import BASIC, Level, RouteAuth
from core.vocabulary import Operation

GIB = 1 << 30
FORMAT = "conan"
PACKAGE_TYPE = "conan"
NONE_VALUE = "_"  # Packages::Conan::Metadatum::NONE_VALUE: a recipe without user and channel (`name/version`)
DEFAULT_CHANNEL = "stable"  # the channel GitLab's guide uses for the instance naming convention
V1_REVISION = "0"  # Packages::Conan::FileMetadatum::DEFAULT_REVISION; conan_revision_regex `\A0\z`
RECIPE_FILES = ("conanfile.py", "conanmanifest.txt", "conan_sources.tgz", "conan_export.tgz")
PACKAGE_FILES = ("conaninfo.txt", "conanmanifest.txt", "conan_package.tgz")

# Gitlab::Regex.conan_recipe_component_regex: `\A[a-zA-Z0-9_][a-zA-Z0-9_\+\.-]{1,49}\z` (names and versions);
# conan_recipe_user_channel_regex: the same or `_` alone.
COMPONENT_REGEX = re.compile(r"[a-zA-Z0-9_][a-zA-Z0-9_+.-]{1,49}")
USER_CHANNEL_REGEX = re.compile(r"_|[a-zA-Z0-9_][a-zA-Z0-9_+.-]{1,49}")
REVISION_REGEX_V2 = re.compile(r"[0-9a-fA-F]{32}|[0-9a-fA-F]{40}")  # conan_revision_regex_v2: md5 or a commit id
PACKAGE_REFERENCE_REGEX = re.compile(r"[A-Za-z0-9]+")  # conan_package_reference_regex
COMPONENT_RULE = ("a letter, digit or '_', then 1 to 49 letters, digits, '_', '+', '.' or '-' "
                  "(Gitlab::Regex.conan_recipe_component_regex)")

RULES = FormatRules(
    name_pattern=COMPONENT_REGEX,
    version_pattern=COMPONENT_REGEX,
    # CONAN_FILES, the `values:` of every file route's `file_name`
    file_name_pattern=re.compile("|".join(re.escape(f) for f in dict.fromkeys(RECIPE_FILES + PACKAGE_FILES))),
    size_limit=3 * GIB,  # GitLab's default conan_max_file_size (3221225472 bytes)
    plan_limit="conan_max_file_size",  # lib/api/entities/plan_limit.rb; ApiHelpers#upload_package_file reads it
    # ApiHelpers#find_or_create_package takes the package of that recipe when there is one and
    # Packages::Conan::CreatePackageFileService adds the file to it: no duplicate check and no group setting for
    # Conan (namespace package settings have none); downloads serve the most recent file (PackageFileFinder).
    duplicates=DuplicatePolicy(allowed_by_default=True, switchable=False, refused_status=400),
    name_rule="a recipe name: " + COMPONENT_RULE,
    version_rule="a recipe version: " + COMPONENT_RULE,
    file_name_rule="one of " + ", ".join(dict.fromkeys(RECIPE_FILES + PACKAGE_FILES)) + " (CONAN_FILES)",
    too_large_status=413,
    too_large_before_body=True,
    too_large_rule="every Conan upload route's `put 'authorize'` calls `authorize_workhorse!(subject: project, "
                   "maximum_size: project.actual_limits.conan_max_file_size)` with the default has_length: true, so "
                   "Workhorse refuses a body whose declared length is over the limit with 413 before streaming it; "
                   "the upload's own check (ApiHelpers#upload_package_file `bad_request!('File is too large')`) is "
                   "only reached without Workhorse",
)

_V2 = "/api/v4/projects/{project_id}/packages/conan/v2"
_V1 = "/api/v4/projects/{project_id}/packages/conan/v1"
_V1_INSTANCE = "/api/v4/packages/conan/v1"
_RECIPE = "conans/{package_name}/{package_version}/{package_username}/{package_channel}"
_V1_FILES = "files/{package_name}/{package_version}/{package_username}/{package_channel}/{recipe_revision}"

# lib/api/helpers/packages/conan/api_helpers.rb overrides GitLab's token finders: an access token, a deploy token or
# a job token is read from the Basic password (`find_password_from_basic_auth`, `find_deploy_token_from_http_basic_
# auth`, `find_job_from_http_basic_auth` with user `gitlab-ci-token`) or from the Bearer JWT that
# `GET .../users/authenticate` issued (`decode_oauth_token_from_jwt`, Gitlab::ConanToken); PRIVATE-TOKEN, the
# JOB-TOKEN and DEPLOY-TOKEN headers and a raw token as Bearer are not read (`find_oauth_access_token` is emptied).
# The harness's tokens are sent over Basic; the JWT exchange is what the real clients do (`conan remote login`).
# No BasicAuthHelpers: 401s carry no challenge. The spec's 'denies download with no token': an anonymous read of a
# private project answers 404; `authenticate_non_get!` answers an anonymous upload 401.
CONAN_ROUTE = RouteAuth(
    job_token=frozenset({BASIC}),
    deploy_token=True,
    basic_pat=True,
    challenge=False,
    anonymous_hidden=404,
    sent_through=frozenset({BASIC}),
    source="lib/api/helpers/packages/conan/api_helpers.rb",
)
# `authenticate_non_get!` in the API's `before`: an anonymous upload is a 401 whatever the project.
CONAN_UPLOAD_ROUTE = replace(CONAN_ROUTE, anonymous_hidden=401)
# The instance routes find the project from the recipe's user (`Metadatum.full_path_from`: `+` → `/`) and answer
# one the caller cannot see as a missing one (`find_project!`).
CONAN_INSTANCE_ROUTE = RouteAuth(
    job_token=frozenset({BASIC}),
    deploy_token=True,
    basic_pat=True,
    challenge=False,
    anonymous_hidden=404,
    level=Level.INSTANCE,
    sent_through=frozenset({BASIC}),
    source="lib/api/conan_instance_packages.rb",
)
CONAN_INSTANCE_UPLOAD_ROUTE = replace(CONAN_INSTANCE_ROUTE, anonymous_hidden=401)

_V2_RECIPE_FILE = _V2 + "/" + _RECIPE + "/revisions/{recipe_revision}/files/{file_name}"
_V2_PACKAGE_FILE = (_V2 + "/" + _RECIPE + "/revisions/{recipe_revision}/packages/{conan_package_reference}"
                    "/revisions/{package_revision}/files/{file_name}")
RECIPE_UPLOAD = Endpoint("recipe_upload", "PUT", _V2_RECIPE_FILE, Operation.PUSH, 200, CONAN_UPLOAD_ROUTE)
RECIPE_DOWNLOAD = Endpoint("recipe_download", "GET", _V2_RECIPE_FILE, Operation.PULL, 200, CONAN_ROUTE)
PACKAGE_UPLOAD = Endpoint("package_upload", "PUT", _V2_PACKAGE_FILE, Operation.PUSH, 200, CONAN_UPLOAD_ROUTE)
PACKAGE_DOWNLOAD = Endpoint("package_download", "GET", _V2_PACKAGE_FILE, Operation.PULL, 200, CONAN_ROUTE)
# SharedEndpoints `get 'conans/search'`: `{"results": ["name/version@user/channel", ...]}`, the project's recipes
SEARCH = Endpoint("search", "GET", _V2 + "/conans/search", Operation.METADATA, 200, CONAN_ROUTE)
AUTHENTICATE = Endpoint("authenticate", "GET", _V2 + "/users/authenticate", Operation.METADATA, 200, CONAN_ROUTE)

_V1_RECIPE_FILE = "/" + _V1_FILES + "/export/{file_name}"
_V1_PACKAGE_FILE = "/" + _V1_FILES + "/package/{conan_package_reference}/{package_revision}/{file_name}"
V1_RECIPE_UPLOAD = Endpoint("v1_recipe_upload", "PUT", _V1 + _V1_RECIPE_FILE, Operation.PUSH, 200,
                            CONAN_UPLOAD_ROUTE)
V1_RECIPE_DOWNLOAD = Endpoint("v1_recipe_download", "GET", _V1 + _V1_RECIPE_FILE, Operation.PULL, 200, CONAN_ROUTE)
V1_PACKAGE_UPLOAD = Endpoint("v1_package_upload", "PUT", _V1 + _V1_PACKAGE_FILE, Operation.PUSH, 200,
                             CONAN_UPLOAD_ROUTE)
V1_PACKAGE_DOWNLOAD = Endpoint("v1_package_download", "GET", _V1 + _V1_PACKAGE_FILE, Operation.PULL, 200,
                               CONAN_ROUTE)
V1_SEARCH = Endpoint("v1_search", "GET", _V1 + "/conans/search", Operation.METADATA, 200, CONAN_ROUTE)
_INSTANCE_REASON = ("GitLab's instance-level Conan 1 remote: one remote for every project, the project named by the "
                    "recipe's user (`<project path with + for />`), a naming convention only GitLab has.")
INSTANCE_RECIPE_UPLOAD = Endpoint("instance_recipe_upload", "PUT", _V1_INSTANCE + _V1_RECIPE_FILE, Operation.PUSH,
                                  200, CONAN_INSTANCE_UPLOAD_ROUTE, custom_reason=_INSTANCE_REASON)
INSTANCE_RECIPE_DOWNLOAD = Endpoint("instance_recipe_download", "GET", _V1_INSTANCE + _V1_RECIPE_FILE,
                                    Operation.PULL, 200, CONAN_INSTANCE_ROUTE, custom_reason=_INSTANCE_REASON)
INSTANCE_PACKAGE_UPLOAD = Endpoint("instance_package_upload", "PUT", _V1_INSTANCE + _V1_PACKAGE_FILE,
                                   Operation.PUSH, 200, CONAN_INSTANCE_UPLOAD_ROUTE,
                                   custom_reason=_INSTANCE_REASON)
INSTANCE_PACKAGE_DOWNLOAD = Endpoint("instance_package_download", "GET", _V1_INSTANCE + _V1_PACKAGE_FILE,
                                     Operation.PULL, 200, CONAN_INSTANCE_ROUTE, custom_reason=_INSTANCE_REASON)
INSTANCE_SEARCH = Endpoint("instance_search", "GET", _V1_INSTANCE + "/conans/search", Operation.METADATA, 200,
                           CONAN_INSTANCE_ROUTE, custom_reason=_INSTANCE_REASON)

ENDPOINTS = (RECIPE_UPLOAD, RECIPE_DOWNLOAD, PACKAGE_UPLOAD, PACKAGE_DOWNLOAD, SEARCH, AUTHENTICATE,
             V1_RECIPE_UPLOAD, V1_RECIPE_DOWNLOAD, V1_PACKAGE_UPLOAD, V1_PACKAGE_DOWNLOAD, V1_SEARCH,
             INSTANCE_RECIPE_UPLOAD, INSTANCE_RECIPE_DOWNLOAD, INSTANCE_PACKAGE_UPLOAD, INSTANCE_PACKAGE_DOWNLOAD,
             INSTANCE_SEARCH)

CONAN = Format(
    name=FORMAT,
    rules=RULES,
    endpoints={e.name: e for e in ENDPOINTS} | packages_api.ENDPOINTS,
)
