"""Finding npm packages: the project a request is about (by id, or by the instance level's naming convention),
and the packument built from a project's versions of one package.
"""

from typing import Any
from urllib.parse import unquote

from starlette.requests import Request

from core.format_types import Endpoint
from core.vocabulary import Permission
from formats.npm import scope_of, tarball_file_name, tarball_path, version_key
from reference_server.access import Authorized, authenticate_for, authorize_on
from reference_server.db import Database, Row
from reference_server.errors import refused
from reference_server.metadata_cache import Check

FORMAT = "npm"
# What a packument shows of each version's package.json besides name, version and dist: GitLab's
# PACKAGE_JSON_ALLOWED_FIELDS (npm's abbreviated metadata) and the dependency lists.
SERVED_FIELDS = ("deprecated", "bin", "directories", "engines", "_hasShrinkwrap", "hasInstallScript",
                 "dependencies", "devDependencies", "bundleDependencies", "peerDependencies", "optionalDependencies")


def path_param(request: Request, key: str) -> str:
    """A path parameter with its slashes: npm sends `@scope%2Fpkg`, which EncodedSlashMiddleware keeps as one
    segment (every other escape is already decoded, so decoding again would decode twice)."""
    value: str = request.path_params[key]
    return value.replace("%2F", "/")


def package_name(request: Request) -> str:
    return path_param(request, "package_name")


def instance_project(db: Database, name: str) -> Row | None:
    """GitLab's instance-level convention: the scope is a top-level group's path, and the package lives in the
    project under that group that published this name last."""
    scope = scope_of(name)
    group = db.group_by_ref(scope) if scope else None
    if group is None or group["parent_id"] is not None:
        return None
    holder = db.newest_holder(db.projects_under_group(group["id"]), FORMAT, name)
    return db.project(holder) if holder is not None else None


def at_project_level(request: Request, endpoint: Endpoint, permission: Permission) -> Authorized:
    db: Database = request.app.state.db
    project = db.project_by_ref(unquote(request.path_params["project_id"]))
    return authorize_on(request, endpoint, permission, project, authenticate_for(request, endpoint))


def at_instance_level(request: Request, endpoint: Endpoint, permission: Permission) -> Authorized:
    db: Database = request.app.state.db
    principal = authenticate_for(request, endpoint)  # a bad token is 401 before anything is looked up
    name = package_name(request)
    project = instance_project(db, name)
    if project is None:
        raise refused(404, f"no package {name!r}: at the instance level a package is found by its scope, "
                           "@<top-level group path>/<name>, in a project of that group")
    return authorize_on(request, endpoint, permission, project, principal)


def dist_tags(db: Database, project: Row, name: str, versions: list[str]) -> dict[str, str]:
    """The package's tags on the installable `versions`; `latest` is the highest version when no publish set it
    (GitLab does the same). A tag on a version still processing (the processing_stuck fault) is left out."""
    listed = set(versions)
    tags = {tag: version for tag, version in db.tags(project["id"], FORMAT, name).items() if version in listed}
    if "latest" not in tags and versions:
        tags["latest"] = max(versions, key=version_key)
    return tags


def packument(db: Database, base_url: str, project: Row, name: str,
              check: Check | None = None) -> dict[str, Any] | None:
    """Every version with the served part of its package.json and `dist` (the tarball URL from `base_url`, the
    address the client used, so a proxy in front still sees the follow-up requests); None when the project has no
    such package. Two queries, whatever the number of versions. `check` is called for each version (the
    metadata_n_plus_one fault's)."""
    packages = db.packages_named(project["id"], FORMAT, name)
    if not packages:
        return None
    manifests = db.metadata_of([package["id"] for package in packages])
    versions: dict[str, Any] = {}
    for package in packages:
        if check is not None:
            check(package)
        manifest = manifests.get(package["id"]) or {}
        url = base_url + tarball_path(project["id"], name, tarball_file_name(name, package["version"]))
        served = {key: manifest[key] for key in SERVED_FIELDS if key in manifest}
        versions[package["version"]] = {**served, "name": name, "version": package["version"],
                                        "dist": {**manifest.get("dist", {}), "tarball": url}}
    return {"name": name, "dist-tags": dist_tags(db, project, name, list(versions)), "versions": versions}
