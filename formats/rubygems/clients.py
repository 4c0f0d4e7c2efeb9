"""The real client of the RubyGems format: `gem` (RubyGems, Debian bookworm's Ruby 3.1), and the image it runs in.

`gem push --host <project>/packages/rubygems` sends the `.gem` as the body and the key `~/.gem/credentials` holds for
that host, alone, as the `Authorization` header: GitLab's `sent_through(:http_token)` (doc/user/packages/
rubygems_registry: the credentials file keyed by the project's RubyGems URL). The file is in the call's HOME, never
in argv; `gem` refuses a credentials file other users can read, so it is written 0600 by the runner's umask... and
`chmod` first, as GitLab's guide does.

Pulls: GitLab serves neither `specs.4.8.gz` nor the compact index nor `quick/Marshal.4.8` gemspecs (404, "To be
implemented"), so `gem install --source`/`gem fetch --source` cannot resolve a gem there; GitLab's guide says "You
can't install Ruby gems from the GitLab package registry". The client's pull is therefore `gem fetch` from a local
source... no: it is the download GitLab documents (the `.gem` URL), checked by `gem install --local` of the fetched
file, which verifies the tar, the gemspec and the checksums. `gem` sends no credentials on a plain download, so
the pull runs only for what the route lets anonymous read; see `PULL_CANNOT`.
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
    has an empty file, so `gem push` sends no key... it asks for one instead, which `--key` cannot avoid: the file
    then names the host with an empty key."""
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
