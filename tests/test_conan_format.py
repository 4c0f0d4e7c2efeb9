"""The Conan format's harness side: real recipes and packages (archives any reader opens, manifests whose md5s are the
files', the recipe revision git itself computes), the requests as the clients send them, GitLab's rules."""

import gzip
import hashlib
import io
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest

from formats import FORMATS, OPERATIONS
from formats.conan import (
    COMPONENT_REGEX,
    RULES,
    ExportArchive,
    Protocol,
    build_recipe,
    hinted_file_name,
    protocol_of,
    split_file_name,
)
from formats.conan import (
    OPERATIONS as CONAN_OPS,
)
from formats.conan.artifacts import PAYLOAD
from formats.conan.clients import CONAN1_SCENARIOS, RECIPES


@pytest.mark.parametrize("size", [0, 1559, 1560, 2000, 65535 * 3 + 17, 1 << 20])
def test_the_export_archive_is_exact_and_readable(size: int) -> None:
    archive = ExportArchive(size, seed=4)
    data = b"".join(archive.chunks())
    assert len(data) == archive.size == max(size, 1559)
    with tarfile.open(fileobj=io.BytesIO(gzip.decompress(data))) as tar:
        member = tar.extractfile(PAYLOAD)
        assert member is not None
        assert member.read() == b"".join(archive.payload.chunks())


def test_the_recipe_manifest_holds_each_exported_files_md5() -> None:
    recipe = build_recipe("hello", "1.0.0", 8000, seed=3)
    lines = recipe.recipe_manifest.decode().splitlines()
    assert lines[0].isdigit()
    payload = b"".join(recipe.export.payload.chunks())
    assert lines[1:] == [f"conanfile.py: {hashlib.md5(recipe.conanfile).hexdigest()}",
                         f"{PAYLOAD}: {hashlib.md5(payload).hexdigest()}"]
    assert 'name = "hello"' in recipe.conanfile.decode() and 'revision_mode = "scm"' in recipe.conanfile.decode()
    assert recipe.package_reference == hashlib.sha1(recipe.conaninfo).hexdigest()
    assert recipe.package_revision == hashlib.md5(recipe.package_manifest).hexdigest()
    with tarfile.open(fileobj=io.BytesIO(recipe.package_archive)) as tar:
        assert tar.getnames() == ["include/hello.h"]


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_the_recipe_revision_is_the_commit_git_makes(tmp_path: Path) -> None:
    recipe = build_recipe("hello", "1.0.0", 5000, seed=7)
    recipe.write_to(tmp_path)
    env = {"GIT_AUTHOR_DATE": "1700000000 +0000", "GIT_COMMITTER_DATE": "1700000000 +0000", "HOME": str(tmp_path),
           "PATH": "/usr/bin:/bin"}
    cwd = tmp_path / "recipe"
    for argv in (["git", "init", "-q", "."], ["git", "add", "conanfile.py", PAYLOAD],
                 ["git", "-c", "user.email=harness@example.com", "-c", "user.name=harness", "-c",
                  "commit.gpgsign=false", "commit", "-q", "-m", "recipe"]):
        subprocess.run(argv, cwd=cwd, env=env, check=True)
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=cwd, env=env, check=True, capture_output=True, text=True)
    assert head.stdout.strip() == recipe.recipe_revision


def test_a_push_is_the_recipe_then_its_package_as_conan_upload_sends_it() -> None:
    recipe = build_recipe("hello", "1.0.0", 4000, seed=1)
    specs = CONAN_OPS.push(7, "hello", "1.0.0", recipe)
    base = f"/api/v4/projects/7/packages/conan/v2/conans/hello/1.0.0/_/_/revisions/{recipe.recipe_revision}"
    package = f"{base}/packages/{recipe.package_reference}/revisions/{recipe.package_revision}/files/"
    assert [s.path for s in specs] == [base + "/files/conan_export.tgz", base + "/files/conanfile.py",
                                       base + "/files/conanmanifest.txt", package + "conan_package.tgz",
                                       package + "conaninfo.txt", package + "conanmanifest.txt"]
    assert all(s.method == "PUT" for s in specs) and specs[0].body_size == recipe.size
    # the pull names the revision of the newest publish
    pull = CONAN_OPS.pull(7, "hello", "1.0.0", "conan_export.tgz")
    assert pull.path == base + "/files/conan_export.tgz"


def test_a_v1_hint_goes_through_conan_1s_file_routes() -> None:
    assert protocol_of("v1/anything") is Protocol.V1 and protocol_of("anything") is Protocol.V2
    assert hinted_file_name("v1/x") == "v1/conan_export.tgz" and split_file_name("v1/conan_export.tgz")[0] == "v1"
    recipe = CONAN_OPS.artifact("hello", "1.0.0", "v1/x", 3000, 2)
    specs = CONAN_OPS.push(7, "hello", "1.0.0", recipe)
    assert specs[0].path == "/api/v4/projects/7/packages/conan/v1/files/hello/1.0.0/_/_/0/export/conan_export.tgz"
    assert specs[3].path.startswith("/api/v4/projects/7/packages/conan/v1/files/hello/1.0.0/_/_/0/package/")
    assert specs[3].path.endswith("/0/conan_package.tgz")


def test_pulls_compare_the_payload_whoever_built_the_archive() -> None:
    recipe = build_recipe("hello", "1.0.0", 6000, seed=5)
    key = CONAN_OPS.content_key(1, "hello", "1.0.0", recipe)
    assert CONAN_OPS.pulled_key(b"".join(recipe.chunks())) == key
    assert CONAN_OPS.pulled_key(b"".join(recipe.export.payload.chunks())) == key  # a client's copied payload.bin
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:  # Conan's own compression of the same file
        data = b"".join(recipe.export.payload.chunks())
        info = tarfile.TarInfo(PAYLOAD)
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    assert CONAN_OPS.pulled_key(buffer.getvalue()) == key


@pytest.mark.parametrize(("value", "ok"), [("foobar", True), ("foo+bar", True), ("_foo+bar-baz+1.0", True),
                                           ("1.0.0", True), ("-foo", False), ("+foo", False), (".foo", False),
                                           ("foo@bar", False), ("foo/bar", False), ("f", False),
                                           ("f_a" * 17, False)])
def test_names_follow_gitlabs_recipe_component_regex(value: str, ok: bool) -> None:
    # spec/lib/gitlab/regex_spec.rb '.conan_recipe_component_regex'
    assert bool(COMPONENT_REGEX.fullmatch(value)) is ok
    assert (RULES.name_error(value) is None) is ok


def test_the_format_is_discovered_with_gitlabs_facts() -> None:
    assert FORMATS["conan"].rules.size_limit == 3 << 30
    assert FORMATS["conan"].rules.plan_limit == "conan_max_file_size"
    assert OPERATIONS["conan"].package_type == "conan" and OPERATIONS["conan"].has_metadata_document
    upload = FORMATS["conan"].endpoint("recipe_upload").auth
    download = FORMATS["conan"].endpoint("recipe_download").auth
    assert upload.anonymous_hidden == 401 and download.anonymous_hidden == 404 and not download.challenge


def test_each_client_runs_the_scenarios_of_its_protocol() -> None:
    conan2, conan1 = RECIPES
    assert (conan2.name, conan1.name) == ("conan", "conan1")
    assert conan2.runs_scenario("small-push") and not conan2.runs_scenario("conan1-protocol")
    assert conan1.runs_scenario("conan1-protocol") and not conan1.runs_scenario("small-push")
    assert CONAN1_SCENARIOS == {"conan1-protocol"}
