"""Real clients of the Debian format, as GitLab's guide (doc/user/packages/debian_repository/index.md) drives them:

- push: curl, `curl --request PUT --user "<username>:<token>" --upload-file <file>.deb
  ".../projects/<id>/packages/debian/<file>.deb?distribution=<codename>&component=<component>"` (the token in curl's
  `--config` file, never on the command line);
- pull: apt. The distribution's public key is fetched from `.../debian_distributions/<codename>/key.asc` (the
  distribution API reads tokens from PRIVATE-TOKEN, DEPLOY-TOKEN or JOB-TOKEN only), then `sources.list` gets
  `deb [signed-by=<key>] http://<host>/api/v4/projects/<id>/packages/debian <codename> <component>` and
  `/etc/apt/auth.conf.d/` the token (`machine http://<host>/api/v4/projects/<id>/packages/debian login <user>
  password <token>`: apt reads entries without a scheme for https only, apt_auth.conf(5)); `apt-get update` checks
  InRelease's signature against that key and the Packages index's digests against it, `apt-get download` fetches
  the package (its bytes are compared with what was pushed) and `apt-get install` installs it with dpkg. A caller
  who cannot read the key (anonymous on a private project: 404) goes on without `signed-by`, and apt meets the
  registry's own refusal.

Both run in the `apt` image: Debian with curl (the official `debian:bookworm-slim` a user would pick, or the local
Debian base built here). apt uses only the project's repository (`Dir::Etc::sourcelist`), as root inside the
container (`APT::Sandbox::User=root`: the work folder is not the _apt user's).
"""

from core.client_recipe import ClientCall, ClientOp, ClientRecipe, ClientTarget
from core.credentials import basic_user
from core.images import BASE_IMAGE, DEFAULT_PATH, ImageRecipe, Variant, apt_install
from core.vocabulary import HEADER_FOR_KIND, AuthScheme

from .rules import DEFAULT_CODENAME, DEFAULT_COMPONENT, DISTRIBUTION_KEY, FORMAT, UPLOAD

APT_IMAGE = ImageRecipe(
    name="apt",
    programs={"apt-get": "apt-get --version", "curl": "curl --version", "gpgv": "gpgv --version"},
    official=Variant("debian:bookworm-slim", (apt_install("curl", "ca-certificates"),), {"PATH": DEFAULT_PATH}),
    fallback=Variant(BASE_IMAGE, (apt_install("curl", "ca-certificates", "gpgv"),), {"PATH": DEFAULT_PATH}),
)
UPLOAD_CONFIG = "curl.cfg"
KEY_CONFIG = "key-curl.cfg"
AUTH_CONF = "auth.conf"
PULL_SCRIPT = "apt-pull.sh"
CURL = ["curl", "--silent", "--show-error", "--fail-with-body"]

# $1 repository URL, $2 codename, $3 component, $4 package, $5 version, $6 output, $7 key URL
_PULL = r"""set -eu
repo="$1"; codename="$2"; component="$3"; package="$4"; version="$5"; out="$6"; key_url="$7"
here=$(pwd)
mkdir -p apt/keys apt/lists/partial apt/archives/partial "$(dirname "$out")"
options=""
if curl --silent --show-error --fail-with-body --config key-curl.cfg --output "apt/keys/$codename.asc" "$key_url"
then options="[signed-by=$here/apt/keys/$codename.asc] "
else echo "the distribution's key could not be read: apt checks InRelease against its own keyring" >&2
fi
echo "deb $options$repo $codename $component" > apt/sources.list
if [ -s auth.conf ]; then
  mkdir -p /etc/apt/auth.conf.d
  install -m 600 auth.conf /etc/apt/auth.conf.d/gitlab_project.conf
fi
set -- -o "Dir::Etc::sourcelist=$here/apt/sources.list" -o Dir::Etc::sourceparts=/nonexistent \
  -o "Dir::State::lists=$here/apt/lists" -o "Dir::Cache::archives=$here/apt/archives" \
  -o APT::Sandbox::User=root -o Acquire::Retries=0 -o Acquire::http::Pipeline-Depth=0 \
  -o "Acquire::http::Proxy::$(echo "$repo" | sed -e 's|^[a-z]*://||' -e 's|[:/].*||')=DIRECT"
apt-get "$@" update
apt-get "$@" download "$package=$version"
file=$(ls ./*.deb | head -n 1)
apt-get "$@" install -y --no-install-recommends "$package=$version"
test -e "/usr/share/$package/payload.bin"
dpkg-query --show --showformat='${Package} ${Version} ${Status}\n' "$package"
mv "$file" "$out"
"""


def _upload_config(target: ClientTarget) -> str:
    credential = target.credential
    if credential.token is None or target.scheme is AuthScheme.NONE:
        return ""
    return f'user = "{basic_user(credential)}:{credential.token}"\n'


def _key_config(target: ClientTarget) -> str:
    credential = target.credential
    if credential.token is None or credential.kind is None or target.scheme is AuthScheme.NONE:
        return ""
    return f'header = "{HEADER_FOR_KIND[credential.kind]}: {credential.token}"\n'


def repository_url(target: ClientTarget) -> str:
    return f"{target.registry_url}/api/v4/projects/{target.project_id}/packages/debian"


def _auth_conf(target: ClientTarget) -> str:
    credential = target.credential
    if credential.token is None or target.scheme is AuthScheme.NONE:
        return ""
    return f"machine {repository_url(target)} login {basic_user(credential)} password {credential.token}\n"


class Apt(ClientRecipe):
    """curl uploading as GitLab's guide shows; apt-get installing from the project's signed repository."""

    name = "apt"
    format = FORMAT
    image = APT_IMAGE.name
    program = "apt-get"
    version_argv = ["apt-get", "--version"]
    schemes = (AuthScheme.BASIC,)
    operations = frozenset({"push", "pull"})

    def call(self, op: ClientOp, target: ClientTarget, name: str, version: str, file_name: str) -> ClientCall:
        if op == "push":
            url = (target.registry_url + UPLOAD.url_path(project_id=target.project_id, file_name=file_name)
                   + f"?distribution={DEFAULT_CODENAME}&component={DEFAULT_COMPONENT}")
            return ClientCall([*CURL, "--config", UPLOAD_CONFIG, "--request", "PUT", "--upload-file", file_name, url],
                              {UPLOAD_CONFIG: _upload_config(target)})
        if op == "pull":
            key_url = target.registry_url + DISTRIBUTION_KEY.url_path(project_id=target.project_id,
                                                                      codename=DEFAULT_CODENAME)
            out = f"pulled/{file_name}"
            files = {PULL_SCRIPT: _PULL, KEY_CONFIG: _key_config(target), AUTH_CONF: _auth_conf(target)}
            argv = ["sh", PULL_SCRIPT, repository_url(target), DEFAULT_CODENAME, DEFAULT_COMPONENT, name, version, out,
                    key_url]
            return ClientCall(argv, files, output=out)
        raise ValueError(f"{self.name} does not {op} Debian packages")


RECIPES = (Apt(),)
IMAGES = (APT_IMAGE,)
