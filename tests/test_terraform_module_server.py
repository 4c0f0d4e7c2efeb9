"""The reference server's Terraform module registry over HTTP, as GitLab's lib/api/terraform/modules/v1/*.rb and
their specs have it: discovery, the upload (token headers only, semver, duplicates in the project and across the
top-level namespace, 422 names, the size limit), the project-level download (Basic; `terraform-get=1`), the
namespace-level versions, download location and archive (Bearer, the public namespace's fallback), the
terraform_versions_newest_only fault, and the clients' scripts run against the server.

Servers come from tests/test_reference_server.py's fixtures (`start`, `registry`, `world`).
"""

import base64
import io
import shutil
import subprocess
import tarfile
from pathlib import Path
from typing import Any

import pytest
import requests
import test_reference_server as base

from core.vocabulary import CredentialCase
from formats.terraform_module import SYSTEM, build_module
from formats.terraform_module.clients import _GET, _REGISTRY
from formats.terraform_module.requests import download, namespace_download, upload, versions
from reference_server import Fault

start = base.start
registry = base.registry
world = base.world
World = base.World
PAT = CredentialCase.PERSONAL_ACCESS_TOKEN


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def basic(token: str, user: str = "someone") -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{token}".encode()).decode()}


def push(world: World, name: str, version: str, size: int = 6000, seed: int = 0,
         headers: dict[str, str] | None = None, project: int | None = None) -> requests.Response:
    artifact = build_module(name, version, size, seed)
    spec = upload(project or world.project["id"], name, version, artifact)
    return requests.put(world.registry.url + spec.path, data=b"".join(artifact.chunks()),
                        headers={**spec.headers, **(world.headers(PAT) if headers is None else headers)}, timeout=30)


def get(world: World, path: str, headers: dict[str, str] | None = None, **params: str) -> requests.Response:
    return requests.get(world.registry.url + path, headers=headers or {}, params=params, timeout=30,
                        allow_redirects=False)


def versions_of(world: World, name: str, headers: dict[str, str] | None = None,
                namespace: str = "grp") -> requests.Response:
    return get(world, versions(namespace, name).path, bearer(world.tokens[PAT]) if headers is None else headers)


def listed(response: requests.Response) -> list[str]:
    body: dict[str, Any] = response.json()
    return [v["version"] for v in body["modules"][0]["versions"]]


def test_discovery_names_the_modules_api(world: World) -> None:
    response = get(world, "/.well-known/terraform.json")
    assert response.status_code == 200 and response.json() == {"modules.v1": "/api/v4/packages/terraform/modules/v1/"}


def test_upload_then_project_download_serves_the_archive(world: World) -> None:
    assert push(world, "vpc", "1.0.0", seed=3).status_code == 201
    served = get(world, download(world.project["id"], "vpc", "1.0.0").path, basic(world.tokens[PAT]))
    assert served.status_code == 200
    assert served.content == b"".join(build_module("vpc", "1.0.0", 6000, 3).chunks())
    names = tarfile.open(fileobj=io.BytesIO(served.content), mode="r:gz").getnames()
    assert names[:3] == ["main.tf", "variables.tf", "README.md"]
    package = world.registry.packages(world.project["id"]).json()[0]
    assert (package["name"], package["version"], package["package_type"], package["status"]) == (
        f"vpc/{SYSTEM}", "1.0.0", "terraform_module", "default")


def test_upload_reads_only_the_token_headers(world: World) -> None:
    """project_packages.rb `namespace :file`: DEPLOY-TOKEN, JOB-TOKEN, PRIVATE-TOKEN; Basic leaves it anonymous."""
    refused = push(world, "vpc", "1.0.0", headers=basic(world.tokens[PAT]))
    assert refused.status_code == 401 and refused.headers["www-authenticate"].startswith("Basic")
    job = world.headers(CredentialCase.JOB_TOKEN)
    assert push(world, "vpc", "1.0.0", headers=job).status_code == 201


def test_project_download_reads_only_basic(world: World) -> None:
    assert push(world, "vpc", "1.0.0").status_code == 201
    path = download(world.project["id"], "vpc", "1.0.0").path
    assert get(world, path, world.headers(PAT)).status_code == 401
    assert get(world, path, basic(world.tokens[CredentialCase.PROJECT_DEPLOY_TOKEN])).status_code == 200


def test_terraform_get_answers_where_the_archive_is(world: World) -> None:
    assert push(world, "vpc", "1.0.0").status_code == 201
    path = download(world.project["id"], "vpc", "1.0.0").path
    answer = get(world, path, basic(world.tokens[PAT]), **{"terraform-get": "1"})
    assert answer.status_code == 204
    assert answer.headers["x-terraform-get"] == world.registry.url + path + "?archive=tgz"


def test_a_version_must_be_semver(world: World) -> None:
    for version in ("v1.0.0", "1.0", "01.0.0"):
        response = push(world, "vpc", version)
        assert response.status_code == 400 and "module_version is invalid" in response.text


def test_a_name_the_model_refuses_is_422(world: World) -> None:
    response = push(world, "VPC", "1.0.0")
    assert response.status_code == 422 and "Name is invalid" in response.text


def test_the_same_version_in_the_project_is_refused(world: World) -> None:
    assert push(world, "vpc", "1.0.0").status_code == 201
    again = push(world, "vpc", "1.0.0", seed=1)
    assert again.status_code == 403 and "same name & version already exists in the project" in again.text
    assert push(world, "vpc", "1.1.0").status_code == 201


def test_the_name_is_the_top_level_namespaces(world: World) -> None:
    """current_package_exists_elsewhere?: another project under the same top-level group, even in a subgroup."""
    assert push(world, "vpc", "1.0.0").status_code == 201
    for other in (world.sub_project["id"], world.other_project["id"]):
        refused = push(world, "vpc", "2.0.0", project=other)
        assert refused.status_code == 403 and "already exists in the namespace" in refused.text
    assert push(world, "subnet", "1.0.0", project=world.sub_project["id"]).status_code == 201


def test_over_the_size_limit_is_refused_before_the_body(start: Any, tmp_path: Path) -> None:
    registry = start(size_limits={"terraform_module": 10_000})
    w = base.make_world(registry)
    assert push(w, "vpc", "1.0.0", size=9000).status_code == 201
    assert push(w, "vpc", "1.1.0", size=10_001).status_code == 413


def test_namespace_versions_list_every_version_with_bearer(world: World) -> None:
    for seed, version in enumerate(("1.0.0", "1.10.0", "1.2.0")):
        assert push(world, "vpc", version, seed=seed).status_code == 201
    assert push(world, "vpc", "1.0.0", project=world.sub_project["id"]).status_code == 403
    response = versions_of(world, "vpc")
    assert response.status_code == 200 and listed(response) == ["1.0.0", "1.10.0", "1.2.0"]
    # the namespace routes read Bearer only: PRIVATE-TOKEN is anonymous, on a private group 401
    assert versions_of(world, "vpc", world.headers(PAT)).status_code == 401
    assert versions_of(world, "vpc", bearer(world.tokens[CredentialCase.OTHER_PROJECT_TOKEN])).status_code == 403
    assert versions_of(world, "vpc", bearer(world.tokens[CredentialCase.REVOKED_TOKEN])).status_code == 401


def test_a_public_namespace_answers_callers_that_cannot_read_with_no_versions(world: World) -> None:
    """namespace_packages_spec.rb: a public group, a caller who is no member: 200, 'returns no packages'."""
    registry = world.registry
    group = registry.create("/api/v4/groups", {"name": "PUB", "path": "pub", "visibility": "public"})
    project = registry.project(group["id"], "priv")
    assert push(world, "vpc", "1.0.0", project=project["id"]).status_code == 201
    assert listed(versions_of(world, "vpc", namespace="pub")) == ["1.0.0"]
    anonymous = versions_of(world, "vpc", {}, namespace="pub")
    assert anonymous.status_code == 200 and listed(anonymous) == []
    path = namespace_download("pub", "vpc", "1.0.0").path
    assert get(world, path, {}).status_code == 404


def test_namespace_download_points_at_the_archive_with_a_token(world: World) -> None:
    assert push(world, "vpc", "1.0.0", seed=5).status_code == 201
    answer = get(world, namespace_download("grp", "vpc", "1.0.0").path, bearer(world.tokens[PAT]))
    assert answer.status_code == 204
    where = answer.headers["x-terraform-get"]
    assert where.startswith("/api/v4/packages/terraform/modules/v1/grp/vpc/local/1.0.0/file?token=")
    assert where.endswith("&archive=tgz")
    archive = get(world, where)  # the token in the URL is the credential
    assert archive.status_code == 200 and archive.content == b"".join(build_module("vpc", "1.0.0", 6000, 5).chunks())
    assert get(world, where.replace("token=", "token=x")).status_code == 401
    assert get(world, namespace_download("grp", "vpc", "9.0.0").path, bearer(world.tokens[PAT])).status_code == 404


def test_the_versions_newest_only_fault(start: Any) -> None:
    w = base.make_world(start(faults=frozenset({Fault.TERRAFORM_VERSIONS_NEWEST_ONLY})))
    for version in ("1.0.0", "1.10.0", "1.9.0"):
        assert push(w, "vpc", version).status_code == 201
    assert listed(versions_of(w, "vpc")) == ["1.10.0"]


@pytest.mark.skipif(shutil.which("curl") is None or shutil.which("tar") is None, reason="no curl or tar")
def test_the_clients_scripts_against_the_server(world: World, tmp_path: Path) -> None:
    """terraform-get.sh (go-getter's HTTP getter) and terraform-registry.sh (terraform init's registry walk)."""
    for seed, version in ((1, "1.0.0"), (2, "1.1.0")):
        assert push(world, "vpc", version, seed=seed).status_code == 201
    (tmp_path / "terraform-get.sh").write_text(_GET)
    (tmp_path / "terraform-registry.sh").write_text(_REGISTRY)
    (tmp_path / "curl.cfg").write_text(f'user = "someone:{world.tokens[PAT]}"\n')
    source = world.registry.url + download(world.project["id"], "vpc", "1.1.0").path
    got = subprocess.run(["sh", "terraform-get.sh", source, "pulled/vpc.tgz"], cwd=tmp_path, capture_output=True,
                         text=True, timeout=60)
    assert got.returncode == 0, got.stderr
    assert (tmp_path / "pulled/vpc.tgz").read_bytes() == b"".join(build_module("vpc", "1.1.0", 6000, 2).chunks())
    (tmp_path / "curl.cfg").write_text(f'header = "Authorization: Bearer {world.tokens[PAT]}"\n')
    walk = subprocess.run(["sh", "terraform-registry.sh", world.registry.url, "grp", "vpc", SYSTEM, "1.0.0"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert walk.returncode == 0, walk.stderr
    assert "versions of grp/vpc/local: 1.0.0 1.1.0" in walk.stdout and "installed grp/vpc/local 1.0.0" in walk.stdout
    missing = subprocess.run(["sh", "terraform-registry.sh", world.registry.url, "grp", "vpc", SYSTEM, "9.0.0"],
                             cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert missing.returncode != 0 and "no version 9.0.0" in missing.stderr
