"""GitLab's authentication settings for a package route, and how the route refuses: read from GitLab's source.

GitLab decides per route (`route_setting :authentication, ...` in `lib/api/*_packages.rb`) which carriers a token
may arrive in, and per API class whether its 401s carry the Basic challenge (`API::Helpers::Packages::BasicAuthHelpers`
overrides `unauthorized!`). The expected-answer model (`core.permissions`) and the reference server both read these
settings from the endpoint; the presets below are GitLab's, each naming the file it was read from.
"""

from dataclasses import dataclass, replace
from enum import StrEnum

from core.vocabulary import AuthScheme


class Level(StrEnum):
    """Where a route finds its packages: one project, a group's projects, or the whole instance."""

    PROJECT = "project"
    GROUP = "group"
    INSTANCE = "instance"


HEADER = AuthScheme.HEADER
BASIC = AuthScheme.BASIC
BEARER = AuthScheme.BEARER
TOKEN = AuthScheme.TOKEN


@dataclass(frozen=True, slots=True)
class RouteAuth:
    """One route's authentication settings and refusal shapes, as GitLab has them.

    Personal and project access tokens are always read from `PRIVATE-TOKEN` and from Bearer (every API route,
    `Gitlab::Auth::AuthFinders#find_personal_access_token`); the rest is per route."""

    job_token: frozenset[AuthScheme]  # carriers of a job token: JOB-TOKEN header, Basic as `gitlab-ci-token`, Bearer
    deploy_token: bool  # `deploy_token_allowed`: DEPLOY-TOKEN header, the Basic password, or Bearer
    basic_pat: bool  # `basic_auth_personal_access_token`: an access token as the Basic password (any user name)
    challenge: bool  # 401s carry `WWW-Authenticate: Basic realm="GitLab Packages Registry"` (BasicAuthHelpers)
    anonymous_hidden: int  # an anonymous request to a project it cannot see: 401 (`unauthorized_or!`) or 404
    level: Level = Level.PROJECT
    hidden_status: int = 404  # an authenticated caller that cannot see the project (403 where found by name)
    anonymous_refused: int = 401  # anonymous on a project it can see, lacking the permission (a login is needed)
    hidden_401_since: str | None = None  # the versioned rule that made `anonymous_hidden` 401 (404 before it)
    source: str = ""  # the GitLab file these settings were read from
    # a group route a project's deploy token can use on a non-public group (Maven: `find_authorized_group!(action:
    # :read_package_within_public_registries)`; PyPI's `read_group` refuses it)
    project_deploy_token_reads_group: bool = False
    # An API class declaring `authenticate_with { |accept| accept.token_types(...).sent_through(...) }`
    # (`API::Helpers::Authentication`): its routes read credentials from these carriers only
    # (`API::APIGuard#find_user_from_sources` takes `user_from_namespace_inheritable` alone, so PRIVATE-TOKEN, the
    # DEPLOY-TOKEN and JOB-TOKEN headers and Bearer leave the request anonymous); there each token type it names is
    # resolved from the password whatever the user name (`Gitlab::APIAuthentication::TokenResolver`), and credentials
    # that resolve to none of them are a 401. The types are those the flags above allow: access tokens always, deploy
    # tokens with `deploy_token`, job tokens with any `job_token` carrier. TOKEN (`:http_token`, RubyGems) takes the
    # whole `Authorization` header as the token. None: GitLab's usual finders.
    sent_through: frozenset[AuthScheme] | None = None
    # The route calls `authenticate!` before anything else (NuGet's group routes, lib/api/nuget_group_packages.rb:
    # "This API can't be accessed anonymously"): an anonymous request is 401, even where anyone may read.
    login_required: bool = False
    # A namespace-level read that falls back to the project's top-level group when it finds no package the caller
    # may read (Terraform's `authorize_read_package!(package || module_namespace)`,
    # lib/api/terraform/modules/v1/namespace_packages.rb): when that group is public, a caller who cannot read the
    # project's packages gets this answer (200: a document without them; 404: no such version) instead of the
    # project's refusal. None: the route answers as the project does.
    namespace_public_status: int | None = None

    @property
    def schemes(self) -> frozenset[AuthScheme]:
        """Every scheme some token kind can use on this route."""
        if self.sent_through is not None:
            return self.sent_through
        schemes = {HEADER, BEARER} | set(self.job_token)
        if self.basic_pat or self.deploy_token or BASIC in self.job_token:
            schemes.add(BASIC)
        return frozenset(schemes)

    @property
    def owner_scheme(self) -> AuthScheme:
        """How the run's owner (a personal access token) sends its token here: PRIVATE-TOKEN, or where the route
        does not read it, the first carrier it reads."""
        return carrier_for(self, HEADER)


def carrier_for(route: RouteAuth, scheme: AuthScheme) -> AuthScheme:
    """The scheme a token sent as `scheme` goes in on this route: itself, except the header on a route that reads no
    header (`sent_through` without it), where the route's own carrier takes it (the whole Authorization header, else
    Basic, else Bearer). The harness's set-up token travels in PRIVATE-TOKEN; the matrix never makes a case of a
    carrier a route does not read, so only set-up requests move."""
    if scheme is HEADER and route.sent_through is not None and HEADER not in route.sent_through:
        return next(s for s in (TOKEN, BASIC, BEARER, *sorted(route.sent_through)) if s in route.sent_through)
    return scheme


# Generic: `lib/api/generic_packages.rb`. Upload and authorize: `job_token_allowed: true` (header, param, Bearer;
# not Basic), download: `job_token_allowed: %i[request basic_auth]`. Its helpers include BasicAuthHelpers.
GENERIC_UPLOAD_ROUTE = RouteAuth(
    job_token=frozenset({HEADER, BEARER}),
    deploy_token=True,
    basic_pat=True,
    challenge=True,
    anonymous_hidden=401,
    source="lib/api/generic_packages.rb",
)
GENERIC_DOWNLOAD_ROUTE = replace(GENERIC_UPLOAD_ROUTE, job_token=frozenset({HEADER, BASIC, BEARER}))

# PyPI: `lib/api/pypi_packages.rb`, every route `job_token_allowed: :basic_auth` (no JOB-TOKEN header; Bearer is
# read for any truthy setting by `find_user_from_job_bearer_token`), `deploy_token_allowed`, `basic_auth_personal_
# access_token`; BasicAuthHelpers. Group routes: `find_authorized_group!` (`unauthorized_or! { not_found! }`).
PYPI_ROUTE = RouteAuth(
    job_token=frozenset({BASIC, BEARER}),
    deploy_token=True,
    basic_pat=True,
    challenge=True,
    anonymous_hidden=401,
    source="lib/api/pypi_packages.rb",
)
PYPI_GROUP_ROUTE = replace(PYPI_ROUTE, level=Level.GROUP)

# Maven: `lib/api/maven_packages.rb` with `Maven::BasicAuthHelpers` (`super || find_user_from_job_token_basic_auth`):
# job tokens in the header, a parameter, Basic (`gitlab-ci-token`) and Bearer. The instance route finds the
# project by the package's path and answers an authenticated caller without access 403 (`forbidden!`).
MAVEN_ROUTE = RouteAuth(
    job_token=frozenset({HEADER, BASIC, BEARER}),
    deploy_token=True,
    basic_pat=True,
    challenge=True,
    anonymous_hidden=401,
    source="lib/api/maven_packages.rb",
)
# spec/requests/api/maven_packages_spec.rb 'getting a file for a group' > 'downloads with a deploy token': a
# project deploy token reads from its private group → 200
MAVEN_GROUP_ROUTE = replace(MAVEN_ROUTE, level=Level.GROUP, project_deploy_token_reads_group=True)
MAVEN_INSTANCE_ROUTE = replace(MAVEN_ROUTE, level=Level.INSTANCE, hidden_status=403)

# npm: `lib/api/concerns/packages/npm_endpoints.rb` and `lib/api/npm_project_packages.rb`: `job_token_allowed: true,
# deploy_token_allowed: true`, no Basic for access tokens, no BasicAuthHelpers (401s carry no challenge). Metadata
# and dist-tags GET have `authenticate_non_public: true` (anonymous → 401); the tarball route has not (→ 404); PUT
# and DELETE `authenticate_non_get!` (→ 401). The instance routes find the project by the package's scope and
# answer an authenticated caller without access 403.
NPM_NON_PUBLIC_ROUTE = RouteAuth(
    job_token=frozenset({HEADER, BEARER}),
    deploy_token=True,
    basic_pat=False,
    challenge=False,
    anonymous_hidden=401,
    source="lib/api/concerns/packages/npm_endpoints.rb",
)
NPM_DIST_TAGS_ROUTE = replace(NPM_NON_PUBLIC_ROUTE, hidden_401_since="npm_dist_tags_non_public")
NPM_TARBALL_ROUTE = replace(NPM_NON_PUBLIC_ROUTE, anonymous_hidden=404, source="lib/api/npm_project_packages.rb")
NPM_INSTANCE_ROUTE = replace(NPM_NON_PUBLIC_ROUTE, level=Level.INSTANCE, hidden_status=403,
                             source="lib/api/npm_instance_packages.rb")

# The Packages API: `lib/api/project_packages.rb`, `job_token_allowed: true`, no deploy tokens, no Basic;
# `user_project` → `find_project!` → 404 for anyone who cannot see the project.
# `authorize_destroy_package!` → `authorize!` → `forbidden!` for anyone lacking the ability, anonymous included.
PACKAGES_API_ROUTE = RouteAuth(
    job_token=frozenset({HEADER, BEARER}),
    deploy_token=False,
    basic_pat=False,
    challenge=False,
    anonymous_hidden=404,
    anonymous_refused=403,
    source="lib/api/project_packages.rb",
)

# GitLab's REST API outside the registry (groups, projects, tokens): access tokens in PRIVATE-TOKEN or Bearer only.
REST_API_ROUTE = RouteAuth(
    job_token=frozenset(),
    deploy_token=False,
    basic_pat=False,
    challenge=False,
    anonymous_hidden=404,
    source="lib/api/api_guard.rb",
)
