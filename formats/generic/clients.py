"""Real clients of the Generic format: curl (what GitLab's docs and CI jobs use), and the image it runs in."""

from core.client_recipe import ClientCall, ClientOp, ClientRecipe, ClientTarget
from core.credentials import basic_user
from core.images import BASE_IMAGE, DEFAULT_PATH, ImageRecipe, Variant, apt_install
from core.vocabulary import HEADER_FOR_KIND, AuthScheme
from formats.generic.rules import DOWNLOAD, GENERIC, UPLOAD

CURL_IMAGE = ImageRecipe(
    name="curl",
    programs={"curl": "curl --version"},
    official=Variant("curlimages/curl:latest"),  # runs as curl_user by default; the Dockerfile sets root
    fallback=Variant(BASE_IMAGE, (apt_install("curl", "ca-certificates"),), {"PATH": DEFAULT_PATH}),
)

CONFIG = "curl.cfg"  # curl's --config file: the token goes here, never on the command line


def _config(target: ClientTarget) -> str:
    credential = target.credential
    if credential.token is None or credential.kind is None or target.scheme is AuthScheme.NONE:
        return ""
    if target.scheme is AuthScheme.HEADER:
        return f'header = "{HEADER_FOR_KIND[credential.kind]}: {credential.token}"\n'
    if target.scheme is AuthScheme.BEARER:
        return f'header = "Authorization: Bearer {credential.token}"\n'
    return f'user = "{basic_user(credential)}:{credential.token}"\n'


class Curl(ClientRecipe):
    name = "curl"
    format = GENERIC.name
    image = CURL_IMAGE.name
    program = "curl"
    version_argv = ["curl", "--version"]
    schemes = (AuthScheme.HEADER, AuthScheme.BASIC)
    operations = frozenset({"push", "pull"})

    def call(self, op: ClientOp, target: ClientTarget, name: str, version: str, file_name: str) -> ClientCall:
        common = ["curl", "--silent", "--show-error", "--fail-with-body", "--config", CONFIG]
        files = {CONFIG: _config(target)}
        if op == "push":
            url = target.registry_url + UPLOAD.url_path(project_id=target.project_id, package_name=name,
                                                        package_version=version, file_name=file_name)
            return ClientCall([*common, "--upload-file", file_name, url], files)
        if op == "pull":
            url = target.registry_url + DOWNLOAD.url_path(project_id=target.project_id, package_name=name,
                                                          package_version=version, file_name=file_name)
            return ClientCall([*common, "--output", f"pulled/{file_name}", "--create-dirs", url], files,
                              output=f"pulled/{file_name}")
        raise ValueError(f"curl does not do {op} for Generic packages")


RECIPES = (Curl(),)
IMAGES = (CURL_IMAGE,)
