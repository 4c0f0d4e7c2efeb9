"""The Go format's harness side: real modules (go.mod and Go source of the requested size), Go's own h1: hash of a
module zip, module paths (major suffix, case encoding), the requests `go` sends, and a publish as GitLab's commit
and tag requests."""

import base64
import io
import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from core import project_urls
from core.client_recipe import ClientTarget
from core.credentials import Credential
from core.vocabulary import AuthScheme, CredentialCase, TokenKind
from formats.go import OPERATIONS, RECIPES, RULES, GoModule
from formats.go.artifacts import go_source
from formats.go.names import (
    case_decode,
    case_encode,
    files_hash,
    is_pseudo_version,
    module_base,
    module_dir,
    path_valid,
    pseudo_parts,
    zip_hash,
)

BASE = "gitlab.example.com/grp/proj"


@pytest.fixture(autouse=True)
def _project() -> None:
    project_urls.remember(7, "https://gitlab.example.com:8443/grp/proj")


def test_module_base_is_the_host_without_port_and_the_project_path() -> None:
    assert module_base("https://gitlab.example.com:8443/grp/proj") == BASE
    assert module_base("http://127.0.0.1:3000/gitlab/a/b/c") == "127.0.0.1/gitlab/a/b/c"  # a relative URL root stays


def test_go_source_has_the_requested_size_and_compiles_where_go_is() -> None:
    for size in (200, 4096, 100_003):
        assert len(go_source("pkg", size, 3)) == size
    module = GoModule("small-package", "1.0.0", 4096, seed=1)
    files = module.files(BASE)
    assert sum(len(d) for d in files.values()) == 4096
    assert files["go.mod"].startswith(b"module gitlab.example.com/grp/proj/small-package\n")
    if shutil.which("go") is None:
        pytest.skip("no go on this host: the container runs prove the module builds")


def test_the_module_compiles(tmp_path: Path) -> None:
    if shutil.which("go") is None:
        pytest.skip("no go on this host")
    module = GoModule("small-package", "1.0.0", 4096, seed=1)
    for path, data in module.files(BASE).items():
        (tmp_path / path).write_bytes(data)
    subprocess.run(["go", "vet", "./..."], cwd=tmp_path, check=True, env={"GOFLAGS": "-mod=mod", "HOME": str(tmp_path),
                                                                          "PATH": "/usr/bin:/bin"})


def test_major_versions_live_in_their_folder_and_path() -> None:
    assert module_dir("lib", "1.2.3") == "lib" and module_dir("lib", "2.0.0") == "lib/v2"
    v2 = GoModule("lib", "2.0.0", 300)
    assert v2.module(BASE) == f"{BASE}/lib/v2"
    assert set(v2.repository_files(BASE)) == {"lib/v2/go.mod", "lib/v2/lib.go"}
    assert path_valid(f"{BASE}/lib", 1) and not path_valid(f"{BASE}/lib", 2) and path_valid(f"{BASE}/lib/v2", 2)
    assert not path_valid(f"{BASE}/lib/v2", 1)  # GitLab serves no v1 from a /v2 path, nor +incompatible v2 below v1


def test_case_encoding_round_trips() -> None:
    assert case_encode("github.com/Azure/X") == "github.com/!azure/!x"
    assert case_decode("github.com/!azure/!x") == "github.com/Azure/X"


def test_pseudo_versions_as_gitlab_reads_them() -> None:
    assert is_pseudo_version("v0.0.0-20201230123456-abcdefabcdef")
    assert is_pseudo_version("v1.0.4-0.20201230123456-abcdefabcdef")
    assert is_pseudo_version("v1.0.1-pre.0.20201230123456-abcdefabcdef")
    assert not is_pseudo_version("v1.0.4-20201230123456-abcdefabcdef")  # minor/patch need the `0.` form
    assert not is_pseudo_version("v1.0.0")
    assert pseudo_parts("v1.0.4-0.20201230123456-abcdefabcdef") == ("20201230123456", "abcdefabcdef")


def test_versions_are_semver_as_gitlab_has_it() -> None:
    assert RULES.version_error("1.0.0") is None and RULES.version_error("1.0.0-rc.1+build.5") is None
    assert RULES.version_error("1.0") is not None and RULES.version_error("01.0.0") is not None


def test_h1_hash_ignores_dates_and_compression_but_not_content() -> None:
    module = GoModule("m", "1.0.0", 500, seed=2)
    entries = module.zip_entries(BASE)
    other = io.BytesIO()
    with zipfile.ZipFile(other, "w", zipfile.ZIP_STORED) as out:
        for name, data in reversed(list(entries.items())):
            out.writestr(zipfile.ZipInfo(name, (2024, 5, 6, 7, 8, 10)), data)
    assert zip_hash(other.getvalue()) == zip_hash(module.zip(BASE)) == module.hash(BASE)
    assert files_hash({**entries, next(iter(entries)): b"changed"}) != module.hash(BASE)
    assert module.hash(BASE) != module.hash("gitlab.example.com/grp/other")  # go.mod names the project


def test_a_publish_is_a_commit_and_a_tag() -> None:
    module = OPERATIONS.artifact("small-package", "1.0.0", "small.bin", 1024, 1)
    commit, tag = OPERATIONS.prepare(7, "small-package", "1.0.0", module)
    body = json.loads(commit.body)  # type: ignore[arg-type]
    assert commit.path == "/api/v4/projects/7/repository/commits" and body["branch"] == "go/small-package/v1.0.0"
    files = {a["file_path"]: base64.b64decode(a["content"]) for a in body["actions"]}
    assert files == module.repository_files(BASE)
    assert json.loads(tag.body) == {"tag_name": "v1.0.0", "ref": "go/small-package/v1.0.0"}  # type: ignore[arg-type]
    assert OPERATIONS.push(7, "small-package", "1.0.0", module) == []
    assert OPERATIONS.no_upload and OPERATIONS.not_listed and OPERATIONS.served_built


def test_requests_are_what_go_sends() -> None:
    proxy = "/api/v4/projects/7/packages/go/gitlab.example.com/grp/proj"
    assert OPERATIONS.metadata(7, "Lib").path == f"{proxy}/!lib/@v/list"
    pull = OPERATIONS.pull(7, "lib", "2.1.0-RC1", "v2.1.0-RC1.zip")
    assert pull.path == f"{proxy}/lib/v2/@v/v2.1.0-!r!c1.zip"
    assert OPERATIONS.content_key(7, "lib", "1.0.0", GoModule("lib", "1.0.0", 10)) == GoModule(
        "lib", "1.0.0", 10).hash(BASE)


def test_the_go_client_reads_credentials_from_netrc_over_https_only() -> None:
    (go,) = RECIPES
    credential = Credential(CredentialCase.PERSONAL_ACCESS_TOKEN, TokenKind.PERSONAL_ACCESS_TOKEN, "glpat-secret")
    target = ClientTarget("http://127.0.0.1:4567", 7, credential, AuthScheme.BASIC)
    call = go.call("pull", target, "lib", "1.0.0", "v1.0.0.zip")
    assert call.argv[:4] == ["sh", "tls-front.sh", "127.0.0.1", "4567"]
    assert call.argv[4:] == ["go", "mod", "download", "-json", f"{BASE}/lib@v1.0.0"]
    assert "glpat-secret" not in " ".join(call.argv) and "glpat-secret" not in json.dumps(call.env)
    env = call.files[".config/go/env"]
    assert "GOPROXY=https://127.0.0.2:4567/api/v4/projects/7/packages/go\n" in env
    assert "GONOSUMDB=gitlab.example.com\n" in env and "glpat-secret" not in env
    assert "machine 127.0.0.2:4567\nlogin harness\npassword glpat-secret\n" in call.files[".netrc"]
    assert call.output == f"go/pkg/mod/cache/download/{BASE}/lib/@v/v1.0.0.zip"
    anonymous = go.call("metadata", ClientTarget("https://gitlab.example.com", 7, Credential(
        CredentialCase.ANONYMOUS, None, None), AuthScheme.NONE), "lib", "1.0.0", "")
    assert ".netrc" not in anonymous.files and anonymous.argv[0] == "go"  # https: no TLS front needed
