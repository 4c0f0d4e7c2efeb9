"""The Debian format's harness side: real .deb files (dpkg-deb reads them; exact even sizes; streamed), GitLab's
name and version rules, the requests a client sends, the distribution set-up made once per project, and the apt
client's calls (the token in files, never on the command line)."""

import shutil
import subprocess
import threading
from pathlib import Path

import pytest

from core.client_recipe import ClientTarget
from core.credentials import Credential
from core.vocabulary import AuthScheme, CredentialCase, TokenKind
from formats import FORMATS, OPERATIONS
from formats.debian import (
    DEBIAN,
    RULES,
    DebPackage,
    deb_file_name,
    letter_of,
    not_a_deb,
    upstream_version,
)
from formats.debian.clients import RECIPES
from formats.debian.operations import DebianOperations
from reference_server.formats.debian.deb import DebError, control_fields

DPKG = shutil.which("dpkg-deb")


def test_the_format_is_discovered() -> None:
    assert FORMATS["debian"] is DEBIAN and OPERATIONS["debian"].package_type == "debian"
    assert RULES.plan_limit == "debian_max_file_size" and RULES.size_limit == 3 << 30
    assert RULES.processed_in_background and RULES.invalid_in_background
    assert all(e.rate_limited for e in DEBIAN.endpoints.values())  # the distribution API is set-up, not the Format's


@pytest.mark.parametrize("size", [0, 7000, 7001, 70_000, 1 << 20])
def test_a_deb_has_the_size_asked_for_and_its_control_fields(size: int, tmp_path: Path) -> None:
    deb = DebPackage("my-pkg+x", "2:1.0~rc1-3", size, seed=5)
    path = deb.write_to(tmp_path)
    assert path.name == "my-pkg+x_1.0~rc1-3_amd64.deb" and path.stat().st_size == deb.size
    if size >= 7000:
        assert deb.size == size + size % 2  # ar pads members to even lengths: odd sizes get one byte more
    fields = control_fields(path)
    assert (fields["Package"], fields["Version"], fields["Architecture"]) == ("my-pkg+x", "2:1.0~rc1-3", "amd64")
    assert b"".join(deb.chunks()) == path.read_bytes() and deb.sha256() == DebPackage("my-pkg+x", "2:1.0~rc1-3",
                                                                                      size, seed=5).sha256()


@pytest.mark.skipif(DPKG is None, reason="needs dpkg-deb")
def test_dpkg_reads_and_extracts_the_deb(tmp_path: Path) -> None:
    deb = DebPackage("hello", "1.0-1", 200_000, seed=9)
    path = deb.write_to(tmp_path / "in")
    info = subprocess.run([str(DPKG), "--field", str(path), "Package", "Version"], capture_output=True, text=True,
                          check=True)
    assert info.stdout == "Package: hello\nVersion: 1.0-1\n"
    subprocess.run([str(DPKG), "-x", str(path), str(tmp_path / "root")], check=True)
    payload = tmp_path / "root/usr/share/hello/payload.bin"
    assert payload.stat().st_size == deb.payload_size > 190_000


def test_other_contents_are_no_deb(tmp_path: Path) -> None:
    broken = not_a_deb("x", "1.0").write_to(tmp_path)
    with pytest.raises(DebError):
        control_fields(broken)
    assert OPERATIONS["debian"].invalid_artifact("x", "1.0") is not None


def test_names_versions_and_file_names_follow_gitlab() -> None:
    for name in ("ab", "lib-x", "a+b.c", "0pkg"):
        assert RULES.name_error(name) is None
    for name in ("a", "Ab", "-ab", "a_b", ".ab"):
        assert RULES.name_error(name) is not None
    for version in ("1", "1.0", "1:2.3~rc1-4", "1.2.3-1-2", "1.0+dfsg", "1.0A"):
        assert RULES.version_error(version) is None
    for version in ("v1.0", "1.0-", "a:1.0", "1234567890:1", "-1", ""):
        assert RULES.version_error(version) is not None
    assert upstream_version("1:2.0-1") == "2.0-1" and deb_file_name("p", "1:2.0") == "p_2.0_amd64.deb"
    assert letter_of("libfoo") == "libf" and letter_of("foo") == "f"


def test_requests_are_what_gitlab_documents() -> None:
    ops = OPERATIONS["debian"]
    deb = DebPackage("pkg", "1.0", 100)
    (spec,) = ops.push(7, "pkg", "1.0", deb)
    assert (spec.method, spec.path) == ("PUT", "/api/v4/projects/7/packages/debian/pkg_1.0_amd64.deb")
    assert spec.params == {"distribution": "stable", "component": "main"} and spec.body_size == deb.size
    assert ops.metadata(7, "pkg").path == "/api/v4/projects/7/packages/debian/dists/stable/main/binary-amd64/Packages"
    assert ops.pull(7, "pkg", "1.0", deb.file_name).path == \
        "/api/v4/projects/7/packages/debian/pool/stable/p/pkg/1.0/pkg_1.0_amd64.deb"
    assert ops.prepare_refusal_judged and ops.validated_in_background


def test_the_distribution_is_created_once_per_project_even_by_racing_publishes() -> None:
    ops = DebianOperations()
    deb = DebPackage("pkg", "1.0", 100)
    (create,) = ops.prepare(1, "pkg", "1.0", deb)
    assert create.path == "/api/v4/projects/1/debian_distributions"
    assert create.params == {"codename": "stable", "components": "main", "architectures": "all,amd64"}
    waited: list[list[object]] = []
    racer = threading.Thread(target=lambda: waited.append(list(ops.prepare(1, "pkg", "1.1", deb))))
    racer.start()
    ops.prepared(1, "pkg", "1.0", [{"id": 1}])
    racer.join(10)
    assert waited == [[]] and ops.prepare(1, "pkg", "2.0", deb) == [] and len(ops.prepare(2, "pkg", "1.0", deb)) == 1


def test_the_apt_client_keeps_tokens_in_files() -> None:
    (apt,) = RECIPES
    token = "glpat-secret"
    target = ClientTarget("http://127.0.0.1:8080", 5, Credential(CredentialCase.PERSONAL_ACCESS_TOKEN,
                                                                 TokenKind.PERSONAL_ACCESS_TOKEN, token, "alice"),
                          AuthScheme.BASIC)
    push = apt.call("push", target, "pkg", "1.0", "pkg_1.0_amd64.deb")
    assert token not in " ".join(push.argv) and push.argv[-1].endswith(
        "/packages/debian/pkg_1.0_amd64.deb?distribution=stable&component=main")
    assert push.files["curl.cfg"] == f'user = "alice:{token}"\n'
    pull = apt.call("pull", target, "pkg", "1.0", "pkg_1.0_amd64.deb")
    assert token not in " ".join(pull.argv) and pull.output == "pulled/pkg_1.0_amd64.deb"
    assert pull.files["auth.conf"] == (f"machine http://127.0.0.1:8080/api/v4/projects/5/packages/debian login alice "
                                       f"password {token}\n")
    assert pull.files["key-curl.cfg"] == f'header = "PRIVATE-TOKEN: {token}"\n'
    assert "signed-by=" in pull.files["apt-pull.sh"] and "apt-get" in pull.files["apt-pull.sh"]
