"""The real Composer client: `composer require` of a published version from the group's repository (GitLab's
docs: a `repositories` entry of type `composer` at `/api/v4/group/<id>/-/packages/composer/packages.json`), with the
token in `auth.json` in COMPOSER_HOME (the working directory), never in argv.

Composer has no publish command (GitLab's docs publish with `curl --data tag=...`), so the client only pulls. It
presents a token two ways: `gitlab-token` (the host listed in `gitlab-domains`: Composer sends `PRIVATE-TOKEN`;
an access token only) and `http-basic` (any token, a job token as `gitlab-ci-token`), both sent up front. The
registry is plain http on the loopback: `secure-http: false`.
"""

import json

from core.client_recipe import ClientCall, ClientOp, ClientRecipe, ClientTarget
from core.credentials import basic_user
from core.images import BASE_IMAGE, ImageRecipe, Variant, apt_install
from core.vocabulary import AuthScheme, TokenKind
from formats.composer.names import composer_name
from formats.composer.rules import FORMAT, PACKAGES_JSON

COMPOSER_IMAGE = ImageRecipe(
    name="composer",
    programs={"composer": "composer --version --no-ansi", "php": "php --version"},
    official=Variant("composer:2"),  # the official image: PHP CLI with zip, git and unzip
    fallback=Variant(BASE_IMAGE, (
        apt_install("composer", "php-cli", "php-zip", "unzip", "git", "ca-certificates"),
    )),
)

ACCESS_TOKENS = frozenset({TokenKind.PERSONAL_ACCESS_TOKEN, TokenKind.PROJECT_ACCESS_TOKEN})


def auth_json(target: ClientTarget) -> dict[str, str]:
    credential = target.credential
    if credential.token is None or target.scheme is AuthScheme.NONE:
        return {}
    if target.scheme is AuthScheme.HEADER:
        auth: dict[str, object] = {"gitlab-token": {target.host: credential.token}}
    else:
        auth = {"http-basic": {target.host: {"username": basic_user(credential), "password": credential.token}}}
    return {"auth.json": json.dumps(auth, indent=2) + "\n"}


def project_json(target: ClientTarget, name: str, version: str) -> str:
    if target.group_id is None:
        raise ValueError("Composer installs from a group's repository: the case needs its own group")
    url = target.registry_url + PACKAGES_JSON.url_path(group_id=target.group_id)
    return json.dumps({
        "name": "harness/consumer",
        "type": "project",
        "repositories": [{"type": "composer", "url": url}, {"packagist.org": False}],
        "require": {composer_name(name): version},
        "config": {"secure-http": False, "gitlab-domains": [target.host], "preferred-install": "dist",
                   "allow-plugins": False},
    }, indent=2) + "\n"


class Composer(ClientRecipe):
    """`composer install` of a project that requires the version (the group's repository only, Packagist off)."""

    name = "composer"
    format = FORMAT
    image = COMPOSER_IMAGE.name
    program = "composer"
    version_argv = ["composer", "--version", "--no-ansi"]
    schemes = (AuthScheme.HEADER, AuthScheme.BASIC)
    operations = frozenset({"pull"})

    def cannot_carry(self, kind: TokenKind, scheme: AuthScheme) -> str | None:
        if scheme is AuthScheme.HEADER and kind not in ACCESS_TOKENS:
            return "Composer's gitlab-token sends PRIVATE-TOKEN: an access token only (deploy and job tokens go " \
                   "in http-basic)"
        return None

    def call(self, op: ClientOp, target: ClientTarget, name: str, version: str, file_name: str) -> ClientCall:
        if op != "pull":
            raise ValueError(f"composer does not {op} packages (GitLab publishes with its API: curl --data tag=)")
        files = {"composer.json": project_json(target, name, version), **auth_json(target)}
        argv = ["composer", "install", "--no-interaction", "--no-ansi", "--no-progress", "--no-scripts",
                "--no-plugins", "-vvv"]
        env = {"COMPOSER_HOME": ".", "COMPOSER_CACHE_DIR": "/dev/null", "COMPOSER_NO_INTERACTION": "1",
               "COMPOSER_ALLOW_SUPERUSER": "1", "COMPOSER_DISABLE_NETWORK": "0"}
        installed = f"vendor/{composer_name(name)}/composer.json"
        return ClientCall(argv, files, env=env, output=installed, output_is_artifact=False)


RECIPES = (Composer(),)
IMAGES = (COMPOSER_IMAGE,)
