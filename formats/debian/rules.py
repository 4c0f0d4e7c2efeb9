"""Debian's rules and GitLab's Debian endpoints, the Format.

GitLab serves an apt repository per project (and per group) under `/api/v4/projects/:id/packages/debian`: each
distribution's `dists/<codename>/Release`, `InRelease` (signed with the distribution's GPG key) and
`dists/<codename>/<component>/binary-<arch>/Packages`, and the files under `pool/<codename>/<letter>/<name>/<version>/`.
A file is uploaded with `PUT .../packages/debian/:file_name` (a `.deb` alone with `distribution` and `component`, or the
files of a `.changes` upload then the `.changes`); a distribution is created first through GitLab's own API
(`POST /projects/:id/debian_distributions`). Facts read from GitLab's `lib/api/debian_project_packages.rb`,
`lib/api/debian_group_packages.rb`, `lib/api/concerns/packages/debian_package_endpoints.rb`,
`lib/api/project_debian_distributions.rb`, `lib/api/concerns/packages/debian_distribution_endpoints.rb`,
`app/models/packages/debian.rb`, `app/services/packages/debian/create_package_file_service.rb`,
`app/services/packages/debian/process_package_file_service.rb`, `lib/gitlab/regex.rb` and
`doc/user/packages/debian_repository/index.md`. GitLab gates the API behind the `debian_packages` feature flag (and
the group API behind `debian_group_packages`), both off by default: a target must enable them.
"""

import re

from core import packages_api
from core.format_types import DuplicatePolicy, Endpoint, Format, FormatRules
from core.route_auth import BASIC, HEADER, RouteAuth
from core.vocabulary import Operation

GIB = 1 << 30
FORMAT = "debian"
PACKAGE_TYPE = "debian"
TEMPORARY_PACKAGE_NAME = "debian-temporary-package"  # Packages::Debian::TEMPORARY_PACKAGE_NAME
TEMPORARY_VERSION_PREFIX = "0.0.0-"  # Packages::CreateTemporaryPackageService: a temporary version, then a uuid
DEFAULT_CODENAME = "stable"  # the distribution the harness creates in each project (`prepare`)
DEFAULT_COMPONENT = "main"  # Packages::Debian::CreateDistributionService's default component
ARCHITECTURE = "amd64"  # the harness's packages' architecture (the service's defaults are `all` and `amd64`)
ARCHITECTURES = ("all", ARCHITECTURE)
FEATURE_FLAGS = ("debian_packages", "debian_group_packages")

# Gitlab::Regex.debian_package_name_regex (Lintian's rule): `\A[a-z0-9][-+\.a-z0-9]+\z`.
NAME_REGEX = re.compile(r"[a-z0-9][-+.a-z0-9]+")
# Gitlab::Regex.debian_version_regex (dpkg's parser): an optional epoch of 1 to 9 digits, an upstream version starting
# with a digit, up to 14 `-revision`s, not ending in '-'; case-insensitive (`/xi`). The look-behind `(?<!-)` is
# redundant here: every `-revision` has at least one character after its '-'.
VERSION_REGEX = re.compile(r"(?:[0-9]{1,9}:)?[0-9][0-9a-z.+~]*(?:-[0-9a-z.+~]+){0,14}", re.IGNORECASE)
# Packages::Debian::DISTRIBUTION_REGEX (`/i`), COMPONENT_REGEX (the same), ARCHITECTURE_REGEX
DISTRIBUTION_REGEX = re.compile(r"[a-z0-9][a-z0-9.-]*", re.IGNORECASE)
COMPONENT_REGEX = DISTRIBUTION_REGEX
ARCHITECTURE_REGEX = re.compile(r"[a-z0-9][-a-z0-9]*")
LETTER_REGEX = re.compile(r"(lib)?[a-z0-9]")  # Packages::Debian::LETTER_REGEX
# Gitlab::Regex.debian_direct_upload_filename_regex: what a PUT with `distribution` may upload
DIRECT_UPLOAD_REGEX = re.compile(r".*\.(deb|udeb|ddeb)")
DIRECT_UPLOAD_MESSAGE = "Only debs, udebs and ddebs can be directly added to a distribution"
DISTRIBUTION_RULE = "a letter or digit, then letters, digits, '.' or '-' (Packages::Debian::DISTRIBUTION_REGEX)"
COMPONENT_RULE = DISTRIBUTION_RULE.replace("DISTRIBUTION_REGEX", "COMPONENT_REGEX")

RULES = FormatRules(
    name_pattern=NAME_REGEX,
    version_pattern=VERSION_REGEX,
    # dpkg's file name: <name>_<version without epoch>_<architecture>.deb; the upload takes any `.deb`
    file_name_pattern=re.compile(r"[^/]+\.(deb|udeb|ddeb|changes|dsc|buildinfo|tar\.[a-z0-9]+)"),
    size_limit=3 * GIB,  # GitLab's default debian_max_file_size (3221225472 bytes, db/structure.sql plan_limits)
    plan_limit="debian_max_file_size",  # lib/api/debian_project_packages.rb `actual_limits.debian_max_file_size`
    # ProcessPackageFileService#package: a second upload of a name and version in the same distribution adds its file
    # to the existing package (`existing_packages_with(...).with_codename_or_suite(...)`), the pool download serves
    # the newest file of the name (`package_files.with_file_name(...).last!`); no group setting covers Debian. (The
    # same name and version in another distribution of the project fails processing.)
    duplicates=DuplicatePolicy(allowed_by_default=True, switchable=False, refused_status=400),
    name_rule="a Debian package name: a lowercase letter or digit, then at least one lowercase letter, digit, "
              "'+', '-' or '.' (Gitlab::Regex.debian_package_name_regex)",
    version_rule="a Debian version: an optional epoch `N:`, a version starting with a digit (letters, digits, '.', "
                 "'+', '~'), up to 14 `-revision`s (Gitlab::Regex.debian_version_regex), e.g. 1.0.0, 1:2.3~rc1-4",
    file_name_rule="<name>_<version>_<architecture>.deb",
    too_large_status=413,
    too_large_before_body=True,
    too_large_rule="the authorize route gives Workhorse MaximumSize = debian_max_file_size "
                   "(lib/api/debian_project_packages.rb 'authorize'), which refuses a declared length over it with "
                   "413 before the body is read; the upload route's own check answers 400 'File is too large'",
    # lib/api/debian_project_packages.rb answers 201 once the file is stored in a temporary package;
    # Packages::Debian::ProcessPackageFileWorker then reads the .deb's control file, moves the file to the package of
    # its name and version (status `default`) and GenerateDistributionWorker rebuilds the indexes.
    processed_in_background=True,
    # ExtractMetadataService runs in that worker: a file that is no .deb fails there, the temporary package is
    # marked `error` (ProcessPackageFileWorker's rescue).
    invalid_in_background=True,
)

_PROJECT = "/api/v4/projects/{project_id}/packages/debian"
_GROUP = "/api/v4/groups/{group_id}/-/packages/debian"
# lib/api/concerns/packages/debian_package_endpoints.rb: `authenticate_with { |accept| accept.token_types(
# :personal_access_token_with_username, :deploy_token_with_username, :job_token_with_username)
# .sent_through(:http_basic_auth) }` and BasicAuthHelpers: tokens over HTTP Basic only (the user name must be the
# token's: the user's, the deploy token's, `gitlab-ci-token`, which is what the harness sends), 401s with the
# challenge; `authorized_user_project(action: :read_package)` answers anonymous callers of a private project 401.
DEBIAN_ROUTE = RouteAuth(
    job_token=frozenset({BASIC}),
    deploy_token=True,
    basic_pat=True,
    challenge=True,
    anonymous_hidden=401,
    sent_through=frozenset({BASIC}),
    source="lib/api/concerns/packages/debian_package_endpoints.rb",
)
# lib/api/concerns/packages/debian_distribution_endpoints.rb: access tokens in PRIVATE-TOKEN, deploy tokens in
# DEPLOY-TOKEN, job tokens in JOB-TOKEN (`sent_through(:http_private_token_header)` ...); `user_project` → 404.
DISTRIBUTIONS_ROUTE = RouteAuth(
    job_token=frozenset({HEADER}),
    deploy_token=True,
    basic_pat=False,
    challenge=True,
    anonymous_hidden=404,
    sent_through=frozenset({HEADER}),
    source="lib/api/concerns/packages/debian_distribution_endpoints.rb",
)

_UPLOAD_REASON = ("an apt repository has no upload protocol: GitLab takes each file by `PUT .../debian/:file_name` "
                  "(dput-ng's https method, or curl --upload-file as GitLab's guide shows)")
UPLOAD = Endpoint("upload", "PUT", _PROJECT + "/{file_name}", Operation.PUSH, 201, DEBIAN_ROUTE,
                  custom_reason=_UPLOAD_REASON)
RELEASE = Endpoint("release", "GET", _PROJECT + "/dists/{distribution}/Release", Operation.METADATA, 200,
                   DEBIAN_ROUTE)
IN_RELEASE = Endpoint("in_release", "GET", _PROJECT + "/dists/{distribution}/InRelease", Operation.METADATA, 200,
                      DEBIAN_ROUTE)
PACKAGES_INDEX = Endpoint("packages_index", "GET",
                          _PROJECT + "/dists/{distribution}/{component}/binary-{architecture}/Packages",
                          Operation.METADATA, 200, DEBIAN_ROUTE)
DOWNLOAD = Endpoint("download", "GET",
                    _PROJECT + "/pool/{distribution}/{letter}/{package_name}/{package_version}/{file_name}",
                    Operation.PULL, 200, DEBIAN_ROUTE)
# The distribution API (outside the registry's prefix: the harness's set-up, not the Format's endpoints)
CREATE_DISTRIBUTION = Endpoint("create_distribution", "POST", "/api/v4/projects/{project_id}/debian_distributions",
                               Operation.PUSH, 201, DISTRIBUTIONS_ROUTE)
DISTRIBUTION_KEY = Endpoint("distribution_key", "GET",
                            "/api/v4/projects/{project_id}/debian_distributions/{codename}/key.asc",
                            Operation.METADATA, 200, DISTRIBUTIONS_ROUTE)

DEBIAN = Format(
    name=FORMAT,
    rules=RULES,
    endpoints={e.name: e for e in (UPLOAD, RELEASE, IN_RELEASE, PACKAGES_INDEX, DOWNLOAD)} | packages_api.ENDPOINTS,
)
