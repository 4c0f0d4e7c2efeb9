"""Terraform module rules and GitLab's Terraform module registry endpoints, the Format.

GitLab serves Terraform's module registry protocol (https://developer.hashicorp.com/terraform/internals/module-registry-protocol)
at the namespace level: `GET /.well-known/terraform.json` (service discovery, `modules.v1`), then
`/api/v4/packages/terraform/modules/v1/:module_namespace/:module_name/:module_system/versions`, `.../:version/download`
(204 with `X-Terraform-Get` naming `.../:version/file?token=<JWT>&archive=tgz`) and that file, where
`:module_namespace` is the project's top-level group. A module is published per project by
`PUT /api/v4/projects/:id/packages/terraform/modules/:module_name/:module_system/:module_version/file` (the raw
archive, `curl --upload-file`), and a project-level `GET .../:module_version` serves the archive as well (GitLab
16.7). Facts read from GitLab's `lib/api/terraform/modules/v1/namespace_packages.rb`,
`lib/api/terraform/modules/v1/project_packages.rb`, `app/services/packages/terraform_module/create_package_service.rb`
and its spec, `app/workers/packages/terraform_module/process_package_file_worker.rb`, `lib/gitlab/regex.rb`,
`spec/requests/api/terraform/modules/v1/namespace_packages_spec.rb`, `project_packages_spec.rb` and
`doc/user/packages/terraform_module_registry/index.md`.

A Terraform module's package name is `<module_name>/<module_system>`; the harness names a module by its
`module_name` and publishes every one for the system `SYSTEM` (a provider name such as `aws`; `local` here), so a
scenario's package `small-package` is GitLab's `small-package/local`.
"""

import re
from dataclasses import replace

from core import packages_api
from core.format_types import DuplicatePolicy, Endpoint, Format, FormatRules
from core.route_auth import BASIC, BEARER, HEADER, Level, RouteAuth
from core.vocabulary import Operation

GIB = 1 << 30
FORMAT = "terraform_module"
PACKAGE_TYPE = "terraform_module"
SYSTEM = "local"  # the module system (provider) every harness module is published for
DISCOVERY_PATH = "/.well-known/terraform.json"
MODULES_V1 = "/api/v4/packages/terraform/modules/v1/"  # discovery's `modules.v1` (lib/api/terraform/...; routes)

# Gitlab::Regex.terraform_module_package_name_regex: `\A[-a-z0-9]+\/[-a-z0-9]+\z` (app/models/packages/
# terraform_module/package.rb validates the package name with it): each half lowercase letters, digits and '-'.
PART_REGEX = re.compile(r"[-a-z0-9]+")
PACKAGE_NAME_REGEX = re.compile(r"[-a-z0-9]+/[-a-z0-9]+")
# Gitlab::Regex.semver_regex (the routes' `module_version` requirement): unbounded SemVer 2, no 'v' prefix.
_IDENT = r"(?:\d*[a-zA-Z-][0-9a-zA-Z-]*|[1-9]\d*|0)"
VERSION_REGEX = re.compile(
    r"(?P<major>0|[1-9]\d*)\.(?P<minor>0|[1-9]\d*)\.(?P<patch>0|[1-9]\d*)"
    rf"(?:-(?P<prerelease>{_IDENT}(?:\.{_IDENT})*))?"
    r"(?:\+(?P<build>[0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?",
    re.ASCII,
)
# create_package_service.rb#file_name: "#{module_name}-#{module_system}-#{module_version}.tgz"
FILE_NAME_REGEX = re.compile(r"[-a-z0-9]+-[-a-z0-9]+-[0-9A-Za-z.+-]+\.tgz")
DUPLICATE_MESSAGE = "A module with the same name & version already exists in the project."
ELSEWHERE_MESSAGE = "A module with the same name already exists in the namespace."

RULES = FormatRules(
    name_pattern=PART_REGEX,
    version_pattern=VERSION_REGEX,
    file_name_pattern=FILE_NAME_REGEX,
    size_limit=1 * GIB,  # GitLab's default terraform_module_max_file_size (1073741824 bytes)
    plan_limit="terraform_module_max_file_size",  # project_packages.rb authorize_workhorse_params, the upload route
    # CreatePackageService: the same name and version in the same project is always refused 403
    # (`current_package_version_exists?`, whatever the namespace setting); the group setting
    # `terraform_module_duplicates_allowed` and its exception regex only decide whether *another* project of the
    # top-level namespace may publish a name that exists there
    # (`duplicates_not_allowed? && current_package_exists_elsewhere?`).
    duplicates=DuplicatePolicy(allowed_by_default=False, switchable=False, refused_status=403,
                               refused_message=DUPLICATE_MESSAGE),
    name_rule="a module name of lowercase letters, digits and '-' (Gitlab::Regex.terraform_module_package_name_regex "
              "on <module_name>/<module_system>)",
    version_rule="a SemVer 2 version without a 'v' prefix (Gitlab::Regex.semver_regex), e.g. 1.0.0, 2.1.0-rc.1+build.5",
    file_name_rule="<module_name>-<module_system>-<module_version>.tgz",
    too_large_status=413,
    too_large_before_body=True,
    too_large_rule="the authorize route gives Workhorse MaximumSize = terraform_module_max_file_size "
                   "(project_packages.rb `put :authorize`, authorize_workhorse_params): Workhorse refuses a declared "
                   "length above it with 413; the upload route's own check answers 400 'File is too large'",
    # GitLab creates the package `default` in the upload itself; ProcessPackageFileWorker only extracts the README
    # and variables into the module's metadatum afterwards (a failure is logged, the package stays installable).
    processed_in_background=False,
    # `current_package_exists_elsewhere?`: a name is the top-level namespace's (every project under it), so each
    # case's names carry the run's and the case's prefix.
    names_instance_wide=True,
)
# create_package! raises ActiveRecord::RecordInvalid on a name the model refuses: 422 (`reason: :unprocessable_entity`)
INVALID_NAME_STATUS = 422

_PROJECT = "/api/v4/projects/{project_id}/packages/terraform/modules/{module_name}/{module_system}"
_NAMESPACE = "/api/v4/packages/terraform/modules/v1/{module_namespace}/{module_name}/{module_system}"

# project_packages.rb, `namespace :file`: `accept.token_types(:deploy_token).sent_through(:http_deploy_token_header)`,
# `(:job_token).sent_through(:http_job_token_header)`, `(:personal_access_token).sent_through(
# :http_private_token_header)`: each token in its own header only; BasicAuthHelpers (`authorized_user_project`:
# anonymous on a private project 401, with the Basic challenge).
UPLOAD_ROUTE = RouteAuth(
    job_token=frozenset({HEADER}),
    deploy_token=True,
    basic_pat=False,
    challenge=True,
    anonymous_hidden=401,
    sent_through=frozenset({HEADER}),
    source="lib/api/terraform/modules/v1/project_packages.rb",
)
# project_packages.rb, the module's namespace: `accept.token_types(:personal_access_token_with_username,
# :deploy_token_with_username, :job_token_with_username).sent_through(:http_basic_auth)`: Basic only.
PROJECT_READ_ROUTE = replace(UPLOAD_ROUTE, job_token=frozenset({BASIC}), basic_pat=True,
                             sent_through=frozenset({BASIC}))
# namespace_packages.rb: `accept.token_types(:personal_access_token, :deploy_token, :job_token)
# .sent_through(:http_bearer_token)` (terraform's `credentials "<host>" { token = ... }`); the namespace is found by
# its path and `authorize_read_package!(package || module_namespace)`: the spec's private group answers a non-member
# 403 and anonymous 401 (namespace_packages_spec.rb 'with valid namespace'); a public group answers someone who can
# read none of the project's packages as it answers for no package at all (`namespace_public_status`).
NAMESPACE_ROUTE = RouteAuth(
    job_token=frozenset({BEARER}),
    deploy_token=True,
    basic_pat=False,
    challenge=True,
    anonymous_hidden=401,
    level=Level.INSTANCE,
    hidden_status=403,
    sent_through=frozenset({BEARER}),
    source="lib/api/terraform/modules/v1/namespace_packages.rb",
)
# `get 'versions'` on a public group: the modules document, without the unreadable project's versions (200)
VERSIONS_ROUTE = replace(NAMESPACE_ROUTE, namespace_public_status=200)
# `*module_version/download` and `file` on a public group: `not_found! unless package && package_file` (404)
NAMESPACE_DOWNLOAD_ROUTE = replace(NAMESPACE_ROUTE, namespace_public_status=404)
# `namespace 'file'`: `accept.token_types(:deploy_token_from_jwt, :job_token_from_jwt,
# :personal_access_token_from_jwt).sent_through(:token_param)`: the JWT the download's X-Terraform-Get carries
# (Gitlab::TerraformRegistryToken), which only GitLab mints: no case presents a token here itself, so the route is
# not one of the Format's endpoints (the matrix would make cases of it); the client follows it, and the reference
# server reads the token it minted and judges its owner as the download route does.
NAMESPACE_FILE_ROUTE = NAMESPACE_DOWNLOAD_ROUTE

_UPLOAD_REASON = ("Terraform's module registry protocol has no publish endpoint (a registry serves versions and "
                  "download locations): GitLab's `PUT .../packages/terraform/modules/:name/:system/:version/file` is "
                  "its own, sent with curl as the docs show.")
_PROJECT_DOWNLOAD_REASON = ("GitLab's project-level module source (16.7): `GET .../terraform/modules/:name/:system/"
                            ":version` serves the archive, or with `terraform-get=1` a 204 whose X-Terraform-Get names "
                            "it; no registry protocol route, a go-getter HTTP source Terraform reads with .netrc.")

UPLOAD = Endpoint("upload", "PUT", _PROJECT + "/{module_version}/file", Operation.PUSH, 201, UPLOAD_ROUTE,
                  custom_reason=_UPLOAD_REASON)
DOWNLOAD = Endpoint("download", "GET", _PROJECT + "/{module_version}", Operation.PULL, 200, PROJECT_READ_ROUTE,
                    custom_reason=_PROJECT_DOWNLOAD_REASON)
VERSIONS = Endpoint("versions", "GET", _NAMESPACE + "/versions", Operation.METADATA, 200, VERSIONS_ROUTE)
NAMESPACE_DOWNLOAD = Endpoint("namespace_download", "GET", _NAMESPACE + "/{module_version}/download",
                              Operation.METADATA, 204, NAMESPACE_DOWNLOAD_ROUTE)
NAMESPACE_FILE = Endpoint("namespace_file", "GET", _NAMESPACE + "/{module_version}/file", Operation.PULL, 200,
                          NAMESPACE_FILE_ROUTE)

TERRAFORM_MODULE = Format(
    name=FORMAT,
    rules=RULES,
    endpoints={e.name: e for e in (UPLOAD, DOWNLOAD, VERSIONS, NAMESPACE_DOWNLOAD)} | packages_api.ENDPOINTS,
)
