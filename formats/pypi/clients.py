"""Real clients of the PyPI format: twine and uv publish, pip and uv download; the image they run in.

Tokens travel only in files the client reads from its HOME (the working directory): twine's `.pypirc`, and a
`.netrc` for pip and uv, never in argv or the environment. All of them present the token with HTTP Basic (the
user name is ignored by GitLab except for deploy tokens, whose user name is sent as given). pip and uv look the
`.netrc` up by host name (no port), as curl does.
"""

from core.client_recipe import ClientCall, ClientOp, ClientRecipe, ClientTarget
from core.credentials import basic_user
from core.images import BASE_IMAGE, DEFAULT_PATH, ImageRecipe, Variant, apt_install
from core.vocabulary import AuthScheme
from formats.pypi.names import dist_info_dir, normalize_name, parse_file_name, wheel_file_name
from formats.pypi.rules import FORMAT, SIMPLE_INDEX, UPLOAD

PYTHON_IMAGE = ImageRecipe(
    name="python",
    programs={"python": "python --version", "pip": "pip --version", "twine": "twine --version",
              "uv": "uv --version"},
    official=Variant("python:3.12-slim", ("RUN pip install --no-cache-dir twine uv build",)),
    # Debian's Python refuses `pip install` outside a virtual environment (PEP 668): the clients live in one.
    fallback=Variant(BASE_IMAGE, (
        apt_install("python3", "python3-venv", "ca-certificates"),
        "RUN python3 -m venv /opt/venv && /opt/venv/bin/pip install --no-cache-dir --upgrade pip twine uv build",
    ), {"PATH": "/opt/venv/bin:" + DEFAULT_PATH}),
)

PYPIRC = ".pypirc"
NETRC = ".netrc"
REPOSITORY = "harness"  # the .pypirc section twine is pointed at with -r
# Neither the host's nor the image's pip / uv configuration may add an index or a find-links location.
PIP_ENV = {"PIP_CONFIG_FILE": "/dev/null", "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_INPUT": "1"}
UV_ENV = {"UV_NO_CONFIG": "1", "UV_PYTHON_DOWNLOADS": "never", "UV_NO_PROGRESS": "1"}


def upload_url(target: ClientTarget) -> str:
    return target.registry_url + UPLOAD.url_path(project_id=target.project_id)


def simple_url(target: ClientTarget) -> str:
    """The project's simple index, as `--index-url` (pip and uv append `<normalized name>/`)."""
    return target.registry_url + SIMPLE_INDEX.url_path(project_id=target.project_id)


def netrc(target: ClientTarget) -> dict[str, str]:
    """A `.netrc` with the case's credential for the registry's host; none for an anonymous case."""
    credential = target.credential
    if credential.token is None or target.scheme is AuthScheme.NONE:
        return {}
    host = target.host.rsplit(":", 1)[0]
    return {NETRC: f"machine {host}\nlogin {basic_user(credential)}\npassword {credential.token}\n"}


def pulled_file(name: str, version: str, file_name: str) -> str:
    """The file a pull fetches: `file_name` when it is a distribution's name, else this format's wheel."""
    return file_name if parse_file_name(file_name) else wheel_file_name(name, version)


class Twine(ClientRecipe):
    """`twine upload` with the repository and credentials from `.pypirc` (`--config-file .pypirc -r harness`)."""

    name = "twine"
    format = FORMAT
    image = PYTHON_IMAGE.name
    program = "twine"
    version_argv = ["twine", "--version"]
    schemes = (AuthScheme.BASIC,)
    operations = frozenset({"push"})

    def call(self, op: ClientOp, target: ClientTarget, name: str, version: str, file_name: str) -> ClientCall:
        if op != "push":
            raise ValueError(f"twine only uploads; it does not {op} PyPI packages")
        credential = target.credential
        section = f"[{REPOSITORY}]\nrepository = {upload_url(target)}\n"
        if credential.token is not None and target.scheme is not AuthScheme.NONE:
            section += f"username = {basic_user(credential)}\npassword = {credential.token}\n"
        else:  # anonymous: an empty login, so twine sends the request without credentials instead of asking
            section += "username = \npassword = \n"
        pypirc = f"[distutils]\nindex-servers =\n    {REPOSITORY}\n\n{section}"
        argv = ["twine", "upload", "--non-interactive", "--disable-progress-bar", "--verbose",
                "--config-file", PYPIRC, "-r", REPOSITORY, file_name]
        return ClientCall(argv, {PYPIRC: pypirc}, env={"TWINE_NON_INTERACTIVE": "1", "NO_COLOR": "1"})


class Pip(ClientRecipe):
    """`pip download` from the project's simple index; the token comes from `.netrc`. `pip index versions` reads the
    simple page alone (the metadata operation)."""

    name = "pip"
    format = FORMAT
    image = PYTHON_IMAGE.name
    program = "pip"
    version_argv = ["pip", "--version"]
    schemes = (AuthScheme.BASIC,)
    operations = frozenset({"pull", "metadata"})

    def call(self, op: ClientOp, target: ClientTarget, name: str, version: str, file_name: str) -> ClientCall:
        common = ["--index-url", simple_url(target), "--no-cache-dir"]
        if op == "pull":
            wanted = pulled_file(name, version, file_name)
            only = ["--only-binary=:all:"] if wanted.endswith(".whl") else []  # an sdist needs its build backend
            argv = ["pip", "download", "--no-deps", *only, *common, "--dest", "pulled", f"{name}=={version}"]
            return ClientCall(argv, netrc(target), env=dict(PIP_ENV), output=f"pulled/{wanted}")
        if op == "metadata":
            return ClientCall(["pip", "index", "versions", normalize_name(name), *common], netrc(target),
                              env=dict(PIP_ENV))
        raise ValueError(f"pip does not {op} PyPI packages (twine or uv publish do)")


class Uv(ClientRecipe):
    """`uv publish` and `uv pip install --target` (uv has no download command: the pull installs the wheel and
    checks that its METADATA is there). Credentials come from `.netrc` for both. `uv publish` sends no upload
    without credentials (it stops with "Missing credentials"), so an anonymous push shows no exchange at all; an
    anonymous pull is sent and gets the 401 challenge."""

    name = "uv"
    format = FORMAT
    image = PYTHON_IMAGE.name
    program = "uv"
    version_argv = ["uv", "--version"]
    schemes = (AuthScheme.BASIC,)
    operations = frozenset({"push", "pull"})

    def call(self, op: ClientOp, target: ClientTarget, name: str, version: str, file_name: str) -> ClientCall:
        if op == "push":
            argv = ["uv", "publish", "--no-cache", "--trusted-publishing", "never", "--publish-url",
                    upload_url(target), file_name]
            return ClientCall(argv, netrc(target), env=dict(UV_ENV))
        if op == "pull":
            argv = ["uv", "pip", "install", "--no-cache", "--no-deps", "--target", "installed", "--index-url",
                    simple_url(target), f"{name}=={version}"]
            metadata = f"installed/{dist_info_dir(name, version)}/METADATA"
            return ClientCall(argv, netrc(target), env=dict(UV_ENV), output=metadata, output_is_artifact=False)
        raise ValueError(f"uv does not {op} PyPI packages here")


RECIPES = (Twine(), Pip(), Uv())
IMAGES = (PYTHON_IMAGE,)
