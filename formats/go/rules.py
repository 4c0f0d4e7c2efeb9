"""The Go format's rules and GitLab's Go proxy endpoints, the Format.

GitLab serves every project's repository as a Go module proxy (`GOPROXY` protocol, `go help goproxy`):
`/api/v4/projects/:id/packages/go/*module_name/@v/{list,<version>.info,.mod,.zip}`, built on the fly from the
repository's semver tags. There is no upload: a version is a tag pushed to the repository. Read from
gitlabhq/gitlabhq:

- lib/api/go_proxy.rb: the four routes, `MODULE_VERSION_REGEX` (case-encoded semver), `case_decode`, the route's
  authentication (`job_token_allowed: true, basic_auth_personal_access_token: true, authenticate_non_public: true`,
  no `deploy_token_allowed`, no BasicAuthHelpers), `before { authorize_read_package! }`, the `go_proxy` feature
  flag (`not_found!` when off; config/feature_flags/development/go_proxy.yml: `default_enabled: false`).
- app/finders/packages/go/module_finder.rb: a module path is `<gitlab host><relative root>/<project full path>[/dir]`
  (lib/gitlab/golang.rb `local_module_prefix`, config/settings.rb `build_gitlab_go_url`: the host without its port,
  "Go package paths are not URLs, and do not include port numbers").
- app/finders/packages/go/version_finder.rb, app/models/packages/go/module.rb, module_version.rb: the versions are
  the repository's tags named `v<semver>` (`Packages::SemVer.match?(tag.name, prefixed: true)`: a tag `dir/v1.0.0`,
  Go's own tag prefix for a module in a subdirectory, is not one), each valid when the module path's major suffix
  fits (`path_valid?`: none for v0/v1, `/vN` for vN) and `<dir>/go.mod` at the tag starts `module <module path>`
  (`gomod_valid?`). So the modules of one project share its tags.
- lib/gitlab/golang.rb: pseudo-versions (`pseudo_version?`, `validate_pseudo_version`: a 12-character commit
  prefix that exists and the commit's timestamp).
- app/services/packages/go/create_package_service.rb, sync_packages_service.rb, app/workers/packages/go/
  sync_packages_worker.rb: the only code that creates `golang` packages (and applies `golang_max_file_size`);
  nothing in GitLab calls SyncPackagesService (only its spec does), so the Packages API lists no Go module
  (doc/user/packages/go_proxy/index.md: "GitLab doesn't display Go modules in the Package Registry").
"""

import re

from core import packages_api
from core.format_types import DuplicatePolicy, Endpoint, Format, FormatRules
from core.route_auth import BEARER, HEADER, RouteAuth
from core.vocabulary import Operation

MIB = 1 << 20
FORMAT = "go"
PACKAGE_TYPE = "golang"  # Packages::Go::Package, the Packages API's package_type

# Gitlab::Regex.semver_regex (lib/gitlab/regex.rb, `_semver_major_minor_patch_regex` and
# `_semver_prerelease_build_regex`), the rule Packages::SemVer.parse applies after the `v` of a tag.
SEMVER_REGEX = re.compile(
    r"(?P<major>0|[1-9]\d*)\.(?P<minor>0|[1-9]\d*)\.(?P<patch>0|[1-9]\d*)"
    r"(?:-(?P<prerelease>(?:\d*[a-zA-Z-][0-9a-zA-Z-]*|[1-9]\d*|0)(?:\.(?:\d*[a-zA-Z-][0-9a-zA-Z-]*|[1-9]\d*|0))*))?"
    r"(?:\+(?P<build>[0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?",
    re.ASCII,
)
# lib/api/go_proxy.rb MODULE_VERSION_REGEX: the `:module_version` requirement of the .info, .mod and .zip routes
# ("basic semver, except case encoded (A => !a)"); anything else is no route (404).
MODULE_VERSION_REGEX = re.compile(
    r"v(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([-.!a-z0-9]+))?(?:\+([-.!a-z0-9]+))?", re.ASCII)

# A package name is the module's folder in the project's repository, so the module path is
# `<host>/<project full path>/<name>`: Go's module path elements (golang.org/x/mod/module.CheckPath: ASCII letters,
# digits and `-._~`, an element neither starting nor ending with a dot). GitLab itself has no name rule for Go (no
# upload names a package); the module path must only start with the project's path (ModuleFinder).
_ELEMENT = r"[A-Za-z0-9_~-](?:[A-Za-z0-9._~-]*[A-Za-z0-9_~-])?"
NAME_REGEX = re.compile(rf"{_ELEMENT}(?:/{_ELEMENT})*", re.ASCII)

# How GitLab's Go proxy authenticates (lib/api/go_proxy.rb `route_setting :authentication`): a job token in the
# JOB-TOKEN header or as Bearer (`job_token_allowed: true`, not over Basic), an access token over Basic (any user
# name) as well as in PRIVATE-TOKEN and Bearer, no deploy tokens; API::GoProxy has no BasicAuthHelpers, so its 401
# carries no challenge (`go` sends its credentials up front). `authenticate_non_public: true`: anonymous on a
# project it cannot see is 401 (spec/requests/api/go_proxy_spec.rb 'with a private project' > 'returns
# unauthorized with no authentication', and 'with a non-existent project': 401 anonymous, 404 with a user).
GO_ROUTE = RouteAuth(
    job_token=frozenset({HEADER, BEARER}),
    deploy_token=False,
    basic_pat=True,
    challenge=False,
    anonymous_hidden=401,
    source="lib/api/go_proxy.rb",
)

RULES = FormatRules(
    name_pattern=NAME_REGEX,
    version_pattern=SEMVER_REGEX,
    # The one file a pull fetches is the version's `.zip` (`<version>.zip`, GitLab's Content-Disposition).
    file_name_pattern=re.compile(r"v[0-9A-Za-z.+!-]+\.(?:zip|mod|info)", re.ASCII),
    # plan_limits.golang_max_file_size (db/structure.sql default 104857600); GitLab applies it only in
    # Packages::Go::CreatePackageService, which nothing calls: the proxy's zips are built with no limit.
    size_limit=100 * MIB,
    plan_limit="golang_max_file_size",
    # A version is a tag: GitLab's tag API refuses a second tag of a name (lib/api/tags.rb, 400 "Tag v1.0.0 already
    # exists"), and no group setting changes that.
    duplicates=DuplicatePolicy(allowed_by_default=False, switchable=False, refused_status=400,
                               refused_message="Tag already exists"),
    name_rule="Go module path elements (letters, digits, '-', '.', '_', '~', separated by '/'), the module's "
              "folder in the project's repository",
    version_rule="semantic versioning (Gitlab::Regex.semver_regex), published as the tag v<version>",
    file_name_rule="<version>.zip, <version>.mod or <version>.info",
)

_PROXY = "/api/v4/projects/{project_id}/packages/go/{module_name:path}/@v"
# The GOPROXY protocol itself is Go's (`go help goproxy`), as proxy.golang.org serves it: no endpoint is GitLab's own.

LIST = Endpoint("list", "GET", _PROXY + "/list", Operation.METADATA, 200, GO_ROUTE)
INFO = Endpoint("info", "GET", _PROXY + "/{module_version}.info", Operation.METADATA, 200, GO_ROUTE)
MOD = Endpoint("mod", "GET", _PROXY + "/{module_version}.mod", Operation.PULL, 200, GO_ROUTE)
ZIP = Endpoint("zip", "GET", _PROXY + "/{module_version}.zip", Operation.PULL, 200, GO_ROUTE)

GO = Format(name=FORMAT, rules=RULES,
            endpoints={e.name: e for e in (LIST, INFO, MOD, ZIP)} | packages_api.ENDPOINTS)
