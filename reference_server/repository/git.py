"""A project's repository as real git data: a bare repository per project, written and read with the `git` binary
(what Gitaly runs underneath GitLab), so commits, tags and archives are git's own, not an imitation.

Commits are written without a working tree (a temporary index, `commit-tree`) and a branch moves with
`update-ref <new> <old>`, which refuses when another commit moved it first: concurrent writers never lose a commit.
Every method is synchronous; async routes run them in a worker thread.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

ZERO_OID = "0" * 40
DEFAULT_BRANCH = "main"
_INIT_LOCK = threading.Lock()


class RepositoryError(Exception):
    """A write git refuses (a file that exists, a tag that exists, an invalid ref): the message is GitLab's."""


@dataclass(frozen=True, slots=True)
class GitCommit:
    sha: str
    committed_date: dt.datetime
    parents: tuple[str, ...]
    message: str
    author_name: str
    author_email: str

    @property
    def title(self) -> str:
        return self.message.split("\n", 1)[0]


@dataclass(frozen=True, slots=True)
class GitRef:
    name: str  # the branch or tag name, without refs/heads/ or refs/tags/
    sha: str  # the commit it points at (an annotated tag peeled)
    committed_date: dt.datetime  # that commit's committer date
    message: str = ""  # an annotated tag's message


@dataclass(frozen=True, slots=True)
class FileAction:
    action: str  # create, update, delete
    path: str
    content: bytes = b""


def _when(unix: str) -> dt.datetime:
    return dt.datetime.fromtimestamp(int(unix), dt.UTC)


class ProjectRepository:
    def __init__(self, path: Path) -> None:
        self.path = path

    # -- plumbing ---------------------------------------------------------------------------------------------

    def _git(self, *args: str, stdin: bytes | None = None, env: dict[str, str] | None = None,
             check: bool = True) -> subprocess.CompletedProcess[bytes]:
        if any("\x00" in arg for arg in args):  # no git name may hold one, and no argv can carry it
            raise RepositoryError("a name holds a NUL byte")
        result = subprocess.run(["git", "--git-dir", str(self.path), *args], input=stdin, capture_output=True,
                                env={**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(self.path),
                                     **(env or {})}, check=False)
        if check and result.returncode != 0:
            raise RepositoryError(result.stderr.decode("utf-8", "replace").strip() or f"git {args[0]} failed")
        return result

    def _out(self, *args: str, env: dict[str, str] | None = None) -> str:
        return self._git(*args, env=env).stdout.decode("utf-8", "replace").strip()

    def exists(self) -> bool:
        return (self.path / "HEAD").is_file()

    def _init(self) -> None:
        with _INIT_LOCK:
            if not self.exists():
                self.path.parent.mkdir(parents=True, exist_ok=True)
                subprocess.run(["git", "init", "--quiet", "--bare", f"--initial-branch={DEFAULT_BRANCH}",
                                str(self.path)], check=True, capture_output=True)

    def _sha(self, ref: str) -> str | None:
        if not ref or ref.startswith("-") or not self.exists():
            return None
        result = self._git("rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}",
                           check=False)
        if result.returncode != 0:
            return None
        return result.stdout.decode().strip() or None

    # -- writing ----------------------------------------------------------------------------------------------

    def commit(self, branch: str, message: str, actions: list[FileAction], *, start_branch: str | None = None,
               author: tuple[str, str] = ("Administrator", "admin@example.com")) -> GitCommit:
        """One commit of `actions` on `branch`. A branch that does not exist starts from `start_branch` when given,
        and otherwise as a branch of its own (a commit without a parent), as Gitaly's UserCommitFiles does."""
        self._init()
        if self._git("check-ref-format", f"refs/heads/{branch}", check=False).returncode != 0:
            raise RepositoryError(f"Branch name is invalid: {branch}")
        parent = current = self._sha(f"refs/heads/{branch}")
        if parent is None and start_branch is not None:
            parent = self._sha(f"refs/heads/{start_branch}")
            if parent is None:
                raise RepositoryError(f"Invalid start branch: {start_branch}")
        with tempfile.TemporaryDirectory(prefix="index-") as scratch:
            env = {"GIT_INDEX_FILE": str(Path(scratch) / "index")}
            if parent:
                self._git("read-tree", parent, env=env)
            for action in actions:
                self._apply(action, env)
            tree = self._out("write-tree", env=env)
        name, email = author
        identity = {"GIT_AUTHOR_NAME": name, "GIT_AUTHOR_EMAIL": email,
                    "GIT_COMMITTER_NAME": name, "GIT_COMMITTER_EMAIL": email}
        sha = self._git("commit-tree", tree, *(["-p", parent] if parent else []), stdin=message.encode(),
                        env=identity).stdout.decode().strip()
        moved = self._git("update-ref", f"refs/heads/{branch}", sha, current or ZERO_OID, check=False)
        if moved.returncode != 0:
            raise RepositoryError(f"the branch {branch} moved while this commit was written: try again")
        found = self.resolve(sha)
        assert found is not None
        return found

    def _apply(self, action: FileAction, env: dict[str, str]) -> None:
        path = action.path.strip("/")
        if not path or ".." in path.split("/"):
            raise RepositoryError(f"Your changes could not be committed: invalid file path {action.path!r}")
        present = bool(self._out("ls-files", "--", path, env=env))
        if action.action == "delete":
            if not present:
                raise RepositoryError(f"A file with this name doesn't exist: {path}")
            self._git("update-index", "--force-remove", "--", path, env=env)
            return
        if action.action == "create" and present:
            raise RepositoryError(f"A file with this name already exists: {path}")
        if action.action == "update" and not present:
            raise RepositoryError(f"A file with this name doesn't exist: {path}")
        blob = self._git("hash-object", "-w", "--stdin", stdin=action.content).stdout.decode().strip()
        self._git("update-index", "--add", "--cacheinfo", f"100644,{blob},{path}", env=env)

    def tag(self, name: str, ref: str, message: str | None = None) -> GitRef:
        """A tag `name` on `ref`; annotated when `message` is given."""
        if not self.exists() or self._git("check-ref-format", f"refs/tags/{name}", check=False).returncode != 0:
            raise RepositoryError("Tag name invalid" if self.exists() else f"Target {ref} is invalid")
        sha = self._sha(ref)
        if sha is None:
            raise RepositoryError(f"Target {ref} is invalid")
        if self._sha(f"refs/tags/{name}") is not None:
            raise RepositoryError(f"Tag {name} already exists")
        if message:
            identity = {"GIT_COMMITTER_NAME": "Administrator", "GIT_COMMITTER_EMAIL": "admin@example.com"}
            result = self._git("tag", "--annotate", "--message", message, "--end-of-options", name, sha,
                               env=identity, check=False)
        else:
            result = self._git("update-ref", f"refs/tags/{name}", sha, ZERO_OID, check=False)
        if result.returncode != 0:
            raise RepositoryError(f"Tag {name} already exists")
        found = self.resolve(sha)
        assert found is not None
        return GitRef(name, sha, found.committed_date, message or "")

    def delete_tag(self, name: str) -> bool:
        """Delete the tag `name`; False when there is none."""
        if self._sha(f"refs/tags/{name}") is None:
            return False
        return self._git("update-ref", "-d", f"refs/tags/{name}", check=False).returncode == 0

    # -- reading ----------------------------------------------------------------------------------------------

    def _refs(self, prefix: str) -> list[GitRef]:
        if not self.exists():
            return []
        peeled = "%(if)%(*objectname)%(then)%(*objectname)%(else)%(objectname)%(end)"
        date = "%(if)%(*objectname)%(then)%(*committerdate:unix)%(else)%(committerdate:unix)%(end)"
        subject = "%(if)%(*objectname)%(then)%(contents:subject)%(end)"
        out = self._out("for-each-ref", f"--format=%(refname:lstrip=2)%00{peeled}%00{date}%00{subject}", prefix)
        refs = []
        for line in out.splitlines():
            name, sha, unix, message = line.split("\0")
            refs.append(GitRef(name, sha, _when(unix), message))
        return refs

    def tags(self) -> list[GitRef]:
        return self._refs("refs/tags")

    def branches(self) -> list[GitRef]:
        return self._refs("refs/heads")

    def resolve(self, ref: str) -> GitCommit | None:
        """The commit a branch, tag, full sha or unambiguous sha prefix names; None when it names none."""
        sha = self._sha(ref)
        if sha is None:
            return None
        fields = self._git("show", "--no-patch", "--format=%H%x00%ct%x00%P%x00%an%x00%ae%x00%B", sha).stdout
        full, unix, parents, name, email, message = fields.decode("utf-8", "replace").split("\0", 5)
        return GitCommit(full, _when(unix), tuple(parents.split()), message.rstrip("\n"), name, email)

    def read_file(self, sha: str, path: str) -> bytes | None:
        if not self.exists() or sha.startswith("-"):
            return None
        result = self._git("cat-file", "blob", f"{sha}:{path.strip('/')}", check=False)
        return result.stdout if result.returncode == 0 else None

    def list_files(self, sha: str, under: str = "") -> list[str]:
        if not self.exists() or sha.startswith("-"):
            return []
        args = ["ls-tree", "-r", "--name-only", "--end-of-options", sha]
        result = self._git(*args, *(["--", under.strip("/")] if under.strip("/") else []), check=False)
        return result.stdout.decode("utf-8", "replace").splitlines() if result.returncode == 0 else []

    def archive_zip(self, sha: str, prefix: str = "", under: str = "") -> bytes:
        """The tree at `sha` (or its folder `under`, its files then at the top) as `git archive --format=zip`
        writes it, each path under `prefix`."""
        tree = f"{sha}:{under.strip('/')}" if under.strip("/") else sha
        return self._git("archive", "--format=zip", f"--prefix={prefix}", "--end-of-options", tree).stdout
