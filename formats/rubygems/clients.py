"""The real client of the RubyGems format: `gem` (RubyGems 3.3.15, Debian bookworm's Ruby 3.1), and its image.

`gem push --host <project>/packages/rubygems` sends the `.gem` as the body and the key `~/.gem/credentials` holds for
that host, alone, as the `Authorization` header: GitLab's `sent_through(:http_token)` (doc/user/packages/
rubygems_registry: the credentials file keyed by the project's RubyGems URL, chmod 0600 as `gem` requires). The file
is in the call's HOME, never in argv.

No pull: GitLab serves neither `specs.4.8.gz` nor the compact index nor `quick/Marshal.4.8` gemspecs (404, "To be
implemented"), so `gem install --source` / `gem fetch --source` cannot resolve a gem there, and GitLab's guide says
"You can't install Ruby gems from the GitLab package registry". Bundler (Debian's ruby-bundler 2.3.15 is in the
image) would fall back to the dependency API, but it sends a source's credentials over Basic, which these routes
do not read: not wired as a client.
"""

from core.client_recipe import ClientCall, ClientOp, ClientRecipe, ClientTarget
from core.images import BASE_IMAGE, ImageRecipe, Variant, apt_install
from core.vocabulary import AuthScheme
from formats.rubygems.rules import FORMAT

RUBY_IMAGE = ImageRecipe(
    name="ruby",
    programs={"ruby": "ruby --version", "gem": "gem --version", "bundle": "bundle --version"},
    official=Variant("ruby:3.3-slim"),
    fallback=Variant(BASE_IMAGE, (apt_install("ruby", "ruby-bundler", "ca-certificates"),)),
)

CREDENTIALS = ".gem/credentials"


def host_url(target: ClientTarget) -> str:
    """The `--host` of `gem push` and the key of the credentials file: the project's RubyGems URL."""
    return f"{target.registry_url}/api/v4/projects/{target.project_id}/packages/rubygems"


def credentials(target: ClientTarget) -> dict[str, str]:
    """`~/.gem/credentials` with the case's token for the project's RubyGems URL (GitLab's guide); an anonymous case
    names the host with an empty key."""
    token = target.credential.token if target.scheme is not AuthScheme.NONE else None
    return {CREDENTIALS: f"---\n{host_url(target)}: '{token or ''}'\n"}


class Gem(ClientRecipe):
    """`gem push` with the key from `~/.gem/credentials`."""

    name = "gem"
    format = FORMAT
    image = RUBY_IMAGE.name
    program = "gem"
    version_argv = ["gem", "--version"]
    schemes = (AuthScheme.TOKEN,)
    operations = frozenset({"push"})

    def call(self, op: ClientOp, target: ClientTarget, name: str, version: str, file_name: str) -> ClientCall:
        if op != "push":
            raise ValueError(f"gem cannot {op} from GitLab: it serves no spec index (specs.4.8.gz answers 404)")
        script = f"chmod 0600 {CREDENTIALS} && exec gem push --config-file /dev/null --host {host_url(target)} " \
                 f"{file_name}"
        return ClientCall(["sh", "-c", script], credentials(target), env={"HOME": "."})


RECIPES = (Gem(),)
IMAGES = (RUBY_IMAGE,)
