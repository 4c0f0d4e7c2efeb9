"""GitLab's Go proxy on the reference server: `@v/list`, `<version>.info`, `.mod` and `.zip` of a module in a
project's repository, built from the repository on every request as lib/api/go_proxy.rb does. Nothing is stored:
a version is a semver tag (formats/go/rules.py cites the GitLab files each rule comes from).

- The module path must start with GitLab's host (no port) and the project's full path (ModuleFinder); the rest is
  the module's folder. GitLab's host is its `gitlab.host` setting; the reference server's is the address it serves
  on, with the port dropped as `build_gitlab_go_url` does.
- Versions: tags `v<semver>` whose folder's go.mod says `module <path>` and whose major fits the path's `/vN`
  suffix (VersionFinder, Packages::Go::Module, ModuleVersion#valid?); a `.info`, `.mod` or `.zip` also resolves a
  branch of that name or a pseudo-version of a commit (Module#version_by_name, Gitlab::Golang).
- The zip: every file under the module's folder at the version's commit, except folders holding a go.mod of their
  own (nested modules), as `<module>@<version>/<path in the module>` (ModuleVersion#archive), deflated with the
  time of the request as each entry's date (rubyzip's default): the bytes differ on every request, the files not.
- The `go_proxy` feature flag is off by default on GitLab (config/feature_flags/development/go_proxy.yml): every
  route is then 404. The reference server serves Go as an instance that enabled it (what a rollout checks).
- No usage event is counted: lib/api/go_proxy.rb calls no `track_package_event` (the npm, PyPI and Maven APIs do).
"""

import datetime as dt
import io
import os
import posixpath
import subprocess
import threading
import zipfile
from collections import OrderedDict
from dataclasses import dataclass
from urllib.parse import unquote

import anyio
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from core.endpoints import Endpoint
from core.faults import Fault
from core.vocabulary import Permission
from formats import FORMATS
from formats.go.names import (
    case_decode,
    is_pseudo_version,
    parse_semver,
    path_valid,
    pseudo_parts,
)
from formats.go.rules import MODULE_VERSION_REGEX
from reference_server.access import authorize
from reference_server.db import Row
from reference_server.errors import bad_request, not_found
from reference_server.repository import ProjectRepository, repository_of
from reference_server.settings import ServerSettings

FORMAT = "go"
GO = FORMATS[FORMAT]
LIST, INFO, MOD, ZIP = (GO.endpoint(n) for n in ("list", "info", "mod", "zip"))


@dataclass(frozen=True)
class GoModuleRef:
    """Packages::Go::Module: the module path and its folder in the repository ('' for the root)."""

    name: str
    path: str


@dataclass(frozen=True)
class Version:
    """Packages::Go::ModuleVersion: a tag, branch or pseudo-version and its commit."""

    name: str
    sha: str
    committed_date: dt.datetime
    major: int | None


def go_host(request: Request) -> str:
    """GitLab's `build_gitlab_go_url`: its configured host without the port (and the relative URL root, none here).
    The reference server's configured host is the address it serves on (the ASGI `server`), whatever Host a request
    names, as GitLab's setting does not follow the request either."""
    server = request.scope.get("server")
    return str(server[0]) if server else (request.url.hostname or "")


def find_module(request: Request, project: Row) -> GoModuleRef | None:
    """app/finders/packages/go/module_finder.rb: the path cleaned, then GitLab's host and the project's full path,
    element by element; the rest is the module's folder."""
    raw = case_decode(unquote(request.path_params["module_name"]))
    if not raw.strip():
        raise bad_request("Module Name attribute is missing")
    name = posixpath.normpath(raw)
    prefix = go_host(request) + "/"
    if not name.startswith(prefix):
        return None
    module_path = name[len(prefix):].split("/")
    project_path = str(project["full_path"]).split("/")
    if module_path[:len(project_path)] != project_path:
        return None
    return GoModuleRef(name, "/".join(module_path[len(project_path):]))


def _gomod_path(mod: GoModuleRef) -> str:
    return f"{mod.path}/go.mod" if mod.path else "go.mod"


def _gomod(repo: ProjectRepository, mod: GoModuleRef, sha: str) -> bytes | None:
    return read_blobs(repo, [f"{sha}:{_gomod_path(mod)}"])[0]


def valid(repo: ProjectRepository, mod: GoModuleRef, version: Version) -> bool:
    """ModuleVersion#valid?: `path_valid?(major)` and the go.mod's first line is `module <name>` (`gomod_valid?`,
    with go_proxy_disable_gomod_validation off)."""
    if not path_valid(mod.name, version.major):
        return False
    gomod = _gomod(repo, mod, version.sha)
    return gomod is not None and gomod.decode("utf-8", "replace").split("\n", 1)[0] == f"module {mod.name}"


# Blobs by `<commit sha>:<path>` (what a commit holds never changes), so a busy `@v/list` reads each go.mod once.
_BLOBS: OrderedDict[tuple[str, str], bytes | None] = OrderedDict()
_BLOBS_MAX = 20_000
_BLOBS_LOCK = threading.Lock()
_TREES: OrderedDict[tuple[str, str, str], list[str]] = OrderedDict()  # a commit's files under a folder, likewise


def read_blobs(repo: ProjectRepository, wanted: list[str]) -> list[bytes | None]:
    """`<sha>:<path>` blobs (None for each one missing), the unknown ones in one `git cat-file --batch` (Gitaly's
    batch_blobs)."""
    if not wanted or not repo.exists():
        return [None] * len(wanted)
    key = str(repo.path)
    with _BLOBS_LOCK:
        known = {w: _BLOBS[(key, w)] for w in wanted if (key, w) in _BLOBS}
    missing = [w for w in dict.fromkeys(wanted) if w not in known]
    if missing:
        out = _git(repo, "cat-file", "--batch", stdin="".join(f"{w}\n" for w in missing).encode())
        at = 0
        for w in missing:
            end = out.index(b"\n", at)
            header = out[at:end].split()
            at = end + 1
            blob = None
            if len(header) == 3 and header[1] == b"blob":
                size = int(header[2])
                blob = out[at:at + size]
                at += size + 1
            known[w] = blob
        with _BLOBS_LOCK:
            for w in missing:
                _BLOBS[(key, w)] = known[w]
            while len(_BLOBS) > _BLOBS_MAX:
                _BLOBS.popitem(last=False)
    return [known[w] for w in wanted]


def _order(tag: str) -> tuple[int, int, int, int]:
    """A tag's place among versions (the newest last): its numbers, a release after its prereleases."""
    semver = parse_semver(tag)
    assert semver is not None
    return semver.major, semver.minor, semver.patch, int(semver.prerelease is None)


def versions(request: Request, repo: ProjectRepository, mod: GoModuleRef) -> list[str]:
    """VersionFinder#execute: the repository's semver tags that are valid versions of the module (their go.mod
    files read in one batch, as Gitaly's batch_blobs would)."""
    settings: ServerSettings = request.app.state.settings
    tags = [(tag, semver) for tag in repo.tags() if (semver := parse_semver(tag.name)) is not None]
    tags = [(tag, semver) for tag, semver in tags if path_valid(mod.name, semver.major)]
    gomod = _gomod_path(mod)
    first_line = f"module {mod.name}"
    found = [tag for (tag, _), blob in zip(tags, read_blobs(repo, [f"{t.sha}:{gomod}" for t, _ in tags]),
                                           strict=True)
             if blob is not None and blob.decode("utf-8", "replace").split("\n", 1)[0] == first_line]
    if settings.has(Fault.GO_LIST_NEWEST_ONLY) and found:
        found = [max(found, key=lambda t: _order(t.name))]
    return [tag.name for tag in found]


def _git(repo: ProjectRepository, *args: str, stdin: bytes | None = None) -> bytes:
    return subprocess.run(["git", "--git-dir", str(repo.path), *args], capture_output=True, input=stdin, check=False,
                          env={**os.environ, "GIT_CONFIG_NOSYSTEM": "1"}).stdout


def find_ref(repo: ProjectRepository, name: str) -> tuple[str, dt.datetime] | None:
    """Module#version_by_name: the tag of that name, else the branch (`find_tag || find_branch`): its commit and
    the commit's date, in one `git for-each-ref`."""
    if not repo.exists() or not name or name.startswith("-"):
        return None
    peeled = "%(if)%(*objectname)%(then)%(*objectname)%(else)%(objectname)%(end)"
    date = "%(if)%(*objectname)%(then)%(*committerdate:unix)%(else)%(committerdate:unix)%(end)"
    out = _git(repo, "for-each-ref", f"--format=%(refname)%00{peeled}%00{date}", f"refs/tags/{name}",
               f"refs/heads/{name}").decode("utf-8", "replace")
    refs = {ref: (sha, dt.datetime.fromtimestamp(int(unix), dt.UTC))
            for ref, sha, unix in (line.split("\0") for line in out.splitlines()) if unix}
    return refs.get(f"refs/tags/{name}") or refs.get(f"refs/heads/{name}")


def find_version(repo: ProjectRepository, mod: GoModuleRef, target: str) -> Version | None:
    """VersionFinder#find and Module#version_by_name: a pseudo-version of a commit (Gitlab::Golang
    `validate_pseudo_version`: a known commit, a 12-character prefix, its timestamp), else a tag or branch of that
    name; None (404) when there is none or it is not a valid version of the module."""
    semver = parse_semver(target)
    if is_pseudo_version(target):
        assert semver is not None
        timestamp, prefix = pseudo_parts(target)
        commit = repo.resolve(prefix) if len(prefix) >= 4 else None
        if commit is None or len(prefix) != 12 or not commit.sha.startswith(prefix.lower()):
            return None
        if commit.committed_date.strftime("%Y%m%d%H%M%S") != timestamp:
            return None
        version = Version(target, commit.sha, commit.committed_date, semver.major)
    else:
        ref = find_ref(repo, target)
        if ref is None:
            return None
        version = Version(target, ref[0], ref[1], semver.major if semver else None)
    return version if valid(repo, mod, version) else None


def module_files(repo: ProjectRepository, mod: GoModuleRef, sha: str) -> dict[str, bytes]:
    """ModuleVersion#files and #excluded: the module folder's files, without folders that are modules of their own;
    by path inside the module (their contents in one batch, ModuleVersion#blobs)."""
    key = (str(repo.path), sha, mod.path)
    with _BLOBS_LOCK:
        cached = _TREES.get(key)
    listed = cached if cached is not None else repo.list_files(sha, mod.path)
    if cached is None:
        with _BLOBS_LOCK:
            _TREES[key] = listed
            while len(_TREES) > _BLOBS_MAX:
                _TREES.popitem(last=False)
    own = f"{mod.path}/go.mod"
    excluded = [f[:-len("go.mod")] for f in listed if f.endswith("/go.mod") and f != own]
    kept = [path for path in listed if not any(path.startswith(prefix) for prefix in excluded)]
    cut = len(mod.path) + 1 if mod.path else 0
    blobs = read_blobs(repo, [f"{sha}:{path}" for path in kept])
    return {path[cut:]: data for path, data in zip(kept, blobs, strict=True) if data is not None}


def archive(request: Request, repo: ProjectRepository, mod: GoModuleRef, version: Version) -> bytes:
    """ModuleVersion#archive: `Zip::OutputStream` entries `<module>@<version>/<path>`, dated now."""
    settings: ServerSettings = request.app.state.settings
    prefix = "" if settings.has(Fault.GO_ZIP_NO_PREFIX) else f"{mod.name}@{version.name}/"
    now = dt.datetime.now(dt.UTC).timetuple()[:6]
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as out:
        for path, data in module_files(repo, mod, version.sha).items():
            out.writestr(zipfile.ZipInfo(prefix + path, now), data, zipfile.ZIP_DEFLATED)
    return raw.getvalue()


def time_json(when: dt.datetime) -> str:
    """The commit time as GitLab's JSON renders it (`%Y-%m-%dT%H:%M:%S.%L%:z`, spec/requests/api/go_proxy_spec.rb)."""
    return when.isoformat(timespec="milliseconds")


async def _resolve(request: Request, endpoint: Endpoint) -> tuple[Row, ProjectRepository, GoModuleRef]:
    """`authorize_read_package!` (the resource's `before`), then `find_module` (404 without one)."""
    granted = authorize(request, endpoint, Permission.READ_PACKAGE)
    repo = repository_of(request, granted.project["id"])
    mod = find_module(request, granted.project)
    if mod is None:
        raise not_found()
    return granted.project, repo, mod


async def _version(request: Request, endpoint: Endpoint) -> tuple[ProjectRepository, GoModuleRef, Version]:
    version = case_decode(request.path_params["module_version"])
    if not MODULE_VERSION_REGEX.fullmatch(request.path_params["module_version"]):
        raise not_found()  # the route's requirement: no route matches
    _, repo, mod = await _resolve(request, endpoint)
    found = await anyio.to_thread.run_sync(find_version, repo, mod, version)
    if found is None:
        raise not_found()
    return repo, mod, found


async def list_versions(request: Request) -> Response:
    _, repo, mod = await _resolve(request, LIST)
    found = await anyio.to_thread.run_sync(versions, request, repo, mod)
    return PlainTextResponse("\n".join(found))


async def info(request: Request) -> Response:
    _, _, version = await _version(request, INFO)
    return JSONResponse({"Version": version.name, "Time": time_json(version.committed_date)})


async def mod(request: Request) -> Response:
    repo, module, version = await _version(request, MOD)
    gomod = await anyio.to_thread.run_sync(_gomod, repo, module, version.sha)
    return PlainTextResponse((gomod or b"").decode("utf-8", "replace"))


async def zip_file(request: Request) -> Response:
    repo, module, version = await _version(request, ZIP)
    data = await anyio.to_thread.run_sync(archive, request, repo, module, version)
    name = f"{version.name}.zip"
    return Response(data, media_type="application/zip", headers={
        "Content-Disposition": f"attachment; filename=\"{name}\"; filename*=UTF-8''{name}",
        "Content-Transfer-Encoding": "binary"})


ROUTES = [
    Route(LIST.path, list_versions, methods=["GET"]),
    Route(INFO.path, info, methods=["GET"]),
    Route(MOD.path, mod, methods=["GET"]),
    Route(ZIP.path, zip_file, methods=["GET"]),
]
