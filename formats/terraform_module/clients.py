"""Real clients of the Terraform module format, in curl: the upload as GitLab's guide shows it, and what
`terraform init` does against the registry, step by step.

No `terraform` (or `tofu`) binary can be installed on this machine (no release downloads, no Debian package): a
machine that can pull images would run `terraform init` in `hashicorp/terraform` (the official image a user would
pick), with `credentials "<host>" { token = "<token>" }` in its CLI configuration and a module block
`source = "<host>/<top-level group>/<name>/<system>"`, `version = "<version>"`. These recipes run in Generic's curl
image (curlimages/curl, or curl on the Debian base), whose sh, sed, grep and tr do the rest; every step below names
the Terraform documentation it follows.

- `terraform-curl` push: `curl --upload-file <module>.tgz` with PUT to `.../packages/terraform/modules/<name>/
  <system>/<version>/file` (doc/user/packages/terraform_module_registry/index.md), the token in its own header.
- `terraform-curl` pull: a project-level module source, as Terraform's HTTP getter (go-getter) fetches an
  `https://` source whose credentials are in `.netrc` (Basic): `GET <source>?terraform-get=1`, which answers 204
  with `X-Terraform-Get` (https://developer.hashicorp.com/terraform/language/modules/sources#http-urls: "Terraform
  will append a terraform-get=1 query string ... the response ... X-Terraform-Get header"), then the archive that
  header names (`archive=tgz`: https://developer.hashicorp.com/terraform/language/modules/sources#fetching-archives).
- `terraform-registry` metadata: a registry module source, as `terraform init` installs it with the CLI's
  credentials block (Bearer): remote service discovery (`/.well-known/terraform.json`, `modules.v1`:
  https://developer.hashicorp.com/terraform/internals/remote-service-discovery), the module's versions
  (`:namespace/:name/:system/versions`: https://developer.hashicorp.com/terraform/internals/module-registry-protocol
  #list-available-versions-for-a-specific-module), the chosen version's download
  (`:namespace/:name/:system/:version/download`, 204 and `X-Terraform-Get`: ...#download-source-code-for-a-specific-
  module-version), then the archive that header names, resolved against the download's URL, fetched and checked to
  be a gzip'd tar. It prints the versions it found.
"""

from core.client_recipe import ClientCall, ClientOp, ClientRecipe, ClientTarget
from core.credentials import basic_user
from core.images import ImageRecipe
from core.vocabulary import HEADER_FOR_KIND, AuthScheme
from formats.generic.clients import CURL_IMAGE

from .artifacts import file_name as archive_name
from .rules import DISCOVERY_PATH, DOWNLOAD, FORMAT, SYSTEM, UPLOAD

CONFIG = "curl.cfg"  # curl's --config file: the token goes here, never on the command line
CURL = ["curl", "--silent", "--show-error", "--fail-with-body", "--config", CONFIG]
GET_SCRIPT = "terraform-get.sh"
REGISTRY_SCRIPT = "terraform-registry.sh"

# go-getter's HTTP getter for `source = "<url>"` (Terraform's module sources, "HTTP URLs"): ask with terraform-get=1;
# a 2xx with X-Terraform-Get names where the module is; fetch that (an `archive=tgz` URL: Terraform unpacks it).
_GET = r"""set -eu
source_url="$1"; out="$2"
curl --silent --show-error --fail-with-body --config curl.cfg --dump-header get.headers --output get.body \
  "$source_url?terraform-get=1"
where=$(tr -d '\r' < get.headers | sed -n 's/^[Xx]-[Tt]erraform-[Gg]et: *//p' | tail -n 1)
if [ -z "$where" ]; then echo "no X-Terraform-Get in the answer to $source_url?terraform-get=1" >&2; exit 1; fi
case "$where" in http://*|https://*) ;; /*) where="$(echo "$source_url" | sed 's|^\(https*://[^/]*\).*|\1|')$where" ;;
  *) where="$(dirname "$source_url")/$where" ;; esac
mkdir -p "$(dirname "$out")"
curl --silent --show-error --fail-with-body --config curl.cfg --output "$out" "$where"
"""

# terraform init, for `source = "<host>/<namespace>/<name>/<system>"` and `version = "<version>"`.
_REGISTRY = r"""set -eu
base="$1"; namespace="$2"; name="$3"; system="$4"; version="$5"
# 1. remote service discovery: GET https://<host>/.well-known/terraform.json, read "modules.v1" (no credentials)
curl --silent --show-error --fail-with-body --output discovery.json "$base""" + DISCOVERY_PATH + r""""
modules=$(tr -d '\n' < discovery.json | sed -n 's/.*"modules\.v1"[ ]*:[ ]*"\([^"]*\)".*/\1/p')
if [ -z "$modules" ]; then echo "no modules.v1 in $base""" + DISCOVERY_PATH + r"""" >&2; exit 1; fi
case "$modules" in http://*|https://*) ;; *) modules="$base$modules" ;; esac
modules="${modules%/}"
# 2. list available versions: GET <modules.v1>/<namespace>/<name>/<system>/versions (the credentials block: Bearer)
curl --silent --show-error --fail-with-body --config curl.cfg --output versions.json \
  "$modules/$namespace/$name/$system/versions"
versions=$(tr -d '\n' < versions.json | grep -o '"version"[ ]*:[ ]*"[^"]*"' | sed 's/.*"\([^"]*\)"$/\1/')
echo "versions of $namespace/$name/$system: $(echo $versions)"
# the version constraint: the exact version asked for (terraform's `version = "= X"`), else the newest listed
if [ -z "$version" ]; then version=$(echo "$versions" | tail -n 1); fi
if ! echo "$versions" | grep -qx "$version"; then echo "no version $version of $namespace/$name/$system" >&2; exit 1; fi
# 3. download source code for the version: 204 (or 200) with X-Terraform-Get
download="$modules/$namespace/$name/$system/$version/download"
curl --silent --show-error --fail-with-body --config curl.cfg --dump-header download.headers --output /dev/null \
  "$download"
where=$(tr -d '\r' < download.headers | sed -n 's/^[Xx]-[Tt]erraform-[Gg]et: *//p' | tail -n 1)
if [ -z "$where" ]; then echo "no X-Terraform-Get in the answer to $download" >&2; exit 1; fi
# 4. the location is a go-getter address, relative to the download URL when it is not absolute
case "$where" in http://*|https://*) ;; /*) where="$base$where" ;; *) where="$(dirname "$download")/$where" ;; esac
mkdir -p module
curl --silent --show-error --fail-with-body --config curl.cfg --output module/archive.tgz "$where"
tar -tzf module/archive.tgz > module/contents.txt
grep -qx 'main.tf' module/contents.txt || { echo "the archive holds no main.tf" >&2; exit 1; }
echo "installed $namespace/$name/$system $version"
"""


def _config(target: ClientTarget, scheme: AuthScheme | None = None) -> str:
    credential = target.credential
    scheme = scheme or target.scheme
    if credential.token is None or credential.kind is None or target.scheme is AuthScheme.NONE:
        return ""
    if scheme is AuthScheme.HEADER:
        return f'header = "{HEADER_FOR_KIND[credential.kind]}: {credential.token}"\n'
    if scheme is AuthScheme.BEARER:
        return f'header = "Authorization: Bearer {credential.token}"\n'
    return f'user = "{basic_user(credential)}:{credential.token}"\n'


class TerraformCurl(ClientRecipe):
    """curl pushing as GitLab's guide shows, and Terraform's HTTP getter for a project-level module source."""

    name = "terraform-curl"
    format = FORMAT
    image = CURL_IMAGE.name
    program = "curl"
    version_argv = ["curl", "--version"]
    schemes = (AuthScheme.HEADER, AuthScheme.BASIC)
    operations = frozenset({"push", "pull"})

    def call(self, op: ClientOp, target: ClientTarget, name: str, version: str, file_name: str) -> ClientCall:
        files = {CONFIG: _config(target)}
        if op == "push":
            url = target.registry_url + UPLOAD.url_path(project_id=target.project_id, module_name=name,
                                                        module_system=SYSTEM, module_version=version)
            return ClientCall([*CURL, "--upload-file", file_name, url], files)
        if op == "pull":
            source = target.registry_url + DOWNLOAD.url_path(project_id=target.project_id, module_name=name,
                                                             module_system=SYSTEM, module_version=version)
            files[GET_SCRIPT] = _GET
            out = f"pulled/{archive_name(name, version)}"
            return ClientCall(["sh", GET_SCRIPT, source, out], files, output=out)
        raise ValueError(f"{self.name} does not {op} Terraform modules")


class TerraformRegistry(ClientRecipe):
    """What `terraform init` does for a registry module source, with the CLI's credentials block (Bearer)."""

    name = "terraform-registry"
    format = FORMAT
    image = CURL_IMAGE.name
    program = "curl"
    version_argv = ["curl", "--version"]
    schemes = (AuthScheme.BEARER,)
    operations = frozenset({"metadata"})

    def call(self, op: ClientOp, target: ClientTarget, name: str, version: str, file_name: str) -> ClientCall:
        if op != "metadata":
            raise ValueError(f"{self.name} does not {op} Terraform modules")
        if not target.top_group_path:
            raise ValueError("a registry module source names the project's top-level group: none is known")
        files = {CONFIG: _config(target), REGISTRY_SCRIPT: _REGISTRY}
        argv = ["sh", REGISTRY_SCRIPT, target.registry_url, target.top_group_path, name, SYSTEM, version or ""]
        return ClientCall(argv, files, output_is_artifact=False)


RECIPES = (TerraformCurl(), TerraformRegistry())
IMAGES: tuple[ImageRecipe, ...] = ()  # Generic's curl image (CURL_IMAGE, imported above) is declared there
