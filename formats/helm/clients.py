"""Real clients of the Helm format: curl, as GitLab's guide publishes a chart (`curl --request POST --form
'chart=@mychart-0.1.0.tgz' --user <username>:<access_token> .../packages/helm/api/<channel>/charts`), and a pull that
does over HTTP what `helm repo add` + `helm pull` do: fetch the channel's index.yaml, find the chart's entry by name and
version, and download the first of its `urls`, relative to the repository URL.

The `helm` binary itself cannot be installed on this machine (no container registry, no Debian package): a machine
that can pull images would run `helm` from `alpine/helm` (the official image a user would pick), with `helm repo add
--username ... --password ... project https://gitlab.example.com/api/v4/projects/<id>/packages/helm/<channel>` and
`helm pull project/<chart> --version <version>`, and the helm-push plugin (`helm cm-push`) for uploads. These recipes
run in Generic's curl image (curlimages/curl, or curl on the Debian base), whose sh, sed and awk do the rest.

The token travels in curl's `--config` file as `user = "<user>:<token>"` (HTTP Basic, the only carrier GitLab's Helm
API reads), never on the command line.
"""

from core.client_recipe import ClientCall, ClientOp, ClientRecipe, ClientTarget
from core.credentials import basic_user
from core.images import ImageRecipe
from core.vocabulary import AuthScheme
from formats.generic.clients import CURL_IMAGE

from .names import split_file_name
from .rules import DEFAULT_CHANNEL, FORMAT, INDEX, UPLOAD

CONFIG = "curl.cfg"
PULL_SCRIPT = "helm-pull.sh"
CURL = ["curl", "--silent", "--show-error", "--fail-with-body", "--config", CONFIG]

# helm pull, over HTTP: index.yaml's `entries: {<chart>: [{version, urls: [charts/<file>]}, ...]}` read with awk
# (the index GitLab renders: two-space indentation, each version a list item), then the chart by its URL, which is
# relative to the repository (`helm repo add`'s URL, the channel's).
_PULL = r"""set -eu
repo="$1"; chart="$2"; version="$3"; out="$4"
curl --silent --show-error --fail-with-body --config curl.cfg --output index.yaml "$repo/index.yaml"
url=$(awk -v chart="$chart" -v version="$version" '
  function unquote(s) { gsub(/^["'"'"']|["'"'"']$/, "", s); return s }
  function flush() { if (inchart && v == version && u != "") { print u; found = 1; exit } v = ""; u = "" }
  /^entries:/ { inentries = 1; next }
  inentries && /^[^ ]/ { flush(); inentries = 0 }
  inentries && /^  [^ -][^:]*:[ ]*$/ { flush(); name = $0; sub(/^  /, "", name); sub(/:[ ]*$/, "", name);
                                       inchart = (unquote(name) == chart); next }
  inentries && /^  - / { flush(); line = $0; sub(/^  - /, "    ", line); $0 = line }
  inentries && /^    version:/ { v = $0; sub(/^    version:[ ]*/, "", v); v = unquote(v) }
  inentries && /^    urls:/ { inurls = 1; next }
  inentries && inurls && /^    - / { if (u == "") { u = $0; sub(/^    - /, "", u); u = unquote(u) } next }
  inentries && /^    [^ -]/ { inurls = 0 }
  END { if (!found) flush() }
' index.yaml)
if [ -z "$url" ]; then echo "$chart $version is not in $repo/index.yaml" >&2; exit 1; fi
case "$url" in http://*|https://*) ;; *) url="$repo/$url" ;; esac
mkdir -p "$(dirname "$out")"
curl --silent --show-error --fail-with-body --config curl.cfg --output "$out" "$url"
"""


def _config(target: ClientTarget) -> str:
    credential = target.credential
    if credential.token is None or target.scheme is AuthScheme.NONE:
        return ""
    return f'user = "{basic_user(credential)}:{credential.token}"\n'


def repository_url(target: ClientTarget, channel: str) -> str:
    """The chart repository `helm repo add` is given: the channel's directory, where index.yaml is."""
    index = INDEX.url_path(project_id=target.project_id, channel=channel)
    return target.registry_url + index.removesuffix("/index.yaml")


class HelmCurl(ClientRecipe):
    """curl pushing as GitLab's guide shows, and a `helm pull` done in sh with curl and awk."""

    name = "helm-curl"
    format = FORMAT
    image = CURL_IMAGE.name
    program = "curl"
    version_argv = ["curl", "--version"]
    schemes = (AuthScheme.BASIC,)
    operations = frozenset({"push", "pull"})

    def call(self, op: ClientOp, target: ClientTarget, name: str, version: str, file_name: str) -> ClientCall:
        files = {CONFIG: _config(target)}
        if op == "push":
            # the client is given the chart's file alone: it publishes to the default channel
            url = target.registry_url + UPLOAD.url_path(project_id=target.project_id, channel=DEFAULT_CHANNEL)
            return ClientCall([*CURL, "--request", "POST", "--form", f"chart=@{file_name}", url], files)
        if op == "pull":
            channel, chart_file = split_file_name(file_name)
            files[PULL_SCRIPT] = _PULL
            out = f"pulled/{chart_file}"
            argv = ["sh", PULL_SCRIPT, repository_url(target, channel), name, version, out]
            return ClientCall(argv, files, output=out)
        raise ValueError(f"{self.name} does not {op} Helm charts")


RECIPES = (HelmCurl(),)
IMAGES: tuple[ImageRecipe, ...] = ()  # Generic's curl image (CURL_IMAGE, imported above) is declared there
