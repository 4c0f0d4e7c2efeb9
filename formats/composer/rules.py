"""The Composer format's rules and GitLab's Composer endpoints, the Format.

GitLab's Composer registry (gitlabhq/gitlabhq `lib/api/composer_packages.rb`) publishes a package from the project's
own repository: `POST /projects/:id/packages/composer` names a tag (or a branch), GitLab reads `composer.json` at
that ref (`Packages::Composer::ComposerJsonService`: its `name` is the package's name) and takes the version from
the ref's name (`Packages::Composer::VersionParserService`: tag `v1.0.0` → `1.0.0`, a branch → `dev-<branch>`).
Nothing is uploaded: the download is an archive GitLab builds from the commit (`send_git_archive ... format: 'zip'`).
Composer installs from the group: `packages.json`, the v2 `p2/<name>.json` and the v1 `p/<sha>.json` documents are
group-level only (`resource :group`, singular, as GitLab spells it).
"""

import re
from dataclasses import replace

from core import packages_api
from core.format_types import DuplicatePolicy, Endpoint, Format, FormatRules
from core.route_auth import PYPI_ROUTE, Level
from core.vocabulary import AuthScheme, Operation

FORMAT = "composer"
VENDOR = "harness"  # the vendor of every package the harness publishes (`vendor/package`, composer.json's name)

# Gitlab::Regex::Packages#composer_package_version_regex (lib/gitlab/regex/packages.rb): what VersionParserService
# matches a tag name against, capture 1 being the version (`v1.2.3` → `1.2.3`).
COMPOSER_VERSION_REGEX = re.compile(
    r"v?((\d++)(\.(?:\d++|[xX*]))?(\.(?:\d++|[xX*]))?(\.(?:\d++|[xX*]))?)?")
# Packages::Composer::Package validates the version with Gitlab::Regex.semver_regex unless it is a dev version
# (`composer_dev_version_regex`, `(^dev-)|(-dev$)`). A tag's version passes both only as MAJOR.MINOR.PATCH (the
# composer regex takes digits, x and * only: no pre-release), so that is what a published tag version is.
VERSION_REGEX = re.compile(r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)")
# Gitlab::Regex.package_name_regex: the only check GitLab makes of composer.json's `name`
# (app/models/packages/composer/package.rb `validates :name, format: { with: Gitlab::Regex.package_name_regex }`).
PACKAGE_NAME_REGEX = re.compile(r"@?(?:[\w\-.+]*/)*[\w\-.]+@?(?:[\w\-.+]*/)*[\w\-.]*", re.ASCII)
# The harness names a package `harness/<name>`: <name> is a segment GitLab's regex accepts after the vendor.
NAME_REGEX = re.compile(r"[\w\-.]+", re.ASCII)

RULES = FormatRules(
    name_pattern=NAME_REGEX,
    version_pattern=VERSION_REGEX,
    file_name_pattern=re.compile(r"[\w\-.+]+\.zip", re.ASCII),
    # GitLab has no Composer size limit: nothing is uploaded (there is no composer column in
    # app/models/plan_limits.rb); the archive is built from the repository. See `no_size_limit`.
    size_limit=1 << 62,
    # CreatePackageService#created_package: `find_or_create_package!(:composer, name:, version:)` finds the package a
    # second publish of the same tag (or of the tag moved to another commit) names, and `Metadatum.upsert` points it
    # at the new commit: a duplicate is always accepted (201) and the newest commit is what installs. GitLab has no
    # duplicate setting for Composer (no composer columns in namespace_package_settings).
    duplicates=DuplicatePolicy(allowed_by_default=True, switchable=False),
    name_rule="composer.json's name, `harness/<name>`, as Gitlab::Regex.package_name_regex takes it (letters, "
              "digits, '_', '-', '.')",
    version_rule="the tag's version, `v<MAJOR>.<MINOR>.<PATCH>` (Gitlab::Regex.composer_package_version_regex, then "
                 "semver_regex in Packages::Composer::Package)",
    file_name_rule="the archive `<name>.zip` GitLab builds from the commit",
    # ComposerPackages `rescue_from Packages::Composer::ComposerJsonService::InvalidJson` → 422: a ref without a
    # composer.json, or one that is not JSON (spec 'with invalid composer.json' → :unprocessable_entity).
    invalid_status=422,
    plan_limit=None,
    names_instance_wide=True,
)
NO_SIZE_LIMIT = ("GitLab has no size limit for Composer packages: the publish request names a tag and uploads "
                 "nothing, the archive is built from the repository (app/models/plan_limits.rb has no composer column)")

# Route settings (lib/api/composer_packages.rb, the current file): every route has `basic_auth_personal_access_token:
# true, deploy_token_allowed: true` and the class includes BasicAuthHelpers (401s carry the Basic challenge,
# `unauthorized_or! { not_found! }`). The group routes and the archive download take job tokens over Basic only
# (`job_token_allowed: :basic_auth`); the publish route takes them in JOB-TOKEN too (`job_token_allowed: true`).
# Group routes find the group with `find_authorized_group!` (a private group: anonymous 401, others 404; a project's
# deploy token has no `read_group` on a non-public group), as PyPI's do.
_SOURCE = "lib/api/composer_packages.rb"
GROUP_ROUTE = replace(PYPI_ROUTE, level=Level.GROUP, source=_SOURCE)
ARCHIVE_ROUTE = replace(PYPI_ROUTE, source=_SOURCE)
PUBLISH_ROUTE = replace(PYPI_ROUTE, job_token=frozenset({AuthScheme.HEADER, AuthScheme.BEARER}), source=_SOURCE)

_PROJECT = "/api/v4/projects/{project_id}/packages/composer"
_GROUP = "/api/v4/group/{group_id}/-/packages/composer"
_GROUP_REASON = (
    "GitLab-only: Packagist serves one repository per server; GitLab serves one Composer repository per group,"
    " merging the packages of every project of the group the caller can read (`packages.json` and its"
    " `p2/<name>.json` documents), so one `repositories` entry covers them all."
)
_PUBLISH_REASON = ("GitLab-only: Packagist is told of a VCS repository and reads its tags itself; GitLab publishes "
                   "one ref of the project's own repository on request (`tag` or `branch`).")

PUBLISH = Endpoint("publish", "POST", _PROJECT, Operation.PUSH, 201, PUBLISH_ROUTE, custom_reason=_PUBLISH_REASON)
ARCHIVE = Endpoint("archive", "GET", _PROJECT + "/archives/{package_name:path}.zip", Operation.PULL, 200,
                   ARCHIVE_ROUTE)
PACKAGES_JSON = Endpoint("packages_json", "GET", _GROUP + "/packages.json", Operation.LIST, 200, GROUP_ROUTE,
                         custom_reason=_GROUP_REASON)
P2 = Endpoint("p2", "GET", _GROUP + "/p2/{package_name:path}.json", Operation.METADATA, 200, GROUP_ROUTE,
              custom_reason=_GROUP_REASON)
PROVIDER = Endpoint("provider", "GET", _GROUP + "/p/{sha}.json", Operation.LIST, 200, GROUP_ROUTE,
                    custom_reason=_GROUP_REASON)
# Composer 1's per-package document: `<name>$<sha>.json` (`providers-url`); the catch-all route, matched last.
PACKAGE_V1 = Endpoint("package_v1", "GET", _GROUP + "/{package_name:path}.json", Operation.METADATA, 200,
                      GROUP_ROUTE, custom_reason=_GROUP_REASON)

COMPOSER = Format(
    name=FORMAT,
    rules=RULES,
    endpoints={e.name: e for e in (PUBLISH, ARCHIVE, PACKAGES_JSON, P2, PROVIDER, PACKAGE_V1)}
    | packages_api.ENDPOINTS,
)


def tag_name(version: str) -> str:
    """The tag a version is published from (VersionParserService: `v1.0.0` → `1.0.0`)."""
    return f"v{version}"


def version_of_ref(tag: str | None = None, branch: str | None = None) -> str | None:
    """Packages::Composer::VersionParserService#execute: the version GitLab gives a tag or branch. None where GitLab
    finds no version in a tag name (its `match(...).captures` then raises NoMethodError: a 500)."""
    if tag:
        match = COMPOSER_VERSION_REGEX.fullmatch(tag)
        return match.group(1) if match else None
    if branch:
        match = COMPOSER_VERSION_REGEX.fullmatch(branch)
        if match and match.group(1):
            # `captures[1] == '.x'`: the second capture is the major number, never '.x', so GitLab always appends
            # '.x-dev' to a numeric branch (`1.x` → `1.x.x-dev`), as the service's code reads.
            return match.group(1) + (".x-dev" if match.group(2) != ".x" else "-dev")
        return f"dev-{branch}"
    return None
