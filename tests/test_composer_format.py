"""The Composer format's harness side: its packages are real (composer.json Composer reads, PHP that parses), the
requests are what GitLab's API and docs describe, and the version and name rules are GitLab's."""

import io
import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from core import repository
from formats import FORMATS, OPERATIONS, composer
from formats.composer import ARCHIVE, P2, PACKAGES_JSON, PUBLISH, RULES, version_of_ref
from formats.composer.artifacts import ComposerPackage, archive_files, content_digest
from formats.composer.operations import ComposerOperations

OPS = composer.OPERATIONS


def test_discovered_with_a_group_only_metadata_document() -> None:
    assert "composer" in FORMATS and OPERATIONS["composer"] is OPS
    assert OPS.has_metadata_document and OPS.metadata_group_only
    assert not OPS.publishes_concurrently() and OPS.no_size_limit
    assert FORMATS["composer"].rules.names_instance_wide
    # GitLab's package rate-limit matcher takes Composer's singular `group/` routes
    assert PACKAGES_JSON.rate_limited and P2.rate_limited and ARCHIVE.rate_limited and PUBLISH.rate_limited


def test_package_is_real_composer_package(tmp_path: Path) -> None:
    package = ComposerPackage("small-package", "1.2.3", 4096, 7)
    manifest = json.loads(package.files["composer.json"])
    assert manifest["name"] == "harness/small-package"
    assert manifest["autoload"]["psr-4"] == {"Harness\\SmallPackage\\": "src/"}
    assert 4000 <= package.size <= 4200
    assert package.sha256() == content_digest(package.files)[0]
    assert ComposerPackage("small-package", "1.2.3", 4096, 8).sha256() != package.sha256()
    package.write_to(tmp_path)
    if shutil.which("php"):  # the source parses where PHP is installed
        subprocess.run(["php", "-l", str(tmp_path / "src/Greeter.php")], check=True, capture_output=True)


def test_archive_content_is_compared_without_the_archive_prefix() -> None:
    package = ComposerPackage("pkg", "1.0.0", 512, 1)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zipped:
        zipped.writestr("proj-abc123/", b"")
        for path, data in package.files.items():
            zipped.writestr(f"proj-abc123/{path}", data)
    assert archive_files(buffer.getvalue()) == package.files
    assert OPS.pulled_key(buffer.getvalue()) == package.sha256()
    with pytest.raises(ValueError, match="not a zip"):
        OPS.pulled_key(b"not a zip")


def test_large_package_archive_stays_small() -> None:
    package = ComposerPackage("large", "1.0.0", 16 << 20, 3)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zipped:
        for path, data in package.files.items():
            zipped.writestr(path, data)
    assert package.size > (16 << 20) - 200 and len(buffer.getvalue()) < 1 << 20  # within what a pull keeps to compare


@pytest.mark.parametrize(("tag", "branch", "version"), [
    ("v1.0.0", None, "1.0.0"), ("1.2.3", None, "1.2.3"), ("v1.0", None, "1.0"), ("release", None, None),
    (None, "master", "dev-master"), (None, "1.x", "1.x.x-dev"), (None, "feature/x", "dev-feature/x"),
])
def test_version_parser_is_gitlabs(tag: str | None, branch: str | None, version: str | None) -> None:
    assert version_of_ref(tag=tag, branch=branch) == version


def test_version_rule_is_a_tags_semver() -> None:
    assert RULES.version_error("1.0.0") is None
    for bad in ("1.0", "1.0.0-beta", "01.0.0", "1.x.0"):
        assert RULES.version_error(bad) is not None


def test_prepare_commits_then_tags_and_moves_the_tag_for_new_content() -> None:
    ops = ComposerOperations()
    first = ComposerPackage("pkg", "1.0.0", 256, 1)
    specs = ops.prepare(5, "pkg", "1.0.0", first)
    assert [s.endpoint for s in specs] == [repository.COMMIT, repository.TAG]
    body = json.loads(specs[0].body)  # type: ignore[arg-type]
    assert {a["file_path"] for a in body["actions"]} == {"composer.json", "src/Greeter.php"}
    assert json.loads(specs[1].body) == {"tag_name": "v1.0.0", "ref": body["branch"]}  # type: ignore[arg-type]
    ops.prepared(5, "pkg", "1.0.0", [{"id": "c1"}, {"name": "v1.0.0", "commit": {"id": "c1"}}])
    assert ops.prepare(5, "pkg", "1.0.0", first) == []  # the tag already points at these files
    assert ops.pull(5, "pkg", "1.0.0", "x").params == {"sha": "c1"}
    again = ops.prepare(5, "other", "1.0.0", ComposerPackage("other", "1.0.0", 256, 1))
    assert [s.endpoint for s in again] == [repository.COMMIT, repository.DELETE_TAG, repository.TAG]
    assert json.loads(again[0].body)["branch"] != body["branch"]  # type: ignore[arg-type]


def test_publish_and_documents_are_gitlabs_routes() -> None:
    artifact = OPS.artifact("pkg", "1.0.0", "x", 64, 0)
    publish = OPS.push(9, "pkg", "1.0.0", artifact)[0]
    assert publish.path == "/api/v4/projects/9/packages/composer"
    assert b"".join(publish.body) == b"tag=v1.0.0"  # type: ignore[arg-type]
    assert OPS.group_metadata(4, "pkg").path == "/api/v4/group/4/-/packages/composer/p2/harness/pkg.json"
    assert OPS.pull(9, "pkg", "1.0.0", "x", sha="abc").path == \
        "/api/v4/projects/9/packages/composer/archives/harness/pkg.zip"
    assert OPS.package_name("Pkg") == "harness/pkg"
