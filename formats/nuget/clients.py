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
from core.images import BASE_IMAGE, ImageRecipe, Variant, apt_install
from core.vocabulary import AuthScheme
from formats.generic.clients import CURL_IMAGE

from .rules import FORMAT, METADATA, PUBLISH

CONFIG = "curl.cfg"
PULL_SCRIPT = "nuget-pull.sh"
CURL = ["curl", "--silent", "--show-error", "--fail-with-body", "--config", CONFIG]

# A v3 install, over HTTP: the registration index's leaves each name their .nupkg in `packageContent`
# (`.../download/<id>/<version>/<file>`, PresenterHelpers#archive_url_for); the script takes the one of the version.
_PULL = r"""set -eu
index="$1"; version="$2"; out="$3"
curl --silent --show-error --fail-with-body --config curl.cfg --output registration.json "$index"
url=$(tr -d '\n' < registration.json | grep -o '"packageContent" *: *"[^"]*"' | sed 's/.*"\([^"]*\)"$/\1/' \
  | grep -F "/$version/" | head -n 1 || true)
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


# nuget.exe on Mono, the client the issue asked for: the official `mono` image ships it, and Debian bookworm's
# `nuget` package is NuGet 2.8.7 (NuGet.Core on Mono), which speaks the v2 feed only. This image is built here
# (`harness images build --only mono-nuget`), but no recipe runs it, because nuget.exe 2.8.7 on Linux can do neither
# operation against GitLab's feed (tests/test_nuget_server.py replays what it sends):
# - push: `nuget push <file> -Source .../packages/nuget/v2 -ApiKey <token>` first GETs the source, then PUTs
#   `<source>/` with the X-NuGet-ApiKey header and a multipart body whose `package` part is closed by
#   `Environment.NewLine + "--" + boundary + "--"`: a bare LF on Linux, where RFC 2046 requires CRLF. Go's
#   mime/multipart in Workhorse then reads the part to EOF and fails at NextPart, which Workhorse answers 500
#   (workhorse upload rewrite: "handleFileUploads: extract files from multipart"); the reference server answers 400.
#   (On Windows, NewLine is CRLF: choco and nuget.exe push there.)
# - install: `nuget install` reads FindPackagesById()/Packages(), whose entry (OdataPackageEntryService) sends the
#   client to `nuget/v2/download/<name>/<version>`, a route GitLab's lib/api/nuget_project_packages.rb does not
#   serve ("TODO: use path helper when download endpoint is merged"): 404.
MONO_IMAGE = ImageRecipe(
    name="mono-nuget",
    programs={"nuget": "nuget help", "mono": "mono --version"},
    official=Variant("mono:6.12"),
    fallback=Variant(BASE_IMAGE, (apt_install("nuget", "ca-certificates-mono", "ca-certificates"),)),
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
# Generic's curl image (CURL_IMAGE) is declared there; MONO_IMAGE and DOTNET_IMAGE run no recipe (see above).
IMAGES: tuple[ImageRecipe, ...] = ()
