"""The Terraform module format's harness side: module archives are real gzip'd tars of the size asked for, streamed;
requests are what curl and Terraform send; the rules are GitLab's regexes, duplicates and limit; the auth settings
are GitLab's `authenticate_with` per route; the expected answers follow the namespace fallback; the clients' calls
carry the token where each route reads it."""

import gzip
import hashlib
import io
import re
import tarfile

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core import project_urls
from core.client_recipe import ClientTarget
from core.credentials import Credential
from core.permissions import expected_for
from core.project_setup import ProjectSetup, Visibility
from core.route_auth import carrier_for
from core.vocabulary import AuthScheme, CredentialCase, Operation, TokenKind
from engine.matrix import _schemes_of
from formats import FORMATS, OPERATIONS
from formats.terraform_module import (
    DOWNLOAD,
    FORMAT,
    PACKAGE_NAME_REGEX,
    RULES,
    UPLOAD,
    VERSION_REGEX,
    VERSIONS,
    build_module,
    namespace_of,
)
from formats.terraform_module.clients import RECIPES

# Gitlab::Regex.semver_regex and terraform_module_package_name_regex (lib/gitlab/regex.rb), as Ruby writes them.
GITLAB_NAME = re.compile(r"\A[-a-z0-9]+\/[-a-z0-9]+\Z")
PAT = Credential(CredentialCase.PERSONAL_ACCESS_TOKEN, TokenKind.PERSONAL_ACCESS_TOKEN, "glpat-secret", "alice")


def members(data: bytes) -> dict[str, bytes]:
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        return {m.name: archive.extractfile(m).read() for m in archive if m.isfile()}  # type: ignore[union-attr]


@pytest.mark.parametrize("size", [5000, 65535 + 3, 3 * 65535, 1 << 20, (5 << 20) + 17])
def test_a_module_is_a_real_archive_of_exactly_the_size_asked(size: int) -> None:
    module = build_module("vpc", "1.2.3", size, seed=4)
    data = b"".join(module.chunks())
    assert module.size == size == len(data) and module.file_name == "vpc-local-1.2.3.tgz"
    assert module.sha256() == hashlib.sha256(data).hexdigest()
    files = members(data)
    assert list(files) == ["main.tf", "variables.tf", "README.md", "files/payload.bin"]
    assert b'resource "local_file" "greeting"' in files["main.tf"] and b'variable "greeting"' in files["variables.tf"]
    assert b"version 1.2.3" in files["README.md"]
    assert len(gzip.decompress(data)) % 512 == 0


def test_modules_differ_by_seed_are_deterministic_and_small_sizes_give_the_smallest() -> None:
    one = b"".join(build_module("m", "1.0.0", 9000, 1).chunks())
    assert one == b"".join(build_module("m", "1.0.0", 9000, 1).chunks())
    assert one != b"".join(build_module("m", "1.0.0", 9000, 2).chunks())
    small = build_module("m", "1.0.0", 10)
    assert small.size > 10 and members(b"".join(small.chunks()))["files/payload.bin"] == b""


def test_a_large_module_streams_without_being_built_in_memory() -> None:
    module = build_module("big", "1.0.0", (1 << 30) + 1)  # the over-limit push: 1 GiB + 1
    assert module.size == (1 << 30) + 1
    first = next(iter(module.chunks()))
    assert first.startswith(b"\x1f\x8b\x08\x10") and len(first) < (1 << 20)


@settings(max_examples=200, deadline=None)
@given(st.from_regex(VERSION_REGEX, fullmatch=True))
def test_versions_are_gitlabs_semver(version: str) -> None:
    assert not version.startswith("v")
    assert RULES.version_error(version) is None


def test_the_rules_are_gitlabs() -> None:
    for good in ("1.0.0", "0.1.2-rc.1+build.5", "10.20.30"):
        assert VERSION_REGEX.fullmatch(good)
    for bad in ("v1.0.0", "1.0", "01.0.0", "1.0.0-"):
        assert not VERSION_REGEX.fullmatch(bad)
    for name in ("vpc/local", "my-module/aws"):
        assert PACKAGE_NAME_REGEX.fullmatch(name) and GITLAB_NAME.match(name)
    for name in ("VPC/local", "vpc", "a/b/c", "v.p/aws"):
        assert not PACKAGE_NAME_REGEX.fullmatch(name) and not GITLAB_NAME.match(name)
    assert RULES.size_limit == 1 << 30 and RULES.plan_limit == "terraform_module_max_file_size"
    assert (RULES.duplicates.allowed_by_default, RULES.duplicates.switchable, RULES.duplicates.refused_status) == (
        False, False, 403)
    assert RULES.names_instance_wide and not RULES.processed_in_background


def test_each_route_reads_its_own_carriers() -> None:
    """Uploads: the token headers; project downloads: Basic; the registry protocol: Bearer."""
    assert UPLOAD.auth.schemes == {AuthScheme.HEADER}
    assert DOWNLOAD.auth.schemes == {AuthScheme.BASIC}
    assert VERSIONS.auth.schemes == {AuthScheme.BEARER}
    assert _schemes_of(FORMAT) == [AuthScheme.HEADER, AuthScheme.BASIC]
    assert carrier_for(DOWNLOAD.auth, AuthScheme.HEADER) is AuthScheme.BASIC
    assert carrier_for(VERSIONS.auth, AuthScheme.HEADER) is AuthScheme.BEARER
    assert FORMATS[FORMAT].custom_endpoints() == [UPLOAD, DOWNLOAD]


def test_a_public_namespace_answers_a_caller_who_cannot_read_with_no_versions() -> None:
    """namespace_packages_spec.rb 'with valid namespace': a public group, anonymous: 200 without the packages; a
    private group: anonymous 401, a signed-in non-member 403."""
    private = ProjectSetup(visibility=Visibility.PRIVATE)
    anonymous = expected_for(CredentialCase.ANONYMOUS, Operation.METADATA, VERSIONS.auth, AuthScheme.NONE,
                             project=private, namespace_public=True)
    assert (anonymous.permitted, anonymous.status) == (False, 200)
    anonymous = expected_for(CredentialCase.ANONYMOUS, Operation.METADATA, VERSIONS.auth, AuthScheme.NONE,
                             project=private)
    assert (anonymous.permitted, anonymous.status) == (False, 401)
    other = expected_for(CredentialCase.OTHER_PROJECT_TOKEN, Operation.METADATA, VERSIONS.auth, AuthScheme.BEARER,
                         project=private)
    assert (other.permitted, other.status) == (False, 403)
    member = expected_for(CredentialCase.PERSONAL_ACCESS_TOKEN, Operation.METADATA, VERSIONS.auth,
                          AuthScheme.BEARER, project=private, namespace_public=True)
    assert member.permitted
    revoked = expected_for(CredentialCase.REVOKED_TOKEN, Operation.METADATA, VERSIONS.auth, AuthScheme.BEARER,
                           project=private, namespace_public=True)
    assert (revoked.permitted, revoked.status) == (False, 401)


def test_requests_are_what_curl_and_terraform_send() -> None:
    ops = OPERATIONS[FORMAT]
    project_urls.remember(77, "http://gitlab.example.com/harness-run/c1-case/proj")
    module = build_module("vpc", "1.0.0", 6000)
    (put,) = ops.push(77, "vpc", "1.0.0", module)
    assert (put.method, put.path, put.body_size) == (
        "PUT", "/api/v4/projects/77/packages/terraform/modules/vpc/local/1.0.0/file", 6000)
    pull = ops.pull(77, "vpc", "1.0.0", module.file_name)
    assert (pull.method, pull.path) == ("GET", "/api/v4/projects/77/packages/terraform/modules/vpc/local/1.0.0")
    meta = ops.metadata(77, "vpc")
    assert meta is not None and meta.path == "/api/v4/packages/terraform/modules/v1/harness-run/vpc/local/versions"
    assert namespace_of(77) == "harness-run" and ops.package_name("vpc") == "vpc/local"
    assert ops.file_name("vpc", "1.0.0", "anything.bin") == "vpc-local-1.0.0.tgz"


def test_the_clients_carry_the_token_where_the_routes_read_it() -> None:
    curl, registry = RECIPES
    target = ClientTarget("http://127.0.0.1:9", 5, PAT, AuthScheme.HEADER, top_group_path="top")
    push = curl.call("push", target, "vpc", "1.0.0", "vpc-local-1.0.0.tgz")
    assert push.argv[-3:] == ["--upload-file", "vpc-local-1.0.0.tgz",
                              "http://127.0.0.1:9/api/v4/projects/5/packages/terraform/modules/vpc/local/1.0.0/file"]
    assert push.files["curl.cfg"] == 'header = "PRIVATE-TOKEN: glpat-secret"\n'
    assert "glpat-secret" not in " ".join(push.argv)
    basic = ClientTarget("http://127.0.0.1:9", 5, PAT, AuthScheme.BASIC)
    pull = curl.call("pull", basic, "vpc", "1.0.0", "vpc-local-1.0.0.tgz")
    assert pull.files["curl.cfg"] == 'user = "alice:glpat-secret"\n' and pull.output == "pulled/vpc-local-1.0.0.tgz"
    assert "terraform-get=1" in pull.files["terraform-get.sh"]
    bearer = ClientTarget("http://127.0.0.1:9", 5, PAT, AuthScheme.BEARER, top_group_path="top")
    walk = registry.call("metadata", bearer, "vpc", "1.0.0", "")
    assert walk.argv[2:] == ["http://127.0.0.1:9", "top", "vpc", "local", "1.0.0"]
    assert walk.files["curl.cfg"] == 'header = "Authorization: Bearer glpat-secret"\n'
    script = walk.files["terraform-registry.sh"]
    assert script.index(".well-known/terraform.json") < script.index("/versions") < script.index("/download")
    assert registry.schemes == (AuthScheme.BEARER,) and registry.operations == {"metadata"}
