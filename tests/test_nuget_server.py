"""The reference server's NuGet API over HTTP, as GitLab's lib/api/nuget_project_packages.rb,
lib/api/nuget_group_packages.rb and their specs have it: the multipart publish created on the fly (name and version
from the .nuspec, the file stored lowercased), content download without case, the registration index and leaf,
the version list, search, the public service indexes, HTTP Basic (and X-NuGet-ApiKey for publishes) as the only
carriers, duplicates by the group's setting (409), symbol packages through the background worker, the group feed
(no anonymous access), the v2 feed (push, OData entries), what nuget.exe 2.8.7 on Linux sends, the
nuget_registration_first_only fault, and the curl client's pull script run against the server.

Servers come from tests/test_reference_server.py's fixtures (`start`, `registry`, `world`).
"""

import base64
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
import requests
import test_reference_server as base

from core.credentials import auth_headers
from core.format_types import Artifact, BytesArtifact, Endpoint
from core.vocabulary import AuthScheme, CredentialCase
from formats.nuget import (
    PUBLISH,
    SYMBOL_PUBLISH,
    TEMPORARY_PACKAGE_NAME,
    V2_PUBLISH,
    build_nupkg,
    build_snupkg,
    stored_zip,
)
from formats.nuget.clients import _PULL
from formats.nuget.requests import download, publish, query, registration, versions
from reference_server import Fault

start = base.start
registry = base.registry
world = base.world
Registry = base.Registry
World = base.World
PAT = CredentialCase.PERSONAL_ACCESS_TOKEN


def basic(token: str, user: str = "someone") -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{token}".encode()).decode()}


def owner(world: World) -> dict[str, str]:
    return auth_headers(world.credential(PAT), AuthScheme.BASIC)


def push(world: World, artifact: Artifact, headers: dict[str, str] | None = None, endpoint: Endpoint = PUBLISH,
         project: int | None = None) -> requests.Response:
    spec = publish(project or world.project["id"], artifact, endpoint)
    body = b"".join(spec.body)  # type: ignore[arg-type]
    return requests.put(world.registry.url + spec.path, data=body,
                        headers={**spec.headers, **(owner(world) if headers is None else headers)}, timeout=30)


def get(world: World, path: str, headers: dict[str, str] | None = None, **params: str) -> requests.Response:
    return requests.get(world.registry.url + path, headers=owner(world) if headers is None else headers,
                        params=params, timeout=30)


def nuget_packages(world: World, project: int | None = None) -> list[dict[str, Any]]:
    for _ in range(200):
        listed = world.registry.packages(project or world.project["id"], package_type="nuget").json()
        if all(p["status"] != "processing" for p in listed):
            return list(listed)
        time.sleep(0.05)
    raise AssertionError(f"still processing: {listed}")


def set_duplicates(registry: Registry, namespace_path: str, allowed: bool, regex: str = "") -> None:
    query_text = ("mutation($input: UpdateNamespacePackageSettingsInput!) { updateNamespacePackageSettings(input: "
                  "$input) { packageSettings { nugetDuplicatesAllowed nugetDuplicateExceptionRegex } errors } }")
    variables = {"input": {"namespacePath": namespace_path, "nugetDuplicatesAllowed": allowed,
                           "nugetDuplicateExceptionRegex": regex}}
    answer = registry.call("POST", "/api/graphql", registry.admin, json={"query": query_text, "variables": variables})
    assert answer.json()["data"]["updateNamespacePackageSettings"]["errors"] == [], answer.text


def test_publish_download_registration_and_versions(world: World) -> None:
    pid = world.project["id"]
    first, second = build_nupkg("My.Package", "1.0.0", 5000, 1), build_nupkg("My.Package", "1.1.0-rc.1", 6000, 2)
    for package in (first, second):
        response = push(world, package)
        assert response.status_code == 201 and response.json() == {"message": "201 Created"}
    listed = nuget_packages(world)
    assert [(p["name"], p["version"], p["status"]) for p in listed] == [
        ("My.Package", "1.0.0", "default"), ("My.Package", "1.1.0-rc.1", "default")]
    files = world.registry.files(pid, listed[1]["id"])
    assert [(f["file_name"], f["size"]) for f in files] == [("my.package.1.1.0-rc.1.nupkg", 6000)]
    pulled = get(world, download(pid, "My.Package", "1.1.0-rc.1").path)
    assert pulled.status_code == 200 and pulled.content == b"".join(second.chunks())
    as_published = get(world, f"/api/v4/projects/{pid}/packages/nuget/download/My.Package/1.0.0/"
                              "My.Package.1.0.0.nupkg")  # names and files compared without case
    assert as_published.status_code == 200 and as_published.content == b"".join(first.chunks())
    assert get(world, download(pid, "My.Package", "2.0.0").path).status_code == 404
    assert get(world, download(pid, "My.Package", "1.0.0").path.replace(".nupkg", ".xls")).status_code == 404

    document = get(world, registration(pid, "my.package").path)
    assert document.status_code == 200 and document.headers["content-type"] == "application/json"
    index = document.json()
    assert index["count"] == 1
    (page,) = index["items"]
    assert (page["lower"], page["upper"], page["count"]) == ("1.0.0", "1.1.0-rc.1", 2)
    base_url = f"{world.registry.url}/api/v4/projects/{pid}/packages/nuget"
    leaf = page["items"][1]
    assert leaf["@id"] == f"{base_url}/metadata/My.Package/1.1.0-rc.1.json"
    assert leaf["packageContent"] == f"{base_url}/download/My.Package/1.1.0-rc.1/my.package.1.1.0-rc.1.nupkg"
    assert leaf["catalogEntry"]["id"] == "My.Package" and leaf["catalogEntry"]["version"] == "1.1.0-rc.1"
    assert get(world, leaf["packageContent"].removeprefix(world.registry.url)).content == b"".join(second.chunks())
    one = get(world, leaf["@id"].removeprefix(world.registry.url))
    assert one.status_code == 200 and one.json()["catalogEntry"]["version"] == "1.1.0-rc.1"
    assert get(world, versions(pid, "My.Package").path).json() == {"versions": ["1.0.0", "1.1.0-rc.1"]}
    assert get(world, registration(pid, "Other").path).status_code == 404


def test_search_counts_names_and_pages_them(world: World) -> None:
    pid = world.project["id"]
    for name, version in (("Alpha.Core", "1.0.0"), ("Alpha.Core", "1.1.0"), ("Alpha.Web", "2.0.0-beta"),
                          ("Beta.Core", "1.0.0")):
        assert push(world, build_nupkg(name, version, 1500)).status_code == 201
    found = get(world, query(pid, "alpha").path, **query(pid, "alpha").params).json()
    assert found["totalHits"] == 2
    assert [(d["id"], d["version"], len(d["versions"])) for d in found["data"]] == [
        ("Alpha.Core", "1.1.0", 2), ("Alpha.Web", "2.0.0-beta", 1)]
    stable = get(world, query(pid, "").path, q="", prerelease="false").json()
    assert stable["totalHits"] == 2 and [d["id"] for d in stable["data"]] == ["Alpha.Core", "Beta.Core"]
    assert [d["id"] for d in get(world, query(pid, "").path, skip="1", take="1").json()["data"]] == ["Alpha.Web"]
    assert get(world, query(pid, "").path, take="0").status_code == 400


def test_service_indexes_are_public(world: World) -> None:
    pid = world.project["id"]
    index = get(world, f"/api/v4/projects/{pid}/packages/nuget/index.json", headers={})
    assert index.status_code == 200
    resources = {r["@type"]: r["@id"] for r in index.json()["resources"]}
    base_url = f"{world.registry.url}/api/v4/projects/{pid}/packages/nuget"
    assert resources["PackagePublish/2.0.0"] == base_url
    assert resources["PackageBaseAddress/3.0.0"] == f"{base_url}/download"
    assert resources["RegistrationsBaseUrl/3.0.0-rc"] == f"{base_url}/metadata"
    assert resources["SearchQueryService/3.0.0-rc"] == f"{base_url}/query"
    assert get(world, "/api/v4/projects/9999/packages/nuget/index.json", headers={}).status_code == 404
    v2 = get(world, f"/api/v4/projects/{pid}/packages/nuget/v2", headers={})
    assert v2.status_code == 200 and v2.headers["content-type"].startswith("application/xml")
    assert get(world, f"/api/v4/projects/{pid}/packages/nuget/v2/$metadata", headers={}).text.count("FindPackagesById")
    group = get(world, f"/api/v4/groups/{world.group['id']}/-/packages/nuget/index.json", headers={})
    assert group.status_code == 200 and "/groups/" in group.json()["resources"][0]["@id"]


def test_tokens_travel_in_basic_and_publishes_take_the_api_key_header(world: World) -> None:
    pid, pat = world.project["id"], world.tokens[PAT]
    package = build_nupkg("Auth.Pkg", "1.0.0", 2000)
    refused = push(world, package, headers={"PRIVATE-TOKEN": pat})  # not read: anonymous on a private project
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"] == 'Basic realm="GitLab Packages Registry"'
    assert push(world, package, headers={"Authorization": f"Bearer {pat}"}).status_code == 401
    assert push(world, package, headers={"X-NuGet-ApiKey": world.tokens[CredentialCase.JOB_TOKEN]}).status_code \
        == 201
    assert push(world, build_nupkg("Auth.Pkg", "1.0.1", 2000),
                headers=basic(world.tokens[CredentialCase.PROJECT_DEPLOY_TOKEN], "anyone")).status_code == 201
    read = download(pid, "Auth.Pkg", "1.0.0").path
    assert get(world, read, headers={"X-NuGet-ApiKey": pat}).status_code == 401  # reads take Basic only
    assert get(world, read, headers={}).status_code == 401
    assert get(world, read, headers=basic(world.tokens[CredentialCase.READ_ONLY_DEPLOY_TOKEN])).status_code == 200
    assert push(world, build_nupkg("Auth.Pkg", "2.0.0", 2000),
                headers=basic(world.tokens[CredentialCase.READ_ONLY_DEPLOY_TOKEN])).status_code == 403


def test_duplicates_follow_the_groups_setting(world: World) -> None:
    pid = world.project["id"]
    first, again = build_nupkg("Dup.Pkg", "1.0.0", 2000, 1), build_nupkg("dup.pkg", "1.0.0", 2000, 2)
    assert push(world, first).status_code == 201
    assert push(world, again).status_code == 201  # allowed by default; the name is the same without case
    (package,) = nuget_packages(world)
    assert package["name"] == "Dup.Pkg" and len(world.registry.files(pid, package["id"])) == 2
    assert get(world, download(pid, "Dup.Pkg", "1.0.0").path).content == b"".join(again.chunks())  # the newest
    set_duplicates(world.registry, world.group["full_path"], allowed=False)
    refused = push(world, build_nupkg("Dup.Pkg", "1.0.0", 2000, 3))
    assert refused.status_code == 409
    assert "A package with the same name and version already exists" in refused.json()["message"]
    assert push(world, build_nupkg("Dup.Pkg", "1.0.1", 2000)).status_code == 201  # a new version is no duplicate
    set_duplicates(world.registry, world.group["full_path"], allowed=False, regex="^Dup")
    assert push(world, build_nupkg("Dup.Pkg", "1.0.0", 2000, 4)).status_code == 201


def test_files_that_are_no_package(world: World) -> None:
    refused = push(world, BytesArtifact("x.nupkg", b"this is not a zip"))
    assert refused.status_code == 400
    bad_name = push(world, build_nupkg("bad name", "1.0.0", 2000))
    assert bad_name.status_code == 400 and "package_name is invalid" in bad_name.json()["message"]
    assert push(world, build_nupkg("ok", "01.0", 2000)).status_code == 400
    no_nuspec = stored_zip([("lib/x.dll", b"MZ")])  # `nuspec_extraction_failed`: the worker, which fails
    assert push(world, BytesArtifact("x.nupkg", no_nuspec)).status_code == 201
    assert [(p["name"], p["status"]) for p in nuget_packages(world)] == [(TEMPORARY_PACKAGE_NAME, "error")]


def test_a_symbol_package_joins_its_package_in_the_background(world: World) -> None:
    pid = world.project["id"]
    assert push(world, build_nupkg("Sym.Pkg", "1.0.0", 2000)).status_code == 201
    symbols = build_snupkg("Sym.Pkg", "1.0.0")
    assert push(world, symbols, endpoint=SYMBOL_PUBLISH).status_code == 201
    (package,) = nuget_packages(world)
    assert sorted(f["file_name"] for f in world.registry.files(pid, package["id"])) == [
        "sym.pkg.1.0.0.nupkg", "sym.pkg.1.0.0.snupkg"]
    pulled = get(world, f"/api/v4/projects/{pid}/packages/nuget/download/sym.pkg/1.0.0/sym.pkg.1.0.0.snupkg")
    assert pulled.status_code == 200 and pulled.content == symbols.data
    assert push(world, build_snupkg("No.Such", "1.0.0"), endpoint=SYMBOL_PUBLISH).status_code == 201
    assert {p["status"] for p in nuget_packages(world) if p["name"] != "Sym.Pkg"} == {"error"}


def test_the_group_feed_needs_a_login(world: World) -> None:
    assert push(world, build_nupkg("Grp.Pkg", "1.0.0", 2000)).status_code == 201
    path = f"/api/v4/groups/{world.group['id']}/-/packages/nuget/metadata/Grp.Pkg/index.json"
    found = get(world, path)
    assert found.status_code == 200 and found.json()["items"][0]["upper"] == "1.0.0"
    anonymous = get(world, path, headers={})
    assert anonymous.status_code == 401 and "www-authenticate" in anonymous.headers
    searched = get(world, f"/api/v4/groups/{world.group['id']}/-/packages/nuget/query", q="grp")
    assert searched.json()["totalHits"] == 1


def test_the_group_feed_refuses_anonymous_callers_of_a_public_group(registry: Registry) -> None:
    group = registry.create("/api/v4/groups", {"name": "PUB", "path": "pub", "visibility": "public"})
    project = registry.project(group["id"], "open", visibility="public")
    path = f"/api/v4/groups/{group['id']}/-/packages/nuget/metadata/x/index.json"
    assert registry.call("GET", path).status_code == 401  # `authenticate!` before anything
    project_path = f"/api/v4/projects/{project['id']}/packages/nuget/metadata/x/index.json"
    assert registry.call("GET", project_path).status_code == 404  # anyone reads a public project: none there


def test_the_v2_feed(world: World) -> None:
    pid = world.project["id"]
    assert push(world, build_nupkg("V2.Pkg", "1.0.0", 2000), endpoint=V2_PUBLISH).status_code == 201
    assert get(world, download(pid, "V2.Pkg", "1.0.0").path).status_code == 200
    entry = get(world, f"/api/v4/projects/{pid}/packages/nuget/v2/FindPackagesById()", headers={}, id="'V2.Pkg'")
    assert entry.status_code == 200 and "<d:Version>0.0.0-latest-version</d:Version>" in entry.text
    assert f"/api/v4/projects/{pid}/packages/nuget/v2/download/V2.Pkg/latest" in entry.text
    one = get(world, f"/api/v4/projects/{pid}/packages/nuget/v2/Packages(Id='V2.Pkg',Version='1.0.0')", headers={})
    assert "<d:Version>1.0.0</d:Version>" in one.text and "/v2/download/V2.Pkg/1.0.0" in one.text
    filtered = get(world, f"/api/v4/projects/{pid}/packages/nuget/v2/Packages()", headers={},
                   **{"$filter": "(tolower(Id) eq 'v2.pkg')"})
    assert filtered.status_code == 200 and "<title type=\"text\">v2.pkg</title>" in filtered.text
    # the entry's content URL is a route GitLab does not serve: a v2 install cannot download
    assert get(world, f"/api/v4/projects/{pid}/packages/nuget/v2/download/V2.Pkg/1.0.0").status_code == 404


def test_what_nuget_exe_2_8_on_linux_sends_is_refused(world: World) -> None:
    """nuget.exe 2.8.7 (Debian's, on Mono) PUTs `<source>/` with X-NuGet-ApiKey and closes the form with
    `Environment.NewLine + "--" + boundary + "--"`: a bare LF on Linux, no RFC 2046 delimiter."""
    data = b"".join(build_nupkg("Exe.Pkg", "1.0.0", 2000).chunks())
    boundary = "---------------------------8df50922219d15a"
    body = (f'--{boundary}\r\nContent-Disposition: form-data; name="package"; filename="package"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n").encode() + data + f"\n--{boundary}--".encode()
    headers = {"X-NuGet-ApiKey": world.tokens[PAT], "Content-Type": f"multipart/form-data; boundary={boundary}"}
    url = f"{world.registry.url}/api/v4/projects/{world.project['id']}/packages/nuget/v2/"
    assert requests.put(url, data=body, headers=headers, timeout=30).status_code == 400
    crlf = body.removesuffix(f"\n--{boundary}--".encode()) + f"\r\n--{boundary}--\r\n".encode()
    assert requests.put(url, data=crlf, headers=headers, timeout=30).status_code == 201  # the same, with CRLF


def test_registration_first_only_fault(start: Any) -> None:
    faulty = base.make_world(start(faults=frozenset({Fault.NUGET_REGISTRATION_FIRST_ONLY})))
    for version in ("1.0.0", "1.1.0"):
        assert push(faulty, build_nupkg("Fault.Pkg", version, 2000)).status_code == 201
    page = get(faulty, registration(faulty.project["id"], "Fault.Pkg").path).json()["items"][0]
    assert [leaf["catalogEntry"]["version"] for leaf in page["items"]] == ["1.0.0"]


@pytest.mark.skipif(shutil.which("curl") is None or shutil.which("sed") is None, reason="no curl or sed")
def test_the_clients_pull_script_against_the_server(world: World, tmp_path: Path) -> None:
    """nuget-pull.sh (a v3 install over HTTP: registration, then packageContent) on the host."""
    for seed, version in ((1, "1.0.0"), (2, "1.1.0")):
        assert push(world, build_nupkg("Script.Pkg", version, 5000, seed)).status_code == 201
    (tmp_path / "nuget-pull.sh").write_text(_PULL)
    (tmp_path / "curl.cfg").write_text(f'user = "someone:{world.tokens[PAT]}"\n')
    index = world.registry.url + registration(world.project["id"], "Script.Pkg").path
    out = subprocess.run(["sh", "nuget-pull.sh", index, "1.0.0", "pulled/p.nupkg"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "pulled/p.nupkg").read_bytes() == b"".join(build_nupkg("Script.Pkg", "1.0.0", 5000, 1)
                                                                   .chunks())
    missing = subprocess.run(["sh", "nuget-pull.sh", index, "9.0.0", "pulled/x.nupkg"], cwd=tmp_path,
                             capture_output=True, text=True, timeout=60)
    assert missing.returncode != 0 and "not in" in missing.stderr


def test_nuget_delete_removes_the_version(world: World) -> None:
    """`nuget delete <id> <version>`: `DELETE nuget/*package_name/*package_version`, 204, the version gone."""
    pid = world.project["id"]
    for version in ("1.0.0", "2.0.0"):
        assert push(world, build_nupkg("Del.Pkg", version, 1500)).status_code == 201
    path = f"/api/v4/projects/{pid}/packages/nuget/Del.Pkg/1.0.0"
    assert requests.delete(world.registry.url + path, timeout=30).status_code == 401
    api_key = {"X-NuGet-ApiKey": world.tokens[PAT]}  # the publish and delete routes' second carrier
    assert requests.delete(world.registry.url + path, headers=api_key, timeout=30).status_code == 204
    assert [p["version"] for p in nuget_packages(world)] == ["2.0.0"]
    assert requests.delete(world.registry.url + path, headers=owner(world), timeout=30).status_code == 404
