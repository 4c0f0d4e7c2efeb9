"""The Maven format's rules (GitLab's Maven regexes) and the endpoints mvn talks to, the Format.

Auth. mvn sends `Private-Token`, `Deploy-Token` or `Job-Token` from settings.xml, or Basic; every token kind is
accepted both ways. An anonymous request to a private project is answered 401 with `WWW-Authenticate: Basic`: Maven
sends Basic credentials on a GET only after that challenge (Endpoint's defaults say all of this).
"""

import re

from core import packages_api
from core.format_types import DuplicatePolicy, Endpoint, Format, FormatRules, Forwarding
from core.route_auth import MAVEN_GROUP_ROUTE, MAVEN_INSTANCE_ROUTE, MAVEN_ROUTE
from core.vocabulary import Operation

GIB = 1 << 30

# Gitlab::Regex (lib/gitlab/regex/packages.rb); Ruby's \w is ASCII, hence re.ASCII.
APP_NAME_PATTERN = re.compile(r"[\w.-]+", re.ASCII)  # maven_app_name_regex, and maven_app_group_regex
PATH_PATTERN = re.compile(r"@?(?:[\w.-]*/)*[\w.+-]*", re.ASCII)  # maven_path_regex
VERSION_PATTERN = re.compile(r"(?!.*\.\.)[\w+.-]+", re.ASCII)  # maven_version_regex
FILE_NAME_PATTERN = re.compile(r"[A-Za-z0-9._+-]+")  # maven_file_name_regex

APP_NAME_RULE = "only letters, digits, '_', '.' and '-' (Gitlab::Regex.maven_app_name_regex)"
PATH_RULE = r"must match \A\@?(([\w\-\.]*)/)*([\w\-\.\+]*)\z (Gitlab::Regex.maven_path_regex)"

# Request forwarding (lib/api/helpers/packages/dependency_proxy_helpers.rb `registry_url`:
# `"#{base_url}#{options[:path]}/#{options[:file_name]}"`): a file GitLab does not have is redirected to Maven
# Central. lib/api/maven_packages.rb `find_and_present_package_file`: the project route authorizes first
# (`authorized_user_project(action: :read_package)`, `authorize_read_package!`), the group route after
# `find_authorized_group!`; the instance route does not forward. Also behind the feature flag
# maven_central_request_forwarding (`maven_forwarding_ff_enabled?`).
FORWARDING = Forwarding(
    upstream="https://repo.maven.apache.org/maven2/",
    endpoints=frozenset({"download", "group_download"}),
    rule="lib/api/maven_packages.rb (find_and_present_package_file), "
         "lib/api/helpers/packages/dependency_proxy_helpers.rb",
)


def forward_url(path: str, file_name: str) -> str:
    """The file on Maven Central GitLab redirects to: `<groupId parts>/<artifactId>[/<version>]` and the file."""
    return f"{FORWARDING.upstream}{path}/{file_name}"


RULES = FormatRules(
    name_pattern=APP_NAME_PATTERN,  # the harness's name is the artifactId
    version_pattern=VERSION_PATTERN,
    file_name_pattern=FILE_NAME_PATTERN,
    size_limit=3 * GIB,  # GitLab's default plan limit `maven_max_file_size`
    plan_limit="maven_max_file_size",  # lib/api/entities/plan_limit.rb
    # maven_packages.rb: `bad_request!(result.errors.first)`, where FindOrCreatePackageService's error is
    # 'Duplicate package is not allowed'. Allowed by default; a group setting with an exceptions regex refuses them.
    duplicates=DuplicatePolicy(allowed_by_default=True, switchable=True, refused_status=400),
    name_rule=APP_NAME_RULE,
    version_rule=r"must match \A(?!.*\.\.)[\w+.-]+\z: letters, digits, '_', '+', '.', '-', never '..'"
    " (Gitlab::Regex.maven_version_regex)",
    file_name_rule="only letters, digits, '.', '_', '-' and '+' (Gitlab::Regex.maven_file_name_regex)",
    too_large_status=400,
    too_large_before_body=False,
    too_large_rule="the upload answers 400 'File is too large' once Workhorse has taken the file "
                   "(lib/api/maven_packages.rb, spec 'file size is too large')",
    forwarding=FORWARDING,
)

# The project-level Maven repository (the URL mvn is configured with); every project endpoint is under it.
PROJECT_REPOSITORY = "/api/v4/projects/{project_id}/packages/maven"
_PROJECT_PATH = PROJECT_REPOSITORY + "/{path:path}"
_AGGREGATION = (
    "GitLab-only aggregation: a Maven repository is one URL; GitLab also serves every project's packages"
    " through one URL per group and one for the instance."
)

UPLOAD = Endpoint(
    name="upload", method="PUT", path=_PROJECT_PATH, operation=Operation.PUSH, success_status=200, auth=MAVEN_ROUTE
)
# The same route, for a `.sha1` (`.sha256`, `.sha512`) after a file: verified, not stored, answered 204 No Content.
# A `.md5` is answered by UPLOAD's 200, unverified, as GitLab does.
VERIFY_CHECKSUM = Endpoint(
    name="verify_checksum",
    method="PUT",
    path=_PROJECT_PATH,
    operation=Operation.PUSH,
    success_status=204,
    auth=MAVEN_ROUTE,
)
VERIFIED_CHECKSUMS = ("sha1", "sha256", "sha512")
DOWNLOAD = Endpoint(
    name="download", method="GET", path=_PROJECT_PATH, operation=Operation.PULL, success_status=200, auth=MAVEN_ROUTE
)
GROUP_DOWNLOAD = Endpoint(
    name="group_download",
    method="GET",
    path="/api/v4/groups/{group_id}/-/packages/maven/{path:path}",
    operation=Operation.PULL,
    success_status=200,
    auth=MAVEN_GROUP_ROUTE,
    custom_reason=_AGGREGATION + " The newest package of that path in any project of the group that the caller"
    " may read wins.",
)
INSTANCE_DOWNLOAD = Endpoint(
    name="instance_download",
    method="GET",
    path="/api/v4/packages/maven/{path:path}",
    operation=Operation.PULL,
    success_status=200,
    auth=MAVEN_INSTANCE_ROUTE,
    custom_reason=_AGGREGATION + " GitLab finds the project by the package's name: the project's full path must be"
    " the groupId (as a path) and the artifactId.",
)

MAVEN = Format(
    name="maven",
    rules=RULES,
    endpoints={e.name: e for e in (UPLOAD, VERIFY_CHECKSUM, DOWNLOAD, GROUP_DOWNLOAD, INSTANCE_DOWNLOAD)}
    | packages_api.ENDPOINTS,
)
