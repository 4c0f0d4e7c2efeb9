"""Real clients of the Conan format: `conan` 2 (driver `conan`) and `conan` 1 (driver `conan1`), both from PyPI, each
in its own image, driven as GitLab's guides show (doc/user/packages/conan_2_repository/index.md and
doc/user/packages/conan_repository/index.md): `conan remote add gitlab <url>/api/v4/projects/<id>/packages/conan`
(the client appends `/v2` or `/v1`), a login by token (`conan remote login gitlab <user>` on Conan 2, `conan user -r
gitlab -p` on Conan 1: the client exchanges the Basic credentials at `users/authenticate` for GitLab's JWT and sends
that as Bearer from then on), `conan export` + `conan upload` for a push, `conan download` for a pull.

The recipe the harness built (`artifacts.ConanRecipe`: conanfile.py with `revision_mode = "scm"` and payload.bin) is
put under `recipe/`, committed to a git repository there (the recipe revision is that commit; its author, dates and
message are fixed, so it is the commit `ConanRecipe.recipe_revision` computes), exported and
uploaded: the client builds its own conan_export.tgz and conanmanifest.txt from those files. A pull downloads the
recipe, lets the client check it against its manifest (`conan cache check-integrity` on Conan 2; Conan 1 checks the
manifest as it unpacks) and copies payload.bin out of the client's cache: it must be the payload published
(`ConanOperations.served_built`: pulls are compared by payload.bin, whoever built the archive).

The token travels in a file the script reads into the environment variable Conan takes a remote's password from
(`CONAN_PASSWORD_GITLAB`), never in argv. Official images a user would pick: `python:3.12-slim` with `pip install
conan` (Conan's own `conanio/gcc*` images ship Conan 2 with a compiler); the fallback is the local Debian base with
Conan in a virtual environment.
"""

from core.client_recipe import ClientCall, ClientOp, ClientRecipe, ClientTarget
from core.credentials import basic_user
from core.images import BASE_IMAGE, DEFAULT_PATH, ImageRecipe, Variant, apt_install
from core.vocabulary import AuthScheme

from .rules import FORMAT

USER_FILE, TOKEN_FILE = "conan-user.txt", "conan-token.txt"
PUSH_SCRIPT, PULL_SCRIPT = "conan-push.sh", "conan-pull.sh"
PULLED = "pulled/payload.bin"
# The scenarios that reach Conan 1 (file hints `v1/...`): the `conan1` client runs these alone, `conan` the others.
CONAN1_SCENARIOS = frozenset({"conan1-protocol"})


def _image(name: str, requirement: str) -> ImageRecipe:
    return ImageRecipe(
        name=name,
        programs={"conan": "conan --version", "git": "git --version"},
        official=Variant("python:3.12-slim", (apt_install("git"), f"RUN pip install --no-cache-dir '{requirement}'")),
        fallback=Variant(BASE_IMAGE, (
            apt_install("python3", "python3-venv", "git", "ca-certificates"),
            f"RUN python3 -m venv /opt/venv && /opt/venv/bin/pip install --no-cache-dir '{requirement}'",
        ), {"PATH": "/opt/venv/bin:" + DEFAULT_PATH}),
    )


CONAN2_IMAGE = _image("conan2", "conan>=2,<3")
CONAN1_IMAGE = _image("conan1", "conan<2")

_COMMON = r"""set -eu
url="$1"
git_commit() {
  cd recipe
  git init -q . && git add conanfile.py payload.bin
  GIT_AUTHOR_DATE="1700000000 +0000" GIT_COMMITTER_DATE="1700000000 +0000" \
    git -c user.email=harness@example.com -c user.name=harness -c commit.gpgsign=false commit -q -m recipe
  cd ..
}
login_env() {
  if [ -s conan-token.txt ]; then
    CONAN_LOGIN_USERNAME_GITLAB="$(cat conan-user.txt)"; CONAN_PASSWORD_GITLAB="$(cat conan-token.txt)"
    export CONAN_LOGIN_USERNAME_GITLAB CONAN_PASSWORD_GITLAB
  fi
}
"""

_CONAN2_SETUP = _COMMON + r"""export CONAN_HOME="$PWD/.conan2"
mkdir -p "$CONAN_HOME" && printf 'core:non_interactive=True\n' > "$CONAN_HOME/global.conf"
conan remote remove conancenter >/dev/null 2>&1 || true
conan remote add gitlab "$url" --force
login_env
if [ -s conan-token.txt ]; then conan remote login gitlab "$CONAN_LOGIN_USERNAME_GITLAB"; fi
"""

CONAN2_PUSH = _CONAN2_SETUP + r"""git_commit
conan export recipe
conan upload "$2/$3" -r gitlab --confirm --only-recipe
"""

CONAN2_PULL = _CONAN2_SETUP + r"""conan download "$2/$3" -r gitlab --only-recipe
conan cache check-integrity "$2/$3"
mkdir -p pulled && cp "$(conan cache path "$2/$3")/payload.bin" pulled/payload.bin
"""

_CONAN1_SETUP = _COMMON + r"""export CONAN_USER_HOME="$PWD" CONAN_NON_INTERACTIVE=1 CONAN_REVISIONS_ENABLED=0
conan config init >/dev/null
conan remote remove conancenter >/dev/null 2>&1 || true
conan remote add gitlab "$url" --force
login_env
if [ -s conan-token.txt ]; then conan user -r gitlab -p; fi
"""

CONAN1_PUSH = _CONAN1_SETUP + r"""git_commit
conan export recipe "$2/$3@"
conan upload "$2/$3@" -r gitlab --confirm
"""

CONAN1_PULL = _CONAN1_SETUP + r"""conan download "$2/$3@" -r gitlab --recipe
mkdir -p pulled && cp "$CONAN_USER_HOME/.conan/data/$2/$3/_/_/export/payload.bin" pulled/payload.bin
"""


def remote_url(target: ClientTarget) -> str:
    """The remote GitLab's guides add: the project's Conan API without the protocol version."""
    return f"{target.registry_url}/api/v4/projects/{target.project_id}/packages/conan"


def _credentials(target: ClientTarget) -> dict[str, str]:
    credential = target.credential
    if credential.token is None or target.scheme is AuthScheme.NONE:
        return {}
    return {USER_FILE: basic_user(credential), TOKEN_FILE: credential.token}


class _Conan(ClientRecipe):
    format = FORMAT
    program = "conan"
    version_argv = ["conan", "--version"]
    schemes = (AuthScheme.BASIC,)  # the login's Basic credentials; the JWT that follows stands for them
    operations = frozenset({"push", "pull"})
    push_script = ""
    pull_script = ""

    def call(self, op: ClientOp, target: ClientTarget, name: str, version: str, file_name: str) -> ClientCall:
        files = _credentials(target)
        if op == "push":
            files[PUSH_SCRIPT] = self.push_script
            return ClientCall(["sh", PUSH_SCRIPT, remote_url(target), name, version], files)
        if op == "pull":
            files[PULL_SCRIPT] = self.pull_script
            return ClientCall(["sh", PULL_SCRIPT, remote_url(target), name, version], files, output=PULLED)
        raise ValueError(f"{self.name} does not {op} Conan packages")


class Conan2(_Conan):
    """`conan` 2: Conan 2's protocol (`/v2`, revisions)."""

    name = "conan"
    image = CONAN2_IMAGE.name
    push_script = CONAN2_PUSH
    pull_script = CONAN2_PULL

    def runs_scenario(self, name: str) -> bool:
        return name not in CONAN1_SCENARIOS


class Conan1(_Conan):
    """`conan` 1: Conan 1's protocol (`/v1`, revision `0`)."""

    name = "conan1"
    image = CONAN1_IMAGE.name

    push_script = CONAN1_PUSH
    pull_script = CONAN1_PULL

    def runs_scenario(self, name: str) -> bool:
        return name in CONAN1_SCENARIOS


RECIPES = (Conan2(), Conan1())
IMAGES = (CONAN2_IMAGE, CONAN1_IMAGE)
