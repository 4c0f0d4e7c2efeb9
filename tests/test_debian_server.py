"""The reference server's Debian API over HTTP, as GitLab's lib/api/debian_project_packages.rb,
lib/api/concerns/packages/debian_package_endpoints.rb and debian_distribution_endpoints.rb have it: the distribution
created first, the .deb PUT answered 201 and processed in the background (the temporary package, then the
package of the control file's name and version, or `error`), the Packages and Release indexes, InRelease signed with
the distribution's key (verified with gpgv), pool downloads, HTTP Basic as the only carrier, duplicates, the
parameters' and the size limit's refusals, and the debian_index_stale fault.

Servers come from tests/test_reference_server.py's fixtures (`start`, `registry`, `world`).
"""

import hashlib
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
import requests
import test_reference_server as base

from core.credentials import auth_headers
from core.format_types import Artifact, BytesArtifact
from core.vocabulary import AuthScheme, CredentialCase
from engine.gitlab_api import GitLabClient
from engine.reference import ReferenceServer
from formats.debian import TEMPORARY_PACKAGE_NAME, DebPackage, not_a_deb
from formats.debian.requests import create_distribution, distribution_key, download, packages_index, release, upload
from reference_server import Fault

start = base.start
registry = base.registry
world = base.world
World = base.World
PAT = CredentialCase.PERSONAL_ACCESS_TOKEN


def owner(world: World) -> dict[str, str]:
    return auth_headers(world.credential(PAT), AuthScheme.BASIC)


def distribution(world: World, codename: str = "stable", headers: dict[str, str] | None = None) -> requests.Response:
    spec = create_distribution(world.project["id"], codename)
    return requests.post(world.registry.url + spec.path, params=spec.params,
                         headers={"PRIVATE-TOKEN": world.tokens[PAT]} if headers is None else headers, timeout=30)


def push(world: World, artifact: Artifact, codename: str | None = "stable", component: str | None = "main",
         headers: dict[str, str] | None = None) -> requests.Response:
    spec = upload(world.project["id"], artifact, codename, component)
    return requests.put(world.registry.url + spec.path, params=spec.params, data=b"".join(artifact.chunks()),
                        headers={**spec.headers, **(owner(world) if headers is None else headers)}, timeout=30)


def get(world: World, path: str, headers: dict[str, str] | None = None) -> requests.Response:
    return requests.get(world.registry.url + path, headers=owner(world) if headers is None else headers, timeout=30)


def settled(world: World) -> list[dict[str, Any]]:
    for _ in range(200):
        listed = world.registry.packages(world.project["id"], package_type="debian").json()
        if all(p["status"] != "processing" for p in listed):
            return list(listed)
        time.sleep(0.05)
    raise AssertionError(f"still processing: {listed}")


def paragraphs(text: str) -> list[dict[str, str]]:
    found = []
    for block in text.strip().split("\n\n"):
        fields = {}
        for line in block.splitlines():
            if not line.startswith(" "):
                key, _, value = line.partition(": ")
                fields[key] = value
        found.append(fields)
    return found


def test_a_distribution_is_created_once_with_its_defaults(world: World) -> None:
    created = distribution(world)
    assert created.status_code == 201
    assert created.json() | {"id": 0} == {"id": 0, "codename": "stable", "suite": None, "origin": None, "label": None,
                                         "version": None, "description": None, "valid_time_duration_seconds": None,
                                         "components": ["main"], "architectures": ["all", "amd64"]}
    again = distribution(world)
    assert again.status_code == 400 and again.json() == {"message": {"codename": ["has already been taken"]}}
    # the distribution API reads PRIVATE-TOKEN, not Basic: anonymous there, and the project is private → 404
    assert distribution(world, "other", headers=owner(world)).status_code == 404
    assert distribution(world, "bad_codename!").status_code == 400


def test_a_deb_is_processed_indexed_signed_and_served(world: World) -> None:
    assert distribution(world).status_code == 201
    deb = DebPackage("hello-deb", "1:1.2.3-1", 9000, seed=3)
    response = push(world, deb)
    assert response.status_code == 201 and response.json() == {"message": "201 Created"}
    (package,) = settled(world)
    assert (package["name"], package["version"], package["status"]) == ("hello-deb", "1:1.2.3-1", "default")
    pid = world.project["id"]
    index = get(world, packages_index(pid, "stable").path)
    assert index.status_code == 200
    (entry,) = paragraphs(index.text)
    assert entry["Package"] == "hello-deb" and entry["Version"] == "1:1.2.3-1" and entry["Architecture"] == "amd64"
    assert entry["Filename"] == "pool/stable/h/hello-deb/1:1.2.3-1/hello-deb_1.2.3-1_amd64.deb"
    assert entry["SHA256"] == deb.sha256() and int(entry["Size"]) == deb.size == 9000
    assert get(world, packages_index(pid, "stable", architecture="all").path).status_code == 204  # empty: no_content
    document = get(world, release(pid, "stable").path).text
    assert "Codename: stable\n" in document and "Architectures: all amd64\n" in document
    assert f" {hashlib.sha256(index.content).hexdigest()} {len(index.content):>8} main/binary-amd64/Packages" \
        in document
    served = get(world, download(pid, "stable", "hello-deb", "1:1.2.3-1", deb.file_name).path)
    assert served.status_code == 200 and hashlib.sha256(served.content).hexdigest() == deb.sha256()
    assert get(world, download(pid, "stable", "hello-deb", "1:1.2.3-1", "other.deb").path).status_code == 404
    wrong_letter = f"/api/v4/projects/{pid}/packages/debian/pool/stable/x/hello-deb/1:1.2.3-1/{deb.file_name}"
    assert get(world, wrong_letter).status_code == 404


@pytest.mark.skipif(shutil.which("gpgv") is None, reason="needs gpgv")
def test_in_release_is_signed_with_the_distribution_key(world: World, tmp_path: Path) -> None:
    assert distribution(world).status_code == 201
    assert push(world, DebPackage("signed", "1.0", 3000)).status_code == 201
    settled(world)
    pid = world.project["id"]
    key = get(world, distribution_key(pid, "stable").path, headers={"PRIVATE-TOKEN": world.tokens[PAT]})
    assert key.status_code == 200 and key.text.startswith("-----BEGIN PGP PUBLIC KEY BLOCK-----")
    dearmored = subprocess.run(["gpg", "--dearmor"], input=key.content, capture_output=True, check=True).stdout
    (tmp_path / "key.gpg").write_bytes(dearmored)
    in_release = get(world, release(pid, "stable", signed=True).path)
    assert in_release.status_code == 200 and in_release.text.startswith("-----BEGIN PGP SIGNED MESSAGE-----")
    assert get(world, release(pid, "stable").path).text in in_release.text
    (tmp_path / "InRelease").write_bytes(in_release.content)
    verify = subprocess.run(["gpgv", "--keyring", str(tmp_path / "key.gpg"), str(tmp_path / "InRelease")],
                            capture_output=True, check=False)
    assert verify.returncode == 0, verify.stderr
    detached = get(world, f"/api/v4/projects/{pid}/packages/debian/dists/stable/Release.gpg")
    assert detached.status_code == 200 and detached.text.startswith("-----BEGIN PGP SIGNATURE-----")
    (tmp_path / "Release").write_bytes(get(world, release(pid, "stable").path).content)
    (tmp_path / "Release.gpg").write_bytes(detached.content)
    verify = subprocess.run(["gpgv", "--keyring", str(tmp_path / "key.gpg"), str(tmp_path / "Release.gpg"),
                             str(tmp_path / "Release")], capture_output=True, check=False)
    assert verify.returncode == 0, verify.stderr
    assert get(world, distribution_key(pid, "missing").path, headers={"PRIVATE-TOKEN": world.tokens[PAT]}) \
        .status_code == 404


def test_a_file_without_distribution_waits_in_incoming(world: World) -> None:
    assert distribution(world).status_code == 201
    assert push(world, DebPackage("later", "1.0", 2000), codename=None, component=None).status_code == 201
    assert world.registry.packages(world.project["id"], package_type="debian").json() == []  # versionless: hidden
    listed = world.registry.packages(world.project["id"], package_type="debian", include_versionless="true").json()
    assert [(p["name"], p["version"]) for p in listed] == [("incoming", "")]
    assert get(world, packages_index(world.project["id"], "stable").path).status_code == 204


def test_what_is_no_valid_deb_ends_in_error(world: World) -> None:
    assert distribution(world).status_code == 201
    for artifact in (not_a_deb("broken", "1.0"), DebPackage("Bad_Name", "1.0", 2000), DebPackage("ok", "x1", 2000)):
        assert push(world, artifact).status_code == 201  # GitLab answers the upload; the worker fails
    assert push(world, DebPackage("nodist", "1.0", 2000), codename="unknown").status_code == 201
    packages = settled(world)
    assert {(p["name"], p["status"]) for p in packages} == {(TEMPORARY_PACKAGE_NAME, "error")} and len(packages) == 4


def test_parameters_carriers_and_size_are_refused_as_gitlab_does(start: Any) -> None:
    world = base.make_world(start(size_limits={"debian": 8192}))
    assert distribution(world).status_code == 201
    deb = DebPackage("sized", "1.0", 4000)
    bad = push(world, deb, codename="bad_dist")
    assert bad.status_code == 400 and bad.json() == {"error": "distribution is invalid"}
    assert push(world, deb, component=None).json() == {"error": "component is missing"}
    tarball = BytesArtifact("sized_1.0.tar.gz", b"x" * 10)
    only_debs = push(world, tarball)
    assert only_debs.status_code == 400 and "Only debs, udebs and ddebs" in only_debs.json()["error"]
    header = push(world, deb, headers={"PRIVATE-TOKEN": world.tokens[PAT]})  # not read: anonymous, private → 401
    assert header.status_code == 401 and header.headers["www-authenticate"] == 'Basic realm="GitLab Packages Registry"'
    assert push(world, deb, headers=auth_headers(world.credential(CredentialCase.JOB_TOKEN), AuthScheme.BASIC)) \
        .status_code == 201
    assert push(world, DebPackage("sized", "1.1", 8192)).status_code == 201
    assert push(world, DebPackage("sized", "1.2", 8194)).status_code == 413
    assert get(world, packages_index(world.project["id"], "stable").path, headers={}).status_code == 401


def test_duplicates_are_kept_and_the_newest_is_listed_and_served(world: World) -> None:
    assert distribution(world).status_code == 201
    first, second = DebPackage("dup", "1.0", 3000, 1), DebPackage("dup", "1.0", 3000, 2)
    assert push(world, first).status_code == 201
    settled(world)
    assert push(world, second).status_code == 201
    (package,) = settled(world)
    assert len(world.registry.files(world.project["id"], package["id"])) == 2
    (entry,) = paragraphs(get(world, packages_index(world.project["id"], "stable").path).text)
    assert entry["SHA256"] == second.sha256()
    served = get(world, download(world.project["id"], "stable", "dup", "1.0", second.file_name).path)
    assert hashlib.sha256(served.content).hexdigest() == second.sha256()


def test_the_index_stale_fault_keeps_the_empty_index(start: Any) -> None:
    world = base.make_world(start(faults=frozenset({Fault.DEBIAN_INDEX_STALE})))
    assert distribution(world).status_code == 201
    assert push(world, DebPackage("late", "1.0", 2000)).status_code == 201
    assert [p["status"] for p in settled(world)] == ["default"]
    assert get(world, packages_index(world.project["id"], "stable").path).status_code == 204


def test_a_distribution_and_its_key_outlive_a_restart(tmp_path: Path) -> None:
    """GitLab keeps distributions and their keys in its database: after a restart (even SIGKILL) the same key signs."""
    with ReferenceServer(tmp_path / "data") as server:
        client = GitLabClient(server.url, server.admin_token)
        project = client.create_project("keep", client.create_group("keep", "keep")["id"])["id"]
        base = f"{server.url}/api/v4/projects/{project}"
        token = {"PRIVATE-TOKEN": server.admin_token}
        assert requests.post(f"{base}/debian_distributions", params={"codename": "stable"}, headers=token,
                             timeout=60).status_code == 201
        before = requests.get(f"{base}/debian_distributions/stable/key.asc", headers=token, timeout=60)
        assert before.status_code == 200
        assert server.process is not None
        server.process.kill()
        server.process.wait()
        server.process = None
        server.start()
        token = {"PRIVATE-TOKEN": server.admin_token}
        base = f"{server.url}/api/v4/projects/{project}"
        after = requests.get(f"{base}/debian_distributions/stable/key.asc", headers=token, timeout=60)
        assert after.status_code == 200 and after.text == before.text
        (tmp_path / "key.gpg").write_bytes(subprocess.run(["gpg", "--dearmor"], input=after.content,
                                                          capture_output=True, check=True).stdout)
        signed = requests.get(f"{base}/packages/debian/dists/stable/InRelease", auth=("harness", server.admin_token),
                              timeout=60)
        assert signed.status_code == 200, signed.text
        (tmp_path / "InRelease").write_bytes(signed.content)
        verify = subprocess.run(["gpgv", "--keyring", str(tmp_path / "key.gpg"), str(tmp_path / "InRelease")],
                                capture_output=True, check=False)
        assert verify.returncode == 0, verify.stderr
