"""Who may see which PyPI packages: project routes through `authorize_on`, group routes through every project of
the group (and its subgroups) the caller can read, and the lookups both kinds of route share.

Faults handled here: `pypi_job_token_refused` (job tokens get 401 on every PyPI route) and
`group_simple_index_public` (a private group's PyPI routes answer anonymous requests with every project's packages).
"""

from dataclasses import dataclass
from urllib.parse import unquote

from starlette.requests import Request

from core.faults import Fault
from core.format_types import Endpoint
from core.vocabulary import Permission, TokenKind
from formats.pypi import FORMAT, normalize_name, parse_file_name
from reference_server.access import Authorized, GroupAccess, authenticate_for, authorize_on, group_access
from reference_server.auth import Principal
from reference_server.db import Database, Row
from reference_server.errors import unauthorized
from reference_server.settings import ServerSettings


def principal_for(request: Request, endpoint: Endpoint) -> Principal | None:
    """The caller as the endpoint's route reads it (401 for a bad token, and for any job token under the fault)."""
    settings: ServerSettings = request.app.state.settings
    principal = authenticate_for(request, endpoint)
    if principal is not None and principal.kind is TokenKind.JOB_TOKEN and settings.has(Fault.PYPI_JOB_TOKEN_REFUSED):
        raise unauthorized(endpoint.auth.challenge)
    return principal


def project_of(request: Request) -> Row | None:
    db: Database = request.app.state.db
    return db.project_by_ref(unquote(request.path_params["project_id"]))


def authorize_project(request: Request, endpoint: Endpoint, permission: Permission,
                      package_name: str | None = None) -> Authorized:
    """The `project_id` route parameter's project, if the caller has `permission` on it (the model's refusals
    otherwise)."""
    return authorize_on(request, endpoint, permission, project_of(request), principal_for(request, endpoint),
                        package_name=package_name)


def authorize_group(request: Request, endpoint: Endpoint) -> GroupAccess:
    """The `group_id` route parameter's group and the projects in it the caller can read (`access.group_access`);
    under `group_simple_index_public` an anonymous caller reads every project."""
    settings: ServerSettings = request.app.state.settings
    db: Database = request.app.state.db
    principal = principal_for(request, endpoint)
    group = db.group_by_ref(unquote(request.path_params["group_id"]))
    public = settings.has(Fault.GROUP_SIMPLE_INDEX_PUBLIC) and principal is None
    return group_access(request, endpoint, group, public=public)


FILES_PER_PACKAGE = 10_000  # a simple page lists at most this many files of one version


def pypi_packages(db: Database, project_id: int, normalized_name: str | None = None) -> list[Row]:
    """The project's installable PyPI packages (status default), oldest first, optionally of one normalized name."""
    return [p for p in db.packages_of_type(project_id, FORMAT)
            if normalized_name is None or normalize_name(p["name"]) == normalized_name]


@dataclass(frozen=True)
class FoundFile:
    project: Row
    package: Row
    row: Row


def find_file(db: Database, projects: list[Row], sha256: str, file_name: str) -> FoundFile | None:
    """The file of this name and sha256 in one of the projects (what GitLab's PackageFinder looks up)."""
    parsed = parse_file_name(file_name)
    normalized = normalize_name(parsed.name) if parsed else None
    for project in projects:
        for package in pypi_packages(db, project["id"], normalized):
            row = db.file_named(package["id"], file_name)
            if row is not None and row["file_sha256"] == sha256.lower():
                return FoundFile(project, package, row)
    return None
