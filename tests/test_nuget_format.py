"""The NuGet format's harness side: real .nupkg files of the size asked for, GitLab's name and version rules, the
publish request as GitLab's curl guide sends it, and the curl client's commands."""

import io
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import pytest

from core.client_recipe import ClientTarget
from core.credentials import Credential
from core.vocabulary import AuthScheme, CredentialCase, TokenKind
from formats import FORMATS
from formats.nuget import (
    DOWNLOAD,
    METADATA,
    NAME_REGEX,
    OPERATIONS,
    PUBLISH,
    RECIPES,
    RULES,
    SYMBOL_PUBLISH,
    V2_PUBLISH,
    VERSION_REGEX,
    build_nupkg,
    build_snupkg,
    stored_file_name,
)
from formats.nuget.clients import CONFIG, PULL_SCRIPT

NS = "{http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd}"


def archive(data: bytes) -> zipfile.ZipFile:
    z = zipfile.ZipFile(io.BytesIO(data))
    assert z.testzip() is None
    return z


@pytest.mark.parametrize("size", [1, 2000, 5000, 3 << 20])
def test_nupkg_is_a_real_package_of_the_size_asked_for(size: int) -> None:
    package = build_nupkg("My.Package", "1.3.0.17", size, seed=4)
    data = b"".join(package.chunks())
    assert len(data) == package.size
    assert package.size == max(size, build_nupkg("My.Package", "1.3.0.17", 1).size)
    z = archive(data)
    assert z.namelist() == ["My.Package.nuspec", "[Content_Types].xml", "_rels/.rels",
                            "lib/netstandard2.0/My.Package.dll"]
    spec = ElementTree.fromstring(z.read("My.Package.nuspec"))
    assert spec.findtext(f"{NS}metadata/{NS}id") == "My.Package"
    assert spec.findtext(f"{NS}metadata/{NS}version") == "1.3.0.17"
    assert b"/My.Package.nuspec" in z.read("_rels/.rels")
    assert package.file_name == "My.Package.1.3.0.17.nupkg"


def test_same_seed_same_bytes_and_streamed_digest() -> None:
    a, b = build_nupkg("x", "1.0", 70_000, 3), build_nupkg("x", "1.0", 70_000, 3)
    assert a.sha256() == b.sha256() != build_nupkg("x", "1.0", 70_000, 4).sha256()


def test_a_name_no_package_may_have_still_makes_a_readable_archive() -> None:
    z = archive(b"".join(build_nupkg("bad name/<x>", "1.0.0", 100).chunks()))
    spec = ElementTree.fromstring(z.read("bad_name__x_.nuspec"))
    assert spec.findtext(f"{NS}metadata/{NS}id") == "bad name/<x>"


def test_symbol_package_names_itself_a_symbols_package() -> None:
    symbols = build_snupkg("My.Package", "1.0.0")
    assert symbols.file_name == "My.Package.1.0.0.snupkg"
    assert b'packageType name="SymbolsPackage"' in archive(symbols.data).read("My.Package.nuspec")


@pytest.mark.parametrize("version", ["1.0", "1.0.0", "1.3.0.17", "0.1.2-rc.1", "2.0.0+build.5", "1.2.3.4-beta"])
def test_versions_gitlab_takes(version: str) -> None:
    assert VERSION_REGEX.fullmatch(version), version


@pytest.mark.parametrize("version", ["1", "01.0", "1.0.0.0.0", "v1.0.0", "1.0-", "1.0.0-01", "latest"])
def test_versions_gitlab_refuses(version: str) -> None:
    assert not VERSION_REGEX.fullmatch(version), version


def test_names() -> None:
    assert NAME_REGEX.fullmatch("My.Package_1-2+3")
    assert not NAME_REGEX.fullmatch("my package") and not NAME_REGEX.fullmatch("a/b") and not NAME_REGEX.fullmatch("")
    assert stored_file_name("My.Package", "1.0.0-RC") == "my.package.1.0.0-rc.nupkg"
    assert RULES.file_name_pattern.fullmatch(stored_file_name("My.Package", "1.0.0-RC"))


def test_rules_are_gitlabs() -> None:
    assert RULES.size_limit == 500 << 20 and RULES.plan_limit == "nuget_max_file_size"
    assert RULES.duplicates.allowed_by_default and RULES.duplicates.switchable
    assert RULES.duplicates.refused_status == 409
    assert FORMATS["nuget"].endpoints["publish"] is PUBLISH
    for endpoint in FORMATS["nuget"].endpoints.values():
        assert endpoint.rate_limited, endpoint.path
    assert {e.name for e in FORMATS["nuget"].custom_endpoints()} == {"symbol_publish", "v2_publish"}


def test_publish_is_the_multipart_put_of_gitlabs_guide() -> None:
    package = build_nupkg("My.Package", "1.0.0", 3000)
    [spec] = OPERATIONS.push(7, "My.Package", "1.0.0", package)
    body = b"".join(spec.body)  # type: ignore[arg-type]
    assert spec.method == "PUT" and spec.path == "/api/v4/projects/7/packages/nuget"
    assert spec.body_size == len(body)
    boundary = spec.headers["Content-Type"].split("boundary=")[1]
    assert body.startswith(f'--{boundary}\r\nContent-Disposition: form-data; name="package"; '
                           f'filename="My.Package.1.0.0.nupkg"'.encode())
    assert body.endswith(f"\r\n--{boundary}--\r\n".encode()) and b"".join(package.chunks()) in body


def test_file_hints_choose_the_v2_feed_or_add_a_symbol_package() -> None:
    v2 = OPERATIONS.artifact("p", "1.0.0", "v2/x.nupkg", 100, 0)
    assert [s.endpoint for s in OPERATIONS.push(1, "p", "1.0.0", v2)] == [V2_PUBLISH]
    with_symbols = OPERATIONS.artifact("p", "1.0.0", "symbols/x.nupkg", 100, 0)
    specs = OPERATIONS.push(1, "p", "1.0.0", with_symbols)
    assert [s.endpoint for s in specs] == [PUBLISH, SYMBOL_PUBLISH]
    assert specs[1].path == "/api/v4/projects/1/packages/nuget/symbolpackage"


def test_pull_and_metadata_requests() -> None:
    assert OPERATIONS.file_name("My.Pkg", "1.0.0-RC", "") == "my.pkg.1.0.0-rc.nupkg"
    pull = OPERATIONS.pull(3, "My.Pkg", "1.0.0-RC", "my.pkg.1.0.0-rc.nupkg")
    assert pull.endpoint is DOWNLOAD
    assert pull.path == "/api/v4/projects/3/packages/nuget/download/my.pkg/1.0.0-rc/my.pkg.1.0.0-rc.nupkg"
    metadata = OPERATIONS.metadata(3, "My.Pkg")
    assert metadata is not None and metadata.endpoint is METADATA
    assert metadata.path == "/api/v4/projects/3/packages/nuget/metadata/My.Pkg/index.json"
    group = OPERATIONS.group_metadata(9, "My.Pkg")
    assert group is not None and group.path == "/api/v4/groups/9/-/packages/nuget/metadata/My.Pkg/index.json"


def test_curl_client_keeps_the_token_in_its_config_file(tmp_path: Path) -> None:
    [curl] = RECIPES
    credential = Credential(CredentialCase.JOB_TOKEN, TokenKind.JOB_TOKEN, "glcbt-secret")
    target = ClientTarget(registry_url="http://127.0.0.1:1", project_id=5, credential=credential,
                          scheme=AuthScheme.BASIC)
    push = curl.call("push", target, "P", "1.0.0", "P.1.0.0.nupkg")
    assert "glcbt-secret" not in " ".join(push.argv)
    assert push.files[CONFIG] == 'user = "gitlab-ci-token:glcbt-secret"\n'
    assert push.argv[-3:] == ["--form", "package=@P.1.0.0.nupkg", "http://127.0.0.1:1/api/v4/projects/5/packages/nuget"]
    pull = curl.call("pull", target, "P", "1.0.0", "p.1.0.0.nupkg")
    assert pull.argv[:2] == ["sh", PULL_SCRIPT] and pull.output == "pulled/p.1.0.0.nupkg"
    assert pull.argv[2] == "http://127.0.0.1:1/api/v4/projects/5/packages/nuget/metadata/P/index.json"
