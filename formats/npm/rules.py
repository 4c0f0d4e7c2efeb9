"""The npm format's rules and endpoints, the Format.

GitLab speaks the npm registry protocol at two levels. The project level (`/projects/:id/packages/npm/`) is a
full registry: publish, packument, tarball, dist-tags. The instance level (`/packages/npm/`) has no registry
upstream: GitLab finds the project by a naming convention (the package's scope is the top-level group's path),
so its endpoints are marked custom. Tarball URLs always point at the project level, as GitLab writes them.
"""

import re

from core import packages_api
from core.format_types import DuplicatePolicy, Endpoint, Format, FormatRules, Forwarding
from core.route_auth import NPM_DIST_TAGS_ROUTE, NPM_INSTANCE_ROUTE, NPM_NON_PUBLIC_ROUTE, NPM_TARBALL_ROUTE
from core.vocabulary import Operation

MIB = 1 << 20

# npm sends every token as `Authorization: Bearer` (`_authToken` in .npmrc); GitLab's npm API also takes the
# token headers (PRIVATE-TOKEN, DEPLOY-TOKEN, JOB-TOKEN). HTTP Basic is not read there (core.route_auth.NPM_*):
# Basic credentials leave the request anonymous.

# validate-npm-package-name's rules for new packages (lowercase, URL-safe without ~'!()*, at most 214 characters,
# not starting with '.' or '_', not node_modules or favicon.ico), within GitLab's npm_package_name_regex (the
# scope is a GitLab namespace path: it does not end with '.').
_SCOPE = r"@[a-z0-9_](?:[a-z0-9._-]*[a-z0-9_-])?/[a-z0-9_-][a-z0-9._-]*"
_UNSCOPED = r"[a-z0-9-][a-z0-9._-]*"
NAME_PATTERN = re.compile(rf"(?=.{{1,214}}\Z)(?!(?:node_modules|favicon\.ico)\Z)(?:{_SCOPE}|{_UNSCOPED})")

# Semantic Versioning 2.0.0, the regex semver.org gives (GitLab's semver_regex).
_NUMBER = r"(?:0|[1-9][0-9]*)"
_PRE_ID = r"(?:0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*)"
VERSION_PATTERN = re.compile(
    rf"{_NUMBER}\.{_NUMBER}\.{_NUMBER}(?:-{_PRE_ID}(?:\.{_PRE_ID})*)?(?:\+[0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*)?")

# GitLab stores an npm tarball as `<name>-<version>.tgz`, the scope included (`@scope/pkg-1.0.0.tgz`).
FILE_NAME_PATTERN = re.compile(r"(?:@[a-z0-9_.-]+/)?[a-z0-9_.-]+-[0-9]+\.[0-9]+\.[0-9]+[0-9A-Za-z.+-]*\.tgz")

# A dist-tag: npm refuses tags that parse as a version range (`1.x`, `v2`), so a tag starts with a letter.
TAG_PATTERN = re.compile(r"(?![vV][0-9])[A-Za-z][A-Za-z0-9._-]{0,127}")
TAG_RULE = "a letter, then letters, digits, '.', '-' or '_' (at most 128), not shaped like a version"

# Request forwarding (lib/api/helpers/packages/dependency_proxy_helpers.rb `registry_url`:
# `"#{base_url}#{package_name}"`; spec/support/shared_examples/requests/api/npm_packages_shared_examples.rb
# 'redirect metadata request': 302, Location "https://registry.npmjs.org/#{package_name}"). Only the packument
# redirects (lib/api/npm_project_packages.rb): `redirect_registry_request` wraps `authorize_read_package!`, and the
# project it reads the setting from is `project_or_nil` (found without an access check), so every caller the route
# identifies is redirected, anonymous on a private project included. At the instance level the project is the one
# holding the package, none for a missing one, so the instance's application setting decides (not the group's).
FORWARDING = Forwarding(
    upstream="https://registry.npmjs.org/",
    endpoints=frozenset({"packument"}),
    rule="lib/api/npm_project_packages.rb, lib/api/concerns/packages/npm_endpoints.rb, "
         "lib/api/helpers/packages/dependency_proxy_helpers.rb",
    before_read_check=True,
    by_instance_setting=frozenset({"instance_packument"}),
)


def forward_url(name: str) -> str:
    """The packument GitLab redirects to for an npm package it does not have: `@scope/name` unescaped."""
    return FORWARDING.upstream + name


RULES = FormatRules(
    name_pattern=NAME_PATTERN,
    version_pattern=VERSION_PATTERN,
    file_name_pattern=FILE_NAME_PATTERN,
    size_limit=500 * MIB,  # GitLab's plan limit npm_max_file_size
    plan_limit="npm_max_file_size",  # lib/api/entities/plan_limit.rb
    # GitLab's CreatePackageService: `error('Package already exists.', :package_already_exists)`, mapped to 403;
    # npm has no "allow duplicates" setting.
    duplicates=DuplicatePolicy(allowed_by_default=False, switchable=False, refused_status=403,
                               refused_message="Package already exists."),
    name_rule="an npm package name: lowercase letters, digits, '-', '.' and '_', optionally scoped as @scope/name, "
              "at most 214 characters, not starting with '.' or '_' (nor the scope ending with '.')",
    version_rule="a Semantic Versioning 2.0.0 version (MAJOR.MINOR.PATCH[-prerelease][+build])",
    file_name_rule="<package name>-<version>.tgz",
    # GitLab answers an attachment over npm_max_file_size with 400 'File is too large.' (not 413).
    too_large_status=400,
    too_large_before_body=False,
    too_large_rule="the tarball is base64 inside the JSON document, so its size is known once the body is read: "
                   "400 'File is too large.' (Packages::Npm::CreatePackageService)",
    forwarding=FORWARDING,
)

# The registry roots npm is configured with (`registry=` in .npmrc): every endpoint is under one of them.
PROJECT_REGISTRY = "/api/v4/projects/{project_id}/packages/npm"
INSTANCE_REGISTRY = "/api/v4/packages/npm"
_BY_SCOPE = ("npm registries have no instance-wide endpoint that finds a project: GitLab finds it by a naming "
             "convention, the package's @scope being the top-level group's path.")

_NAME = "/{package_name:path}"
_TAGS = "/-/package/{package_name:path}/dist-tags"

PUBLISH = Endpoint("publish", "PUT", PROJECT_REGISTRY + _NAME, Operation.PUSH, 200,
                   auth=NPM_NON_PUBLIC_ROUTE)
# `authenticate_non_public: true`: an anonymous request for a private project's packument gets 401.
PACKUMENT = Endpoint("packument", "GET", PROJECT_REGISTRY + _NAME, Operation.METADATA, 200,
                     auth=NPM_NON_PUBLIC_ROUTE)
# The tarball route has no `authenticate_non_public`: GitLab hides the private project (404).
TARBALL = Endpoint("tarball", "GET", PROJECT_REGISTRY + _NAME + "/-/{file_name:path}", Operation.PULL, 200,
                   auth=NPM_TARBALL_ROUTE)
DIST_TAGS = Endpoint("dist_tags", "GET", PROJECT_REGISTRY + _TAGS, Operation.METADATA,
                     200, auth=NPM_DIST_TAGS_ROUTE)
DIST_TAG_ADD = Endpoint("dist_tag_add", "PUT", PROJECT_REGISTRY + _TAGS + "/{tag}",
                        Operation.PUSH, 204, auth=NPM_NON_PUBLIC_ROUTE)
DIST_TAG_REMOVE = Endpoint("dist_tag_remove", "DELETE", PROJECT_REGISTRY + _TAGS + "/{tag}",
                           Operation.DELETE, 204, auth=NPM_NON_PUBLIC_ROUTE)

INSTANCE_PACKUMENT = Endpoint("instance_packument", "GET", INSTANCE_REGISTRY + _NAME, Operation.METADATA,
                              200, auth=NPM_INSTANCE_ROUTE, custom_reason=_BY_SCOPE)
INSTANCE_DIST_TAGS = Endpoint("instance_dist_tags", "GET", INSTANCE_REGISTRY + _TAGS,
                              Operation.METADATA, 200, auth=NPM_INSTANCE_ROUTE,
                              custom_reason=_BY_SCOPE)
INSTANCE_DIST_TAG_ADD = Endpoint("instance_dist_tag_add", "PUT", INSTANCE_REGISTRY + _TAGS + "/{tag}",
                                 Operation.PUSH, 204, auth=NPM_INSTANCE_ROUTE,
                                 custom_reason=_BY_SCOPE)
INSTANCE_DIST_TAG_REMOVE = Endpoint("instance_dist_tag_remove", "DELETE", INSTANCE_REGISTRY + _TAGS + "/{tag}",
                                    Operation.DELETE, 204, auth=NPM_INSTANCE_ROUTE,
                                    custom_reason=_BY_SCOPE)

# Every endpoint takes every token kind (the default), as GitLab's npm docs list them.
NPM_ENDPOINTS = (PUBLISH, PACKUMENT, TARBALL, DIST_TAGS, DIST_TAG_ADD, DIST_TAG_REMOVE, INSTANCE_PACKUMENT,
                 INSTANCE_DIST_TAGS, INSTANCE_DIST_TAG_ADD, INSTANCE_DIST_TAG_REMOVE)

NPM = Format(name="npm", rules=RULES, endpoints={**{e.name: e for e in NPM_ENDPOINTS}, **packages_api.ENDPOINTS})
