"""A project's git repository on the reference server: the store (`git.py`, the `git` binary over bare
repositories) and GitLab's repository API routes over it (`routes.py`). Formats published from a repository
(Composer, Go) read it through `repository_of`."""

from reference_server.repository.git import FileAction, GitCommit, GitRef, ProjectRepository, RepositoryError
from reference_server.repository.routes import ROUTES, repository_of

__all__ = ["ROUTES", "FileAction", "GitCommit", "GitRef", "ProjectRepository", "RepositoryError", "repository_of"]
