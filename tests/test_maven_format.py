"""The Maven format without a server: GitLab's rules, path parsing, the jar builder, the deploy requests, mvn's
settings.xml."""

import hashlib
import io
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.client_recipe import ClientTarget
from core.credentials import ANONYMOUS, Credential
from core.vocabulary import AuthScheme, CredentialCase, TokenKind
from formats.maven import (
    OPERATIONS,
    RULES,
    Coordinates,
    MavenJar,
    coordinates,
    parse_path,
    pom_xml,
)
from formats.maven.clients import RECIPES, settings_xml

# Gitlab::Regex (lib/gitlab/regex/packages.rb), verbatim but for Ruby's \A \z; Ruby's \w is ASCII.
GITLAB_VERSION = re.compile(r"\A(?!.*\.\.)[\w+.-]+\Z", re.ASCII)
GITLAB_APP_NAME = re.compile(r"\A[\w\-\.]+\Z", re.ASCII)
GITLAB_FILE_NAME = re.compile(r"\A[A-Za-z0-9\.\_\-\+]+\Z")
GITLAB_PATH = re.compile(r"\A\@?(([\w\-\.]*)/)*([\w\-\.\+]*)\Z", re.ASCII)

text = st.text(alphabet="aZ09_.-+/@é \n", max_size=14)
good_part = st.from_regex(r"\A[a-z0-9][a-z0-9_-]{0,8}\Z")


@settings(max_examples=400, deadline=None)
@given(text)
def test_patterns_accept_exactly_what_gitlab_accepts(value: str) -> None:
    assert bool(RULES.version_pattern.fullmatch(value)) == bool(GITLAB_VERSION.match(value))
    assert bool(RULES.name_pattern.fullmatch(value)) == bool(GITLAB_APP_NAME.match(value))
    assert bool(RULES.file_name_pattern.fullmatch(value)) == bool(GITLAB_FILE_NAME.match(value))
    assert (RULES.version_error(value) is None) == bool(GITLAB_VERSION.match(value))


@settings(max_examples=200, deadline=None)
@given(st.lists(good_part, min_size=1, max_size=3), good_part, good_part, st.booleans(),
       st.sampled_from([None, "md5", "sha1", "sha256", "sha512"]))
def test_valid_paths_parse_to_their_coordinates(group: list[str], artifact: str, version: str, snapshot: bool,
                                                checksum: str | None) -> None:
    coords = Coordinates(".".join(group), artifact, version + ("-SNAPSHOT" if snapshot else ""))
    suffix = f".{checksum}" if checksum else ""
    ref = parse_path(f"{coords.version_path}/{coords.file_name('jar')}{suffix}")
    assert (ref.package_name, ref.version, ref.file_name, ref.checksum) == (
        coords.package_name, coords.version, coords.file_name("jar"), checksum)
    assert (ref.group_id, ref.artifact_id, ref.extension) == (coords.group_id, artifact, ".jar")
    listing = parse_path(f"{coords.package_name}/maven-metadata.xml{suffix}")
    assert (listing.package_name, listing.version, listing.is_metadata) == (coords.package_name, None, True)
    if snapshot:
        assert parse_path(f"{coords.version_path}/maven-metadata.xml").version == coords.version


@settings(max_examples=300, deadline=None)
@given(text, text)
def test_any_path_is_parsed_or_refused_naming_the_rule(artifact: str, version: str) -> None:
    path = f"com/example/{artifact}/{version}/file.jar"
    try:
        ref = parse_path(path)
    except ValueError as error:
        assert re.match(r"(file_name|path|version|artifactId|groupId) is invalid: ", str(error)), error
        return
    assert GITLAB_PATH.match(path.rpartition("/")[0])
    assert GITLAB_VERSION.match(ref.version or "") and GITLAB_APP_NAME.match(ref.artifact_id)


@pytest.mark.parametrize(("path", "field"), [
    ("com/example/a/1.0/a b.jar", "file_name"),
    ("com/exa mple/a/1.0/a.jar", "path"),
    ("com/example/a/1..0/a.jar", "version"),
    ("a/1.0/a.jar", "groupId"),
    ("com/example//1.0/a.jar", "artifactId"),
    ("@com/example/a/1.0/a.jar", "groupId"),
    ("a.jar", "path"),
])
def test_refusals_name_the_field(path: str, field: str) -> None:
    with pytest.raises(ValueError, match=f"^{field} is invalid: "):
        parse_path(path)


@settings(max_examples=30, deadline=None)
@given(st.integers(min_value=0, max_value=3 << 20), st.integers(min_value=0, max_value=3))
def test_jar_is_a_real_jar_of_the_size_asked(size: int, seed: int) -> None:
    jar = OPERATIONS.artifact("small-package", "1.0", "ignored.bin", size, seed)
    data = b"".join(jar.chunks())
    assert len(data) == jar.size and jar.sha256() == hashlib.sha256(data).hexdigest()
    assert jar.size == max(size, jar.size) and (size < jar.size or jar.size == size)
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert archive.testzip() is None
    assert archive.namelist()[0] == "META-INF/MANIFEST.MF"
    pom = archive.read("META-INF/maven/com.example.harness/small-package/pom.xml")
    assert pom == jar.companions[0].data == pom_xml(coordinates("small-package", "1.0"), seed)
    assert b"version=1.0" in archive.read("META-INF/maven/com.example.harness/small-package/pom.properties")


def test_jars_depend_on_the_seed_and_support_zip64(tmp_path: Path) -> None:
    one, two = MavenJar(coordinates("a", "1.0"), 3 << 20, 1), MavenJar(coordinates("a", "1.0"), 3 << 20, 2)
    assert one.sha256() != two.sha256() and one.sha256() == MavenJar(coordinates("a", "1.0"), 3 << 20, 1).sha256()

    class ForcedZip64(MavenJar):
        @property
        def zip64(self) -> bool:
            return True

    jar = ForcedZip64(coordinates("a", "2.0-SNAPSHOT"), 5000, 3)
    path = jar.write_to(tmp_path)
    assert path.stat().st_size == 5000 == jar.size and (tmp_path / "a-2.0-20240101.000000-1.pom").is_file()
    assert zipfile.ZipFile(path).testzip() is None
    if shutil.which("jar"):
        listing = subprocess.run(["jar", "tf", str(path)], capture_output=True, text=True, check=True).stdout
        assert "harness/payload.bin" in listing


def test_push_is_what_mvn_deploy_sends() -> None:
    jar = OPERATIONS.artifact("lib", "1.0", "", 2000, 0)
    specs = OPERATIONS.push(7, "lib", "1.0", jar, status="hidden")
    base = "/api/v4/projects/7/packages/maven/com/example/harness/lib"
    assert [s.path.removeprefix(base) for s in specs] == [
        "/1.0/lib-1.0.jar", "/1.0/lib-1.0.jar.sha1", "/1.0/lib-1.0.jar.md5",
        "/1.0/lib-1.0.pom", "/1.0/lib-1.0.pom.sha1", "/1.0/lib-1.0.pom.md5",
        "/maven-metadata.xml", "/maven-metadata.xml.sha1", "/maven-metadata.xml.md5"]
    data = b"".join(jar.chunks())
    assert specs[1].body == hashlib.sha1(data).hexdigest().encode()
    assert specs[0].body_size == jar.size and all(s.method == "PUT" for s in specs)
    assert [s.endpoint.success_status for s in specs] == [200, 204, 200] * 3  # a .sha1 is verified: 204
    listing = ET.fromstring(specs[6].body)  # type: ignore[arg-type]
    assert [v.text for v in listing.iter("version")] == ["1.0"] and listing.findtext("groupId") == "com.example.harness"
    snapshot = OPERATIONS.push(7, "lib", "2.0-SNAPSHOT", OPERATIONS.artifact("lib", "2.0-SNAPSHOT", "", 0, 0))
    assert snapshot[0].path.endswith("/2.0-SNAPSHOT/lib-2.0-20240101.000000-1.jar")
    assert snapshot[6].path.endswith("/2.0-SNAPSHOT/maven-metadata.xml")
    assert OPERATIONS.pull(7, "lib", "1.0", "lib-1.0.jar").path == base + "/1.0/lib-1.0.jar"
    assert OPERATIONS.metadata(7, "lib").path == base + "/maven-metadata.xml"
    assert OPERATIONS.package_name("lib") == "com/example/harness/lib"
    assert OPERATIONS.file_name("lib", "2.0-SNAPSHOT", "x") == "lib-2.0-20240101.000000-1.jar"
    bad = OPERATIONS.pull(7, "a/b", "1.0", "f.jar").path
    assert "/a%2Fb/1.0/" in bad  # a '/' in a coordinate stays inside its segment


def _target(credential: Credential, scheme: AuthScheme) -> ClientTarget:
    return ClientTarget("http://127.0.0.1:9", 5, credential, scheme)


@pytest.mark.parametrize(("kind", "scheme", "expected"), [
    (TokenKind.PERSONAL_ACCESS_TOKEN, AuthScheme.HEADER, "<name>PRIVATE-TOKEN</name><value>t&lt;k</value>"),
    (TokenKind.PROJECT_DEPLOY_TOKEN, AuthScheme.HEADER, "<name>DEPLOY-TOKEN</name>"),
    (TokenKind.JOB_TOKEN, AuthScheme.HEADER, "<name>JOB-TOKEN</name>"),
    (TokenKind.JOB_TOKEN, AuthScheme.BASIC, "<username>gitlab-ci-token</username><password>t&lt;k</password>"),
    (TokenKind.GROUP_DEPLOY_TOKEN, AuthScheme.BASIC, "<username>harness</username><password>t&lt;k</password>"),
])
def test_settings_carry_the_token_as_the_scheme_says(kind: TokenKind, scheme: AuthScheme, expected: str) -> None:
    credential = Credential(CredentialCase(kind.value), kind, "t<k")
    document = settings_xml(_target(credential, scheme))
    assert expected in document
    ET.fromstring(document)  # well-formed
    assert "<url>http://127.0.0.1:9/api/v4/projects/5/packages/maven</url>" in document


def test_mvn_calls() -> None:
    recipe = RECIPES[0]
    anonymous = _target(ANONYMOUS, AuthScheme.NONE)
    assert "<server>" not in settings_xml(anonymous)
    push = recipe.call("push", anonymous, "lib", "1.0", "lib-1.0.jar")
    assert push.argv[:2] == ["mvn", "--batch-mode"] and "-DpomFile=lib-1.0.pom" in push.argv
    assert "-Durl=http://127.0.0.1:9/api/v4/projects/5/packages/maven" in push.argv
    pull = recipe.call("pull", anonymous, "lib", "1.0", "lib-1.0.jar")
    assert "-Dartifact=com.example.harness:lib:1.0" in pull.argv and pull.output == "pulled/lib.jar"
    assert pull.output_is_artifact
    with pytest.raises(ValueError, match="mvn does not do metadata"):
        recipe.call("metadata", anonymous, "lib", "1.0", "")
