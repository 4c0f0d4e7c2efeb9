"""The RubyGems format's rules and GitLab's RubyGems endpoints, the Format.

GitLab serves gems per project only (`/api/v4/projects/:id/packages/rubygems`), behind the `rubygem_packages`
feature flag, as an experiment: `gem push` (the raw `.gem` as the body, the token alone in `Authorization`), the
legacy dependency API Bundler falls back to (`api/v1/dependencies?gems=a,b`, a Ruby Marshal dump), and `.gem`
downloads. The spec indexes (`specs.4.8.gz` and the other `:file_name`s at the root) and the quick gemspecs
(`quick/Marshal.4.8/*.gemspec.rz`) answer 404: "To be implemented" (gitlab-org/gitlab#299267, #299284), which is why
GitLab's guide says "You can't install Ruby gems from the GitLab package registry". Facts read from GitLab's
`lib/api/rubygem_packages.rb`, `spec/requests/api/rubygem_packages_spec.rb`, `app/services/packages/rubygems/*`,
`app/workers/packages/rubygems/extraction_worker.rb` and `doc/user/packages/rubygems_registry/_index.md`.
"""

import re
from dataclasses import replace

from core import packages_api
from core.format_types import DuplicatePolicy, Endpoint, Format, FormatRules
from core.route_auth import TOKEN, RouteAuth
from core.vocabulary import Operation

GIB = 1 << 30
FORMAT = "rubygems"
MARSHAL_VERSION = "4.8"  # API::RubygemPackages::MARSHAL_VERSION
PACKAGE_FILENAME = "package.gem"  # the name an upload is stored under until its metadata is extracted
TEMPORARY_PACKAGE_NAME = "Gem.Temporary.Package"  # Packages::Rubygems::TEMPORARY_PACKAGE_NAME
TEMPORARY_VERSION_PREFIX = "0.0.0-"  # Packages::CreateTemporaryPackageService: "0.0.0-<uuid>", status processing
DEFAULT_PLATFORM = "ruby"  # Packages::Rubygems::DependencyResolverService::DEFAULT_PLATFORM

# GitLab checks no gem name or version itself: both come from the gemspec inside the uploaded file, read by
# `Gem::Package` in the background (ProcessGemService), after the push was answered 201. The rules are RubyGems'
# own, which `gem build` enforces (Gem::SpecificationPolicy#validate_name: letters, digits, '.', '-', '_', at least
# one letter, not starting with '.', '-' or '_'; Gem::Version::VERSION_PATTERN).
NAME_REGEX = re.compile(r"(?=[A-Za-z0-9._-]*[A-Za-z])[A-Za-z0-9][A-Za-z0-9._-]*")
VERSION_REGEX = re.compile(r"[0-9]+(?:\.[0-9a-zA-Z]+)*(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?")

# `authenticate_with { accept.token_types(:personal_access_token, :deploy_token, :job_token).sent_through(
# :http_token) }`: the whole Authorization header is the token (what `gem push` sends from ~/.gem/credentials);
# PRIVATE-TOKEN, DEPLOY-TOKEN, JOB-TOKEN, Basic and Bearer are not read (Basic and Bearer are taken whole as a token
# and resolve to none: 401). The class has no BasicAuthHelpers: 401s carry no challenge. GET routes have no
# `authenticate_non_public`: anonymous on a private project finds no project (404, the spec's 'without
# authentication' and `:private | :anonymous` rows); the upload has `authenticate_non_get!` (401).
READ_ROUTE = RouteAuth(
    job_token=frozenset({TOKEN}),
    deploy_token=True,
    basic_pat=False,
    challenge=False,
    anonymous_hidden=404,
    sent_through=frozenset({TOKEN}),
    source="lib/api/rubygem_packages.rb",
)
PUSH_ROUTE = replace(READ_ROUTE, anonymous_hidden=401)

RULES = FormatRules(
    name_pattern=NAME_REGEX,
    version_pattern=VERSION_REGEX,
    file_name_pattern=re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*-[0-9][0-9A-Za-z.-]*\.gem"),
    size_limit=3 * GIB,  # plan limit rubygems_max_file_size, default 3.gigabytes (AddRubygemsMaxFileSizeToPlanLimits)
    # doc/user/packages/rubygems_registry: "You can push a gem if a package of the same name and version already
    # exists"; ProcessGemService reuses the existing package of that name and version and adds the file to it.
    # No group setting covers rubygems (namespace package settings have none).
    duplicates=DuplicatePolicy(allowed_by_default=True, switchable=False),
    name_rule="a RubyGems name: letters, digits, '.', '-' and '_', with at least one letter, not starting with"
              " '.', '-' or '_' (RubyGems' rule; GitLab takes the gemspec's name as it is)",
    version_rule="a RubyGems version (Gem::Version::VERSION_PATTERN), e.g. 1.0.0, 2.0.0.rc1, 1.0-beta.2",
    file_name_rule="<name>-<version>.gem",
    # `post 'gems/authorize'` gives Workhorse `maximum_size: rubygems_max_file_size`; Workhorse's body uploader
    # refuses a declared length over it with 413 before reading the body (and the API's own check,
    # `bad_request!('File is too large')`, is never reached).
    too_large_status=413,
    too_large_before_body=True,
    too_large_rule="Workhorse is given MaximumSize by gems/authorize and refuses a declared length over it with 413 "
                   "(lib/api/rubygem_packages.rb, workhorse upload/destination)",
    invalid_status=400,
    plan_limit="rubygems_max_file_size",
    # ProcessGemService, run by Packages::Rubygems::ExtractionWorker: the upload is stored as a processing package
    # named Gem.Temporary.Package and renamed once the gemspec is read
    processed_in_background=True,
    # No format guard in the upload: `post 'gems'` answers 201 for any file; Packages::Rubygems::ExtractionWorker
    # then fails to read a gemspec and destroys the package (app/workers/packages/rubygems/extraction_worker.rb).
    invalid_in_background=True,
)

_PROJECT = "/api/v4/projects/{project_id}/packages/rubygems"

PUSH = Endpoint("push", "POST", _PROJECT + "/api/v1/gems", Operation.PUSH, 201, PUSH_ROUTE)
DEPENDENCIES = Endpoint("dependencies", "GET", _PROJECT + "/api/v1/dependencies", Operation.METADATA, 200, READ_ROUTE)
DOWNLOAD = Endpoint("download", "GET", _PROJECT + "/gems/{file_name}", Operation.PULL, 200, READ_ROUTE)
# Routes GitLab declares and answers 404 (not implemented) once the caller may read the project.
QUICK_GEMSPEC = Endpoint("quick_gemspec", "GET", _PROJECT + f"/quick/Marshal.{MARSHAL_VERSION}/{{file_name}}",
                         Operation.METADATA, 404, READ_ROUTE)
SPEC_INDEX = Endpoint("spec_index", "GET", _PROJECT + "/{file_name}", Operation.LIST, 404, READ_ROUTE)

RUBYGEMS = Format(
    name=FORMAT,
    rules=RULES,
    endpoints={e.name: e for e in (PUSH, DEPENDENCIES, DOWNLOAD)} | packages_api.ENDPOINTS,
)
