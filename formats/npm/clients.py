"""Real clients of the npm format: npm and pnpm, configured the way GitLab's docs say, through `.npmrc`, and the
image they run in.

The working directory is the client's HOME, so its `.npmrc` is the user config both clients read (pnpm reads
npm's). The token is only ever in that file, as `//host/path/:_authToken=…`, which the clients send as
`Authorization: Bearer`. Publishing is project-level (GitLab has no other). Reads go to the instance level when
the package is named by GitLab's convention, `@<top-level group path>/…`; the packument's tarball URLs are
project-level, so the token is configured for both paths.
"""

from core.client_recipe import ClientCall, ClientOp, ClientRecipe, ClientTarget
from core.images import BASE_IMAGE, DEFAULT_PATH, ImageRecipe, Variant, apt_install
from core.vocabulary import AuthScheme
from formats.npm.names import pack_file_name, scope_of
from formats.npm.rules import INSTANCE_REGISTRY, NPM, PROJECT_REGISTRY

NPM_BOOTSTRAP = "https://registry.npmjs.org/npm/-/npm-10.9.2.tgz"

NODE_IMAGE = ImageRecipe(
    name="node",
    programs={"node": "node --version", "npm": "npm --version", "pnpm": "pnpm --version",
              "yarn": "yarn --version"},
    # The official image already ships yarn 1 (and corepack); pnpm comes from the npm registry.
    official=Variant("node:20-bookworm-slim", ("RUN npm install -g pnpm@10 && npm cache clean --force",)),
    # Debian's own npm package drags in ~300 node-* packages (36 s, 375 MB) and is npm 9: npm comes from the
    # npm registry instead (15 s, 262 MB), bootstrapped by running its tarball once.
    fallback=Variant(BASE_IMAGE, (
        apt_install("nodejs", "curl", "ca-certificates"),
        f"RUN curl -fsSL {NPM_BOOTSTRAP} | tar -xz -C /tmp && node /tmp/package/bin/npm-cli.js install -g "
        "npm@10 pnpm@10 yarn@1 && rm -rf /tmp/package && npm cache clean --force",
    ), {"PATH": DEFAULT_PATH}),
)

NPMRC = ".npmrc"
INSTANCE_PATH = INSTANCE_REGISTRY + "/"


def project_path(target: ClientTarget) -> str:
    return PROJECT_REGISTRY.format(project_id=target.project_id) + "/"


def registry_path(op: ClientOp, target: ClientTarget, name: str) -> str:
    """Where the client reads or publishes: the instance level for reads of `@<top-level group>/…` names."""
    scope = scope_of(name)
    by_convention = scope is not None and target.top_group_path is not None and \
        scope.lower() == target.top_group_path.lower()
    return INSTANCE_PATH if op != "push" and by_convention else project_path(target)


def npmrc(op: ClientOp, target: ClientTarget, name: str) -> str:
    """The registry, the token for every path the client will fetch from, and no calls home (update checks,
    audits, funding messages all go to the configured registry otherwise)."""
    path = registry_path(op, target, name)
    lines = [f"registry={target.registry_url}{path}", "update-notifier=false", "audit=false", "fund=false"]
    if target.token is not None and target.scheme is not AuthScheme.NONE:
        for token_path in dict.fromkeys((path, project_path(target))):
            lines.append(f"//{target.host}{token_path}:_authToken={target.token}")
    return "\n".join(lines) + "\n"


class Npm(ClientRecipe):
    name = "npm"
    format = NPM.name
    image = NODE_IMAGE.name
    program = "npm"
    version_argv = ["npm", "--version"]
    schemes = (AuthScheme.BEARER,)
    operations = frozenset({"push", "pull", "metadata"})

    def call(self, op: ClientOp, target: ClientTarget, name: str, version: str, file_name: str) -> ClientCall:
        files = {NPMRC: npmrc(op, target, name)}
        if op == "push":  # --force: skip npm's own "already published?" check, so the registry's answer is seen
            return ClientCall(["npm", "publish", file_name, "--tag", "latest", "--force"], files)
        if op == "pull":  # downloads exactly the published tarball (integrity-checked) into the working directory
            return ClientCall(["npm", "pack", f"{name}@{version}"], files, output=pack_file_name(name, version))
        if op == "metadata":
            return ClientCall(["npm", "view", f"{name}@{version}", "--json"], files)
        raise ValueError(f"npm does not do {op}")


class Pnpm(ClientRecipe):
    name = "pnpm"
    format = NPM.name
    image = NODE_IMAGE.name
    program = "pnpm"
    version_argv = ["pnpm", "--version"]
    schemes = (AuthScheme.BEARER,)
    operations = frozenset({"push", "pull", "metadata"})

    def call(self, op: ClientOp, target: ClientTarget, name: str, version: str, file_name: str) -> ClientCall:
        files = {NPMRC: npmrc(op, target, name)}
        if op == "push":
            return ClientCall(["pnpm", "publish", file_name, "--no-git-checks", "--tag", "latest"], files)
        if op == "pull":  # pnpm cannot fetch a tarball alone: it installs, and the installed package.json is shown
            files["package.json"] = '{"name": "scratch", "version": "0.0.0", "private": true}\n'
            return ClientCall(["pnpm", "add", f"{name}@{version}", "--ignore-scripts"], files,
                              output=f"node_modules/{name}/package.json", output_is_artifact=False)
        if op == "metadata":
            return ClientCall(["pnpm", "view", f"{name}@{version}", "--json"], files)
        raise ValueError(f"pnpm does not do {op}")


RECIPES = (Npm(), Pnpm())
IMAGES = (NODE_IMAGE,)
