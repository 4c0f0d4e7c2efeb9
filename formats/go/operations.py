"""Go's FormatOperations: a publish is a commit of the module to the project's repository and a tag (`prepare`, no
upload); a pull is the version's zip, the metadata document the module's `@v/list`."""

import re

from core import project_urls, repository
from core.format_types import Artifact, FormatOperations, RequestSpec

from . import requests
from .artifacts import GoModule
from .names import module_base, module_path, tag_name, zip_hash
from .rules import GO, PACKAGE_TYPE


def base_of(project_id: int | str) -> str:
    """The project's module base (`<host>/<full path>`), from the web URL provisioning recorded."""
    return module_base(project_urls.web_url(project_id))


def branch_of(name: str, version: str) -> str:
    """The branch a version's commit starts (a parentless commit each, so versions never contend for one branch)."""
    branch = re.sub(r"[^A-Za-z0-9/_.-]+", "-", f"{name}/{tag_name(version)}")
    return "go/" + re.sub(r"\.{2,}|/\.|\.(?=/|$)", "-", branch)  # git refuses `..`, `/.` and a trailing `.`


class GoOperations(FormatOperations):
    format = GO
    package_type = PACKAGE_TYPE
    no_upload = ("a Go module version is a semver tag pushed to the project's repository (lib/api/go_proxy.rb has "
                 "only GET routes; app/finders/packages/go/version_finder.rb reads the repository's tags)")
    not_listed = ("GitLab creates no Packages API package for a Go module: only Packages::Go::SyncPackagesService "
                  "would (app/services/packages/go/), and nothing calls it (doc/user/packages/go_proxy/index.md: "
                  "\"GitLab doesn't display Go modules in the Package Registry\")")
    versions_project_wide = ("a version is a tag of the whole repository (Packages::SemVer.match?(tag.name, "
                             "prefixed: true)): two modules of one project cannot each have their own v1.0.0")
    no_format_guard = ("GitLab's Go proxy serves whatever the repository holds: a tag without a valid go.mod is "
                       "simply not a version (Packages::Go::ModuleVersion#valid?); there is no upload to refuse")
    served_built = ("GitLab zips the module from the repository on every request (Packages::Go::ModuleVersion#"
                    "archive, fresh entry dates each time): a pull is compared by Go's own h1: hash of the files")

    def artifact(self, name: str, version: str, file_hint: str, size: int, seed: int) -> GoModule:
        module = GoModule(name, version, size, seed)
        _ = module.directory  # a version that is no semver has no module: ValueError here
        return module

    def _module(self, name: str, version: str, artifact: Artifact) -> GoModule:
        return artifact if isinstance(artifact, GoModule) else GoModule(name, version, artifact.size)

    def prepare(self, project_id: int | str, name: str, version: str, artifact: Artifact) -> list[RequestSpec]:
        """Commit the module to its own branch, then tag that commit `v<version>`."""
        module = self._module(name, version, artifact)
        base = base_of(project_id)
        branch = branch_of(name, version)
        message = f"{module.module(base)} {module.tag}"
        return [repository.commit_files(project_id, branch, message, module.repository_files(base)),
                repository.create_tag(project_id, module.tag, branch)]

    def push(self, project_id: int | str, name: str, version: str, artifact: Artifact, *,
             status: str | None = None, select: str | None = None) -> list[RequestSpec]:
        if status is not None or select is not None:
            raise ValueError("Go has no upload, so no status or select option (those are Generic's)")
        return []

    def pull(self, project_id: int | str, name: str, version: str, file_name: str) -> RequestSpec:
        return requests.zip_file(project_id, module_path(base_of(project_id), name, version), version)

    def metadata(self, project_id: int | str, name: str) -> RequestSpec:
        """The module's `@v/list` (its v0/v1 path: a major version from v2 on is another module)."""
        return requests.list_versions(project_id, f"{base_of(project_id)}/{name}")

    def content_key(self, project_id: int | str, name: str, version: str, artifact: Artifact) -> str:
        return self._module(name, version, artifact).hash(base_of(project_id))

    def pulled_key(self, data: bytes) -> str:
        return zip_hash(data)


OPERATIONS = GoOperations()
