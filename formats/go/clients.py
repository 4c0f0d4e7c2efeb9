"""The real Go client: `go` itself, with the project's Go proxy as its only GOPROXY, as GitLab's guide sets it up
(doc/user/packages/go_proxy/index.md): `GOPROXY=<project proxy>`, `GONOSUMDB` for the instance's modules (a private
module has no entry in sum.golang.org), credentials over HTTP Basic. A pull is `go mod download -json
<module>@<version>`, which checks the zip against the `h1:` hash it computes and keeps the zip in its module cache;
the metadata operation is `go list -m -versions`, which reads `@v/list`.

Credentials: GitLab's guide puts a personal access token in `~/.netrc`, but `go` only reads `.netrc` for https
(cmd/go/internal/web/http.go: `if url.Scheme == "https" { auth.AddCredentials(...) }`, "`go` doesn't support
transmitting credentials over insecure connections", as the guide says). Over plain http, as a reference server
is reached, the token goes in the GOPROXY URL's user information, which Go's HTTP client sends as Basic; either
way it is written in a file the client reads (Go's environment file, `~/.config/go/env`), never in argv or the
environment.
"""

from urllib.parse import quote

from core.client_recipe import ClientCall, ClientOp, ClientRecipe, ClientTarget
from core.credentials import basic_user
from core.images import BASE_IMAGE, DEFAULT_PATH, ImageRecipe, Variant, apt_install
from core.vocabulary import AuthScheme

from .names import case_encode, module_path, tag_name
from .operations import base_of
from .rules import FORMAT, LIST

GO_ROOT = "/usr/lib/go-1.23"  # Debian's golang-1.23-go
# golang:1.23-bookworm is what a user picks; the fallback is Go 1.23 from bookworm-backports (the same minor as the
# official image, rather than bookworm's own 1.19, which predates GOTOOLCHAIN and the module cache layout 1.21 fixed).
GO_IMAGE = ImageRecipe(
    name="go",
    programs={"go": "go version"},
    official=Variant("golang:1.23-bookworm"),
    fallback=Variant(BASE_IMAGE, (
        "RUN echo 'deb http://deb.debian.org/debian bookworm-backports main' "
        "> /etc/apt/sources.list.d/bookworm-backports.list",
        apt_install("-t", "bookworm-backports", "golang-1.23-go", "ca-certificates", "git"),
    ), {"PATH": f"{GO_ROOT}/bin:" + DEFAULT_PATH}),
)

ENV_FILE = ".config/go/env"  # Go's environment file under HOME (`go env GOENV`), the working directory
NETRC = ".netrc"
MODCACHE = "go/pkg/mod"  # GOPATH defaults to $HOME/go


def proxy_url(target: ClientTarget) -> str:
    """The project's Go proxy, as GOPROXY names it (`/api/v4/projects/:id/packages/go`)."""
    root = LIST.path.split("/{module_name:path}", 1)[0]
    return target.registry_url + root.replace("{project_id}", str(target.project_id))


def _with_credentials(target: ClientTarget) -> tuple[str, dict[str, str]]:
    """The GOPROXY value and the files that carry the case's credential (none for an anonymous case)."""
    url = proxy_url(target)
    credential = target.credential
    if credential.token is None or target.scheme is AuthScheme.NONE:
        return url, {}
    user = basic_user(credential)
    if url.startswith("https://"):
        host = target.host.rsplit(":", 1)[0]
        return url, {NETRC: f"machine {host}\nlogin {user}\npassword {credential.token}\n"}
    scheme, rest = url.split("://", 1)
    return f"{scheme}://{quote(user, safe='')}:{quote(credential.token, safe='')}@{rest}", {}


def go_env(target: ClientTarget) -> dict[str, str]:
    """Go's environment file and the credential files."""
    goproxy, files = _with_credentials(target)
    host = base_of(target.project_id).split("/", 1)[0]
    settings = {
        "GOPROXY": goproxy,  # the project's proxy alone: no proxy.golang.org, no direct VCS fallback
        "GONOSUMDB": host,  # the guide's setting: the instance's modules are not in sum.golang.org
        "GOFLAGS": "-mod=mod -modcacherw",  # a writable module cache, so the working directory can be removed
        "GOTOOLCHAIN": "local",  # never download another toolchain
        "GOTELEMETRY": "off",
    }
    files[ENV_FILE] = "".join(f"{key}={value}\n" for key, value in settings.items())
    return files


class Go(ClientRecipe):
    """`go mod download -json` (pull) and `go list -m -versions` (metadata)."""

    name = "go"
    format = FORMAT
    image = GO_IMAGE.name
    program = "go"
    version_argv = ["go", "version"]
    schemes = (AuthScheme.BASIC,)
    operations = frozenset({"pull", "metadata"})

    def call(self, op: ClientOp, target: ClientTarget, name: str, version: str, file_name: str) -> ClientCall:
        base = base_of(target.project_id)
        env: dict[str, str] = {}  # everything is in Go's environment file under HOME (the working directory)
        if op == "pull":
            module = module_path(base, name, version)
            tag = tag_name(version)
            output = f"{MODCACHE}/cache/download/{case_encode(module)}/@v/{tag}.zip"
            return ClientCall(["go", "mod", "download", "-json", f"{module}@{tag}"], go_env(target), env=env,
                              output=output)
        if op == "metadata":
            return ClientCall(["go", "list", "-m", "-versions", f"{base}/{name}@latest"], go_env(target), env=env)
        raise ValueError(f"go does not {op} modules: a version is published by tagging the repository")


RECIPES = (Go(),)
IMAGES = (GO_IMAGE,)
