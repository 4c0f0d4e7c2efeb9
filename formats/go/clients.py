"""The real Go client: `go` itself, with the project's Go proxy as its only GOPROXY, as GitLab's guide sets it up
(doc/user/packages/go_proxy/index.md): `GOPROXY=<project proxy>`, `GONOSUMDB` for the instance's modules (a private
module has no entry in sum.golang.org), credentials over HTTP Basic. A pull is `go mod download -json
<module>@<version>`, which checks the zip against the `h1:` hash it computes and keeps the zip in its module cache;
the metadata operation is `go list -m -versions`, which reads `@v/list`.

Credentials: as GitLab's guide has it, a personal access token in `~/.netrc`, which `go` reads for https only
(cmd/go/internal/web/http.go; the guide: "`go` doesn't support transmitting credentials over insecure
connections"), and over plain http it refuses even credentials in the GOPROXY URL ("refusing to pass credentials to
insecure URL"). The harness reaches its target over http (the recording proxy), so the call puts TLS in front of
it inside the client's container: `tls-front.sh` makes a throw-away certificate for 127.0.0.2, trusted through
SSL_CERT_DIR, and socat forwards https://127.0.0.2:<port> to the http registry (127.0.0.2 is loopback, so the port
stays the registry's own and concurrent cases never collide). The token is only in `.netrc`, never in argv or the
environment.
"""

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
    official=Variant("golang:1.23-bookworm", (apt_install("socat", "openssl"),)),
    fallback=Variant(BASE_IMAGE, (
        "RUN echo 'deb http://deb.debian.org/debian bookworm-backports main' "
        "> /etc/apt/sources.list.d/bookworm-backports.list",
        apt_install("-t", "bookworm-backports", "golang-1.23-go", "ca-certificates", "git", "socat", "openssl"),
    ), {"PATH": f"{GO_ROOT}/bin:" + DEFAULT_PATH}),
)

ENV_FILE = ".config/go/env"  # Go's environment file under HOME (`go env GOENV`), the working directory
NETRC = ".netrc"
MODCACHE = "go/pkg/mod"  # GOPATH defaults to $HOME/go


TLS_HOST = "127.0.0.2"
TLS_FRONT = "tls-front.sh"
# Runs a command with https://127.0.0.2:<port> forwarded to the registry's http://<host>:<port>.
TLS_FRONT_SCRIPT = r"""#!/bin/sh
# usage: tls-front.sh HOST PORT COMMAND...: the command reaches http://HOST:PORT as https://127.0.0.2:PORT
set -u
host=$1; port=$2; shift 2
mkdir -p tls/ca
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.2 -addext subjectAltName=IP:127.0.0.2 \
  -keyout tls/key.pem -out tls/ca/front.pem 2>/dev/null || { echo "tls-front: openssl failed" >&2; exit 90; }
cat tls/key.pem tls/ca/front.pem > tls/server.pem
socat OPENSSL-LISTEN:"$port",bind=127.0.0.2,reuseaddr,fork,cert=tls/server.pem,verify=0 TCP:"$host":"$port" &
front=$!
i=0
until socat -u OPEN:/dev/null TCP:127.0.0.2:"$port" 2>/dev/null; do
  i=$((i + 1)); [ "$i" -gt 100 ] && { echo "tls-front: socat did not listen" >&2; kill "$front"; exit 91; }
  sleep 0.05
done
SSL_CERT_DIR="$PWD/tls/ca" "$@"
status=$?
kill "$front" 2>/dev/null
exit "$status"
"""


def _root(target: ClientTarget) -> str:
    return LIST.path.split("/{module_name:path}", 1)[0].replace("{project_id}", str(target.project_id))


def proxy_url(target: ClientTarget) -> str:
    """The project's Go proxy as GOPROXY names it (`/api/v4/projects/:id/packages/go`): https as the registry is, or
    through the TLS front for an http registry."""
    if target.registry_url.startswith("https://"):
        return target.registry_url + _root(target)
    return f"https://{TLS_HOST}:{_port(target)}{_root(target)}"


def _port(target: ClientTarget) -> str:
    return target.host.rsplit(":", 1)[1] if ":" in target.host else "80"


def go_files(target: ClientTarget) -> dict[str, str]:
    """Go's environment file, the TLS front, and the `.netrc` with the case's credential (none when anonymous)."""
    url = proxy_url(target)
    files = {TLS_FRONT: TLS_FRONT_SCRIPT}
    credential = target.credential
    if credential.token is not None and target.scheme is not AuthScheme.NONE:
        host = url.split("://", 1)[1].split("/", 1)[0]
        machines = dict.fromkeys([host, host.rsplit(":", 1)[0]])  # Go matches the request's host, with its port
        files[NETRC] = "".join(f"machine {m}\nlogin {basic_user(credential)}\npassword {credential.token}\n"
                               for m in machines)
    settings = {
        "GOPROXY": url,  # the project's proxy alone: no proxy.golang.org, no direct VCS fallback
        "GONOSUMDB": base_of(target.project_id).split("/", 1)[0],  # the guide's setting: not in sum.golang.org
        "GOFLAGS": "-mod=mod -modcacherw",  # a writable module cache, so the working directory can be removed
        "GOTOOLCHAIN": "local",  # never download another toolchain
        "GOTELEMETRY": "off",
    }
    files[ENV_FILE] = "".join(f"{key}={value}\n" for key, value in settings.items())
    return files


def _argv(target: ClientTarget, command: list[str]) -> list[str]:
    if target.registry_url.startswith("https://"):
        return command
    upstream = target.host.rsplit(":", 1)[0]
    return ["sh", TLS_FRONT, upstream, _port(target), *command]


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
            return ClientCall(_argv(target, ["go", "mod", "download", "-json", f"{module}@{tag}"]),
                              go_files(target), env=env, output=output)
        if op == "metadata":
            argv = _argv(target, ["go", "list", "-m", "-versions", f"{base}/{name}@latest"])
            return ClientCall(argv, go_files(target), env=env)
        raise ValueError(f"go does not {op} modules: a version is published by tagging the repository")


RECIPES = (Go(),)
IMAGES = (GO_IMAGE,)
