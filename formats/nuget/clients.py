"""Real clients of the NuGet format: curl, as GitLab's guide publishes a package (`curl --request PUT --form
'package=@path/to/mynugetpkg.1.3.0.17.nupkg' --user <username>:<personal_access_token>
https://gitlab.example.com/api/v4/projects/<project_id>/packages/nuget/`), and a pull that does over HTTP what a v3
client does: read the registration index, take the version's `packageContent` URL and download it.

The `dotnet` CLI cannot be installed on this machine (no container registry, no Debian package): a machine that can
pull images would run `dotnet nuget push` from the official SDK image, `DOTNET_IMAGE` below (not built here).

The token travels in curl's `--config` file as `user = "<user>:<token>"` (HTTP Basic), never on the command line.
"""

from core.client_recipe import ClientCall, ClientOp, ClientRecipe, ClientTarget
from core.credentials import basic_user
from core.images import ImageRecipe, Variant
from core.vocabulary import AuthScheme
from formats.generic.clients import CURL_IMAGE

from .rules import FORMAT, METADATA, PUBLISH

CONFIG = "curl.cfg"
PULL_SCRIPT = "nuget-pull.sh"
CURL = ["curl", "--silent", "--show-error", "--fail-with-body", "--config", CONFIG]

# A v3 install, over HTTP: the registration index's items[].items[] each hold `catalogEntry.version` and
# `packageContent`; sed splits the JSON at each leaf's "@id" and picks the leaf of the version asked for.
_PULL = r"""set -eu
index="$1"; version="$2"; out="$3"
curl --silent --show-error --fail-with-body --config curl.cfg --output registration.json "$index"
url=$(tr -d '\n' < registration.json | sed 's/"catalogEntry"/\n&/g' | grep -F "\"version\":\"$version\"" \
  | sed -n 's/.*"packageContent":"\([^"]*\)".*/\1/p' | head -n 1)
if [ -z "$url" ]; then echo "version $version is not in $index" >&2; exit 1; fi
mkdir -p "$(dirname "$out")"
curl --silent --show-error --fail-with-body --config curl.cfg --output "$out" "$url"
"""

# mcr.microsoft.com/dotnet/sdk is the image a user would pick for `dotnet nuget push`; it cannot be pulled here and
# dotnet has no Debian package, so this recipe's fallback is the curl image's own base (curl) and no driver uses it.
DOTNET_IMAGE = ImageRecipe(
    name="dotnet-sdk",
    programs={"dotnet": "dotnet --version"},
    official=Variant("mcr.microsoft.com/dotnet/sdk:8.0"),
    fallback=CURL_IMAGE.fallback,
)


def _config(target: ClientTarget) -> str:
    credential = target.credential
    if credential.token is None or target.scheme is AuthScheme.NONE:
        return ""
    return f'user = "{basic_user(credential)}:{credential.token}"\n'


class NugetCurl(ClientRecipe):
    """curl publishing as GitLab's guide shows, and a v3 install done in sh with curl and sed."""

    name = "nuget-curl"
    format = FORMAT
    image = CURL_IMAGE.name
    program = "curl"
    version_argv = ["curl", "--version"]
    schemes = (AuthScheme.BASIC,)
    operations = frozenset({"push", "pull"})

    def call(self, op: ClientOp, target: ClientTarget, name: str, version: str, file_name: str) -> ClientCall:
        files = {CONFIG: _config(target)}
        if op == "push":
            url = target.registry_url + PUBLISH.url_path(project_id=target.project_id)
            return ClientCall([*CURL, "--request", "PUT", "--form", f"package=@{file_name}", url], files)
        if op == "pull":
            files[PULL_SCRIPT] = _PULL
            index = target.registry_url + METADATA.url_path(project_id=target.project_id, package_name=name)
            out = f"pulled/{file_name}"
            return ClientCall(["sh", PULL_SCRIPT, index, version, out], files, output=out)
        raise ValueError(f"{self.name} does not {op} NuGet packages")


RECIPES = (NugetCurl(),)
IMAGES: tuple[ImageRecipe, ...] = ()  # Generic's curl image (CURL_IMAGE) is declared there
