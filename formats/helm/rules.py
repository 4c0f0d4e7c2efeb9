"""Helm's rules and GitLab's Helm endpoints, the Format.

GitLab serves a Helm chart repository per project and channel (`/api/v4/projects/:id/packages/helm/:channel`): the
repository's `index.yaml` and its charts, as `helm repo add` and `helm pull` read them, and an upload in the shape of
ChartMuseum's API (`POST .../helm/api/:channel/charts`, multipart field `chart`), which the helm-push plugin and
GitLab's documented `curl --form chart=@...` send. Facts read from GitLab's `lib/api/helm_packages.rb`,
`spec/requests/api/helm_packages_spec.rb` and
`spec/support/shared_examples/requests/api/helm_packages_shared_examples.rb`,
`app/services/packages/helm/extract_file_metadata_service.rb`, `app/services/packages/helm/process_file_service.rb`,
`app/workers/packages/helm/extraction_worker.rb`, `app/finders/packages/helm/packages_finder.rb`,
`app/models/packages/helm/package.rb`, `app/models/packages/helm/file_metadatum.rb`, `lib/gitlab/regex.rb` and
`doc/user/packages/helm_repository/index.md`.
"""

import re

from core import packages_api
from core.format_types import DuplicatePolicy, Endpoint, Format, FormatRules
from core.route_auth import BASIC, RouteAuth
from core.vocabulary import Operation

MIB = 1 << 20
FORMAT = "helm"
PACKAGE_TYPE = "helm"
DEFAULT_CHANNEL = "stable"  # GitLab's documented example channel
TEMPORARY_PACKAGE_NAME = "Helm.Temporary.Package"  # app/models/packages/helm.rb
TEMPORARY_VERSION_PREFIX = "0.0.0-"  # Packages::CreateTemporaryPackageService::PACKAGE_VERSION, then a uuid
UPLOADED_FILE_NAME = "package.tgz"  # API::HelmPackages::PACKAGE_FILENAME, renamed to <name>-<version>.tgz once read
MAX_PACKAGES_COUNT = 1000  # Packages::Helm::PackagesFinder: index.yaml lists the 1000 most recent packages
CHART_YAML_MAX = 1 * MIB  # Packages::Helm::ExtractFileMetadataService::MAX_FILE_SIZE

# Gitlab::Regex.helm_channel_regex: `\A([a-zA-Z0-9](\.|-|_)?){1,255}(?<!\.|-|_)\z`: letters and digits, each
# followed by at most one '.', '-' or '_', 255 letters and digits at most, not ending in a separator. Written here as
# the same language without the look-behind (which hypothesis cannot generate from): a letter or digit, then up to
# 254 times an optional separator and a letter or digit. `helm_package_regex` is the same rule for chart names.
CHANNEL_REGEX = re.compile(r"[a-zA-Z0-9](?:[._-]?[a-zA-Z0-9]){0,254}")
NAME_REGEX = CHANNEL_REGEX
# Gitlab::Regex.helm_version_regex: "identical to semver_regex, with optional preceding 'v'" (unbounded_semver_regex:
# MAJOR.MINOR.PATCH without leading zeros, an optional pre-release and build metadata).
_IDENT = r"(?:\d*[a-zA-Z-][0-9a-zA-Z-]*|[1-9]\d*|0)"
VERSION_REGEX = re.compile(
    r"v?(?P<major>0|[1-9]\d*)\.(?P<minor>0|[1-9]\d*)\.(?P<patch>0|[1-9]\d*)"
    rf"(?:-(?P<prerelease>{_IDENT}(?:\.{_IDENT})*))?"
    r"(?:\+(?P<build>[0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?",
    re.ASCII,
)
CHANNEL_RULE = ("letters and digits, each followed by at most one '.', '-' or '_', not ending in one, at most 255 "
                "letters and digits (Gitlab::Regex.helm_channel_regex)")

RULES = FormatRules(
    name_pattern=NAME_REGEX,
    version_pattern=VERSION_REGEX,
    # Packages::Helm::ProcessFileService#file_name: "#{chart_name}-#{chart_version}.tgz"
    file_name_pattern=re.compile(r"[A-Za-z0-9._+-]+\.tgz"),
    size_limit=5 * MIB,  # GitLab's default helm_max_file_size (5242880 bytes)
    plan_limit="helm_max_file_size",  # lib/api/entities/plan_limit.rb; lib/api/helm_packages.rb reads it
    # doc/user/packages/helm_repository/index.md: "You can publish Helm charts with duplicate names or versions. If
    # duplicates exist, GitLab always returns the chart with the latest version." ProcessFileService adds the file to
    # the package of that name and version when there is one; no group setting refuses Helm duplicates.
    duplicates=DuplicatePolicy(allowed_by_default=True, switchable=False, refused_status=400),
    name_rule="a chart name: " + CHANNEL_RULE.replace("helm_channel_regex", "helm_package_regex"),
    version_rule="a SemVer 2 version, optionally prefixed with 'v' (Gitlab::Regex.helm_version_regex), e.g. 1.0.0,"
                 " v2.1.0-rc.1+build.5",
    file_name_rule="<name>-<version>.tgz",
    too_large_status=413,
    too_large_before_body=False,
    too_large_rule="the authorize route gives Workhorse MaximumSize = helm_max_file_size with has_length: false, so "
                   "Workhorse answers 413 while it streams the file (lib/api/helm_packages.rb 'charts/authorize'); "
                   "the upload route's own check answers 400 'File is too large' (spec 'file size above maximum "
                   "limit')",
    # lib/api/helm_packages.rb answers every upload 201 and queues Packages::Helm::ExtractionWorker, which reads
    # Chart.yaml, renames the package and sets it `default`, or marks it `error`.
    processed_in_background=True,
    # The format guard and the name and version rules run in Packages::Helm::ExtractionWorker, after the 201: a file
    # that is no chart, or a Chart.yaml whose name or version breaks the rules, marks the temporary package `error`.
    invalid_in_background=True,
)

_PROJECT = "/api/v4/projects/{project_id}/packages/helm"
# lib/api/helm_packages.rb: `authenticate_with { |accept| accept.token_types(:personal_access_token, :deploy_token,
# :job_token).sent_through(:http_basic_auth) }` and `helpers ::API::Helpers::Packages::BasicAuthHelpers`: tokens are
# read from HTTP Basic only (any user name; the spec's 'job token for package uploads', accept_invalid_username:
# true), never from PRIVATE-TOKEN, the DEPLOY-TOKEN or JOB-TOKEN headers or Bearer; 401s carry the Basic challenge;
# `authorized_user_project` answers anonymous callers of a private (or unknown) project 401, signed-in callers 404.
HELM_ROUTE = RouteAuth(
    job_token=frozenset({BASIC}),
    deploy_token=True,
    basic_pat=True,
    challenge=True,
    anonymous_hidden=401,
    sent_through=frozenset({BASIC}),
    source="lib/api/helm_packages.rb",
)
_UPLOAD_REASON = ("Helm's chart repository protocol has no upload (a repository is index.yaml and chart files): "
                  "this is ChartMuseum's `POST /api/charts`, which the helm-push plugin sends, served by GitLab per "
                  "channel.")

UPLOAD = Endpoint("upload", "POST", _PROJECT + "/api/{channel}/charts", Operation.PUSH, 201, HELM_ROUTE,
                  custom_reason=_UPLOAD_REASON)
INDEX = Endpoint("index", "GET", _PROJECT + "/{channel}/index.yaml", Operation.METADATA, 200, HELM_ROUTE)
# `get ":channel/charts/:file_name.tgz"`: the route's file name has the .tgz suffix outside the parameter.
DOWNLOAD = Endpoint("download", "GET", _PROJECT + "/{channel}/charts/{file_name}", Operation.PULL, 200, HELM_ROUTE)

HELM = Format(
    name=FORMAT,
    rules=RULES,
    endpoints={e.name: e for e in (UPLOAD, INDEX, DOWNLOAD)} | packages_api.ENDPOINTS,
)
