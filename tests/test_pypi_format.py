"""The PyPI format: its rules against PEP 440 / PEP 508, the wheel and sdist builders, the upload request as twine
sends it, the operations' pull addressing, and the client recipes (no token outside their files)."""

import base64
import csv
import email.parser
import hashlib
import io
import re
import tarfile
import zipfile
from email.message import Message
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.client_recipe import ClientRecipe, ClientTarget
from core.credentials import ANONYMOUS, Credential
from core.format_types import BytesArtifact
from core.vocabulary import AuthScheme, CredentialCase, TokenKind
from formats import FORMATS, pypi
from formats.pypi import (
    RULES,
    PypiOperations,
    WheelArtifact,
    build_sdist,
    normalize_name,
    normalize_version,
    parse_file_name,
    upload,
    wheel_file_name,
)
from formats.pypi.clients import RECIPES

# PEP 508's name, verbatim (re.IGNORECASE as the PEP says).
PEP_508_NAME = re.compile(r"^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$", re.IGNORECASE)
version_text = st.text(alphabet="0123456789.!+-_vabcrpostdevlhVAL ", max_size=14)


@settings(max_examples=500, deadline=None)
@given(version_text)
def test_version_rule_is_pep_440(version: str) -> None:
    """GitLab's pypi_version_regex accepts what packaging's PEP 440 parser accepts (bar surrounding blanks), and
    the normalized form is packaging's."""
    packaging_version = pytest.importorskip("packaging.version")
    try:
        expected: str | None = str(packaging_version.Version(version))
    except packaging_version.InvalidVersion:
        expected = None
    if version != version.strip():
        return  # packaging strips blanks; GitLab's \A...\z regex does not
    assert (RULES.version_error(version) is None) == (expected is not None)
    if expected is not None:
        assert normalize_version(version) == expected


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="aZ09._-+/@ é", max_size=12))
def test_name_rule_is_pep_508(name: str) -> None:
    assert (RULES.name_error(name) is None) == bool(PEP_508_NAME.match(name))


def test_names_normalize_as_pep_503_says() -> None:
    assert normalize_name("Friendly-Bard") == normalize_name("FRIENDLY_BARD") == normalize_name("friendly.._bard")
    assert normalize_name("Friendly-Bard") == "friendly-bard"
    assert wheel_file_name("My.Pkg", "1.0-Alpha.1") == "my_pkg-1.0a1-py3-none-any.whl"
    assert parse_file_name("my_pkg-1.0a1-py3-none-any.whl") == pypi.DistributionName("wheel", "my_pkg", "1.0a1")
    assert parse_file_name("my_pkg-1.0-1build-py3-none-any.whl") == pypi.DistributionName("wheel", "my_pkg", "1.0")
    assert parse_file_name("legacy-name-2.0.tar.gz") == pypi.DistributionName("sdist", "legacy-name", "2.0")
    assert parse_file_name("package.bin") is None
    assert RULES.file_name_error("my_pkg-1.0-py3-none-any.whl") is None
    assert "file_name" in (RULES.file_name_error("x.exe") or "")


@settings(max_examples=40, deadline=None)
@given(st.integers(min_value=1400, max_value=300_000), st.integers(min_value=0, max_value=3))
def test_wheel_has_the_asked_size_and_is_a_valid_wheel(size: int, seed: int) -> None:
    wheel = WheelArtifact("Some_Pkg", "2.0rc1", size, seed)
    data = b"".join(wheel.chunks())
    assert len(data) == size == wheel.size
    assert wheel.sha256() == hashlib.sha256(data).hexdigest() and wheel.md5() == hashlib.md5(data).hexdigest()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        info = "some_pkg-2.0rc1.dist-info"
        metadata = email.parser.HeaderParser().parsestr(archive.read(f"{info}/METADATA").decode())
        assert (metadata["Name"], metadata["Version"], metadata["Requires-Python"]) == ("Some_Pkg", "2.0rc1", ">=3.8")
        assert "Tag: py3-none-any" in archive.read(f"{info}/WHEEL").decode()
        for path, digest, length in csv.reader(io.StringIO(archive.read(f"{info}/RECORD").decode())):
            if path.endswith("RECORD"):
                continue
            content = archive.read(path)
            expected = base64.urlsafe_b64encode(hashlib.sha256(content).digest()).rstrip(b"=").decode()
            assert (digest, int(length)) == (f"sha256={expected}", len(content))


def test_wheels_differ_by_seed_and_small_sizes_give_the_smallest_wheel() -> None:
    assert WheelArtifact("a", "1", 5000, 1).sha256() != WheelArtifact("a", "1", 5000, 2).sha256()
    tiny = WheelArtifact("a", "1", 10)
    assert tiny.size > 10 and len(b"".join(tiny.chunks())) == tiny.size
    with pytest.raises(ValueError, match="ZIP64"):
        WheelArtifact("a", "1", 5 << 30)


def test_sdist_holds_pkg_info(tmp_path: Path) -> None:
    sdist = build_sdist("Some.Pkg", "1.0", 20_000, seed=1)
    assert sdist.file_name == "some_pkg-1.0.tar.gz" and 18_000 < sdist.size < 22_000
    with tarfile.open(sdist.write_to(tmp_path), "r:gz") as archive:
        names = archive.getnames()
        assert names[0] == "some_pkg-1.0/PKG-INFO"
        pkg_info = archive.extractfile(names[0])
        assert pkg_info is not None and b"Name: Some.Pkg" in pkg_info.read()
    assert build_sdist("Some.Pkg", "1.0", 20_000, seed=1).data == sdist.data  # deterministic


def test_upload_is_the_form_twine_sends() -> None:
    wheel = WheelArtifact("pkg", "1.0", 3000)
    spec = upload(7, "pkg", "1.0", wheel)
    assert (spec.method, spec.path) == ("POST", "/api/v4/projects/7/packages/pypi")
    body = b"".join(spec.body)  # type: ignore[arg-type]
    assert len(body) == spec.body_size
    message = email.parser.BytesParser().parsebytes(
        f"Content-Type: {spec.headers['Content-Type']}\r\n\r\n".encode() + body)
    payload = message.get_payload()
    assert isinstance(payload, list)
    parts = {part.get_param("name", header="content-disposition"): part
             for part in payload if isinstance(part, Message)}
    assert parts[":action"].get_payload() == "file_upload"
    assert parts["sha256_digest"].get_payload() == wheel.sha256()
    assert parts["md5_digest"].get_payload() == wheel.md5()
    assert parts["requires_python"].get_payload() == ">=3.8"
    assert list(parts)[-1] == "content" and parts["content"].get_filename() == wheel.file_name
    assert parts["content"].get_payload(decode=True) == b"".join(wheel.chunks())
    without = upload(7, "pkg", "1.0", wheel, fields={"sha256_digest": None, "name": "other"})
    text = b"".join(without.body)  # type: ignore[arg-type]
    assert b'name="sha256_digest"' not in text and b"\r\n\r\nother\r\n" in text


def test_pull_addresses_the_first_pushed_file_by_its_sha256() -> None:
    ops = PypiOperations()
    first, second = ops.artifact("pkg", "1.0", "small.bin", 3000, 1), ops.artifact("pkg", "1.0", "small.bin", 3000, 2)
    ops.push(5, "pkg", "1.0", first)
    ops.push(5, "pkg", "1.0", second)  # refused by a PyPI registry: the first stays
    pull = ops.pull(5, "pkg", "1.0", "small.bin")
    assert pull.path == f"/api/v4/projects/5/packages/pypi/files/{first.sha256()}/pkg-1.0-py3-none-any.whl"
    assert ops.pull(5, "pkg", "1.0", first.file_name, sha256="ab" * 32).path.endswith(
        f"/{'ab' * 32}/{first.file_name}")
    with pytest.raises(ValueError, match="sha256"):
        ops.pull(6, "pkg", "1.0", "small.bin")
    with pytest.raises(ValueError, match="status or select"):
        ops.push(5, "pkg", "1.0", first, status="hidden")
    assert ops.metadata(5, "My_Pkg").path == "/api/v4/projects/5/packages/pypi/simple/my-pkg"
    assert isinstance(ops.artifact("pkg", "1.0", "x.tar.gz", 3000, 1), BytesArtifact)


def test_endpoints_read_job_tokens_over_basic_and_bearer_only() -> None:
    fmt = FORMATS["pypi"]
    assert fmt is pypi.PYPI and pypi.OPERATIONS.package_type == "pypi"
    own = [e for e in fmt.endpoints.values() if "/pypi" in e.path]
    # `job_token_allowed: :basic_auth`: no JOB-TOKEN header; anonymous gets 401 with the Basic challenge.
    assert all(e.auth.job_token == {AuthScheme.BASIC, AuthScheme.BEARER} and e.auth.anonymous_hidden == 401
               and e.auth.challenge and e.auth.basic_pat and e.auth.deploy_token for e in own)
    assert {e.name for e in fmt.custom_endpoints()} == {"group_simple_index", "group_simple_package",
                                                         "group_download"}
    assert "list_packages" in fmt.endpoints  # list, search and delete go through the Packages API


TOKEN = "glpat-secret-token-value-123"


def target(credential: Credential, scheme: AuthScheme = AuthScheme.BASIC) -> ClientTarget:
    return ClientTarget("http://127.0.0.1:4567", 3, credential, scheme)


@pytest.mark.parametrize("recipe", RECIPES, ids=lambda r: r.name)
def test_recipes_keep_the_token_in_their_files(recipe: ClientRecipe) -> None:
    credential = Credential(CredentialCase.PROJECT_DEPLOY_TOKEN, TokenKind.PROJECT_DEPLOY_TOKEN, TOKEN, "deployer")
    for op in sorted(recipe.operations):
        call = recipe.call(op, target(credential), "My.Pkg", "1.0", "my_pkg-1.0-py3-none-any.whl")
        assert TOKEN not in " ".join(call.argv) and TOKEN not in " ".join(call.env.values())
        assert any(TOKEN in content and "deployer" in content for content in call.files.values())
        assert all(not path.startswith("/") for path in call.files)
        anonymous = recipe.call(op, target(ANONYMOUS, AuthScheme.NONE), "My.Pkg", "1.0", "x.bin")
        assert all(TOKEN not in content for content in anonymous.files.values())


def test_recipe_commands() -> None:
    recipes = {r.name: r for r in RECIPES}
    credential = Credential(CredentialCase.JOB_TOKEN, TokenKind.JOB_TOKEN, TOKEN)
    twine = recipes["twine"].call("push", target(credential), "pkg", "1.0", "pkg-1.0-py3-none-any.whl")
    assert twine.argv[-5:] == ["--config-file", ".pypirc", "-r", "harness", "pkg-1.0-py3-none-any.whl"]
    assert "repository = http://127.0.0.1:4567/api/v4/projects/3/packages/pypi" in twine.files[".pypirc"]
    pip = recipes["pip"].call("pull", target(credential), "My.Pkg", "1.0", "small.bin")
    assert "http://127.0.0.1:4567/api/v4/projects/3/packages/pypi/simple" in pip.argv
    assert pip.output == "pulled/my_pkg-1.0-py3-none-any.whl" and pip.output_is_artifact
    assert pip.files == {".netrc": f"machine 127.0.0.1\nlogin gitlab-ci-token\npassword {TOKEN}\n"}  # a job token
    uv = recipes["uv"].call("pull", target(credential), "My.Pkg", "1.0", "small.bin")
    assert uv.output == "installed/my_pkg-1.0.dist-info/METADATA" and not uv.output_is_artifact
    with pytest.raises(ValueError, match="twine only uploads"):
        recipes["twine"].call("pull", target(credential), "pkg", "1.0", "x")
