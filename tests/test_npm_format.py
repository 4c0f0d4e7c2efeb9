"""The npm format: its rules against independent readings of npm's and SemVer's rules, real tarballs of about the
asked size, a publish document npm would send, and client recipes that keep the token in `.npmrc`."""

import base64
import hashlib
import io
import json
import re
import tarfile

from hypothesis import given, settings
from hypothesis import strategies as st

from core.client_recipe import ClientTarget
from core.credentials import ANONYMOUS, Credential
from core.vocabulary import AuthScheme, CredentialCase, TokenKind
from formats import FORMATS, OPERATIONS, npm
from formats.npm import RULES
from formats.npm.clients import RECIPES

TOKEN = "glpat-secret-token-value"
PAT = Credential(CredentialCase.PERSONAL_ACCESS_TOKEN, TokenKind.PERSONAL_ACCESS_TOKEN, TOKEN)


def semver_by_hand(version: str) -> bool:
    """SemVer 2.0.0, section by section (not a regex)."""
    core, plus, build = version.partition("+")
    if plus and not all(re.fullmatch(r"[0-9A-Za-z-]+", part) for part in build.split(".")):
        return False
    core, dash, prerelease = core.partition("-")
    numbers = core.split(".")
    if len(numbers) != 3 or not all(n.isascii() and n.isdigit() and (n == "0" or n[0] != "0") for n in numbers):
        return False
    if not dash:
        return True
    for part in prerelease.split("."):
        if not re.fullmatch(r"[0-9A-Za-z-]+", part) or (part.isdigit() and len(part) > 1 and part[0] == "0"):
            return False
    return True


def npm_name_by_hand(name: str) -> bool:
    """validate-npm-package-name's rules for new packages, within GitLab's (a scope is a group path)."""
    if not 0 < len(name) <= 214 or name in ("node_modules", "favicon.ico") or name[0] in "._":
        return False
    allowed = set("abcdefghijklmnopqrstuvwxyz0123456789-._")
    if name.startswith("@"):
        scope, slash, package = name[1:].partition("/")
        return (bool(slash and scope and package) and set(scope) <= allowed and set(package) <= allowed
                and scope[0] not in ".-" and not scope.endswith(".") and package[0] != ".")
    return set(name) <= allowed


name_text = st.text(alphabet="ab9-._@/A~+ !", min_size=0, max_size=12)
version_text = st.text(alphabet="0123-.+aZ", min_size=0, max_size=14)


@settings(max_examples=500, deadline=None)
@given(version_text)
def test_version_rule_is_semver(version: str) -> None:
    assert (RULES.version_error(version) is None) == semver_by_hand(version)


@settings(max_examples=500, deadline=None)
@given(name_text)
def test_name_rule_is_npms_within_gitlabs(name: str) -> None:
    assert (RULES.name_error(name) is None) == npm_name_by_hand(name)


def test_rule_facts() -> None:
    assert FORMATS["npm"] is npm.NPM and OPERATIONS["npm"].package_type == "npm"
    assert RULES.size_limit == 500 << 20
    assert RULES.duplicates.allowed_by_default is False and RULES.duplicates.switchable is False
    assert RULES.duplicates.refused_status == 403 and RULES.duplicates.refused_message == "Package already exists."
    assert RULES.name_error("@grp/pkg") is None and RULES.name_error("x" * 215) is not None
    assert "package_name is invalid" in (RULES.name_error("Upper") or "")
    assert OPERATIONS["npm"].size_checked_before_body() is False
    # GitLab's npm routes read job and deploy tokens, never an access token over Basic, and send no challenge.
    assert all(e.auth.deploy_token and e.auth.job_token == {AuthScheme.BEARER, AuthScheme.HEADER}
               and not e.auth.basic_pat and not e.auth.challenge for e in npm.NPM_ENDPOINTS)
    custom = {e.name for e in npm.NPM.custom_endpoints()}
    assert custom == {"instance_packument", "instance_dist_tags", "instance_dist_tag_add", "instance_dist_tag_remove"}


def test_versions_sort_by_semver_precedence() -> None:
    ordered = ["1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11",
               "1.0.0-rc.1", "1.0.0", "1.2.0", "1.10.0", "2.0.0"]
    assert sorted(reversed(ordered), key=npm.version_key) == ordered
    assert npm.same_version("v1.0.0", "1.0.0+build") and not npm.same_version("1.0.0", "1.0.1")


def read_tarball(data: bytes) -> tuple[dict[str, object], list[str]]:
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        extracted = tar.extractfile("package/package.json")
        assert extracted is not None
        return json.loads(extracted.read()), tar.getnames()


@settings(max_examples=40, deadline=None)
@given(st.integers(min_value=0, max_value=2 << 20), st.integers(min_value=0, max_value=3))
def test_artifact_is_a_valid_tarball_of_about_the_size(size: int, seed: int) -> None:
    artifact = npm.OPERATIONS.artifact("@grp/pkg", "1.2.3-beta.1", "ignored.bin", size, seed)
    assert artifact.file_name == "pkg-1.2.3-beta.1.tgz"
    manifest, names = read_tarball(artifact.data)
    assert manifest["name"] == "@grp/pkg" and manifest["version"] == "1.2.3-beta.1"
    assert names == ["package/package.json", npm.PAYLOAD]
    minimum = len(npm.tarball("@grp/pkg", "1.2.3-beta.1", 0, seed))
    assert abs(artifact.size - max(size, minimum)) <= 1024
    assert artifact.data == npm.tarball("@grp/pkg", "1.2.3-beta.1", size, seed)  # the seed decides the content


def test_a_large_artifact_is_quick_and_exact_enough() -> None:
    artifact = npm.OPERATIONS.artifact("big", "1.0.0", "", 64 << 20, 5)
    assert abs(artifact.size - (64 << 20)) <= (64 << 20) // 10_000
    assert read_tarball(artifact.data)[0]["name"] == "big"


def test_publish_request_is_the_document_npm_sends() -> None:
    artifact = npm.OPERATIONS.artifact("@grp/pkg", "1.0.0", "", 10_000, 1)
    [spec] = OPERATIONS["npm"].push(7, "@grp/pkg", "1.0.0", artifact)
    assert spec.method == "PUT" and spec.path == "/api/v4/projects/7/packages/npm/@grp%2Fpkg"
    assert spec.body is not None and not isinstance(spec.body, bytes)
    body = b"".join(spec.body)
    assert len(body) == spec.body_size
    document = json.loads(body)
    assert document["name"] == "@grp/pkg" and document["dist-tags"] == {"latest": "1.0.0"}
    manifest = document["versions"]["1.0.0"]
    assert manifest["name"] == "@grp/pkg" and manifest["_id"] == "@grp/pkg@1.0.0"
    assert manifest["dist"]["shasum"] == hashlib.sha1(artifact.data).hexdigest()
    sha512 = base64.b64encode(hashlib.sha512(artifact.data).digest()).decode()
    assert manifest["dist"]["integrity"] == f"sha512-{sha512}"
    assert manifest["dist"]["tarball"].endswith("/projects/7/packages/npm/@grp/pkg/-/@grp/pkg-1.0.0.tgz")
    attachment = document["_attachments"]["@grp/pkg-1.0.0.tgz"]
    assert base64.b64decode(attachment["data"]) == artifact.data and attachment["length"] == artifact.size


def test_request_paths() -> None:
    ops = OPERATIONS["npm"]
    assert ops.pull(7, "@grp/pkg", "1.0.0", "pkg-1.0.0.tgz").path == \
        "/api/v4/projects/7/packages/npm/@grp/pkg/-/@grp/pkg-1.0.0.tgz"
    metadata = ops.metadata("grp/proj", "@grp/pkg")
    assert metadata is not None and metadata.path == "/api/v4/projects/grp%2Fproj/packages/npm/@grp%2Fpkg"
    assert npm.dist_tags(7, "pkg").path == "/api/v4/projects/7/packages/npm/-/package/pkg/dist-tags"
    tag = npm.add_dist_tag(7, "@grp/pkg", "beta", "1.0.0")
    assert tag.path.endswith("/-/package/@grp%2Fpkg/dist-tags/beta") and tag.body == b'"1.0.0"'
    assert npm.instance_packument("@grp/pkg").path == "/api/v4/packages/npm/@grp%2Fpkg"
    assert npm.pack_file_name("@grp/pkg", "1.0.0") == "grp-pkg-1.0.0.tgz"


def target(credential: Credential = PAT, top_group: str | None = "grp") -> ClientTarget:
    scheme = AuthScheme.NONE if credential.token is None else AuthScheme.BEARER
    return ClientTarget("http://127.0.0.1:9999", 7, credential, scheme, top_group_path=top_group)


def test_recipes_keep_the_token_in_npmrc_only() -> None:
    for recipe in RECIPES:
        assert recipe.schemes == (AuthScheme.BEARER,) and recipe.image == "node"
        for op in sorted(recipe.operations):
            call = recipe.call(op, target(), "@grp/pkg", "1.0.0", "pkg-1.0.0.tgz")
            assert TOKEN not in " ".join(call.argv) and TOKEN not in json.dumps(call.env)
            assert f"//127.0.0.1:9999/api/v4/projects/7/packages/npm/:_authToken={TOKEN}" in call.files[".npmrc"]
            assert "update-notifier=false" in call.files[".npmrc"]
            anonymous = recipe.call(op, target(ANONYMOUS), "@grp/pkg", "1.0.0", "pkg-1.0.0.tgz")
            assert "_authToken" not in anonymous.files[".npmrc"]


def test_recipes_publish_at_the_project_level_and_read_by_convention_at_the_instance_level() -> None:
    npm_recipe = {r.name: r for r in RECIPES}["npm"]
    push = npm_recipe.call("push", target(), "@grp/pkg", "1.0.0", "pkg-1.0.0.tgz")
    assert "registry=http://127.0.0.1:9999/api/v4/projects/7/packages/npm/" in push.files[".npmrc"]
    assert push.argv[:3] == ["npm", "publish", "pkg-1.0.0.tgz"]
    pull = npm_recipe.call("pull", target(), "@grp/pkg", "1.0.0", "pkg-1.0.0.tgz")
    assert "registry=http://127.0.0.1:9999/api/v4/packages/npm/" in pull.files[".npmrc"]
    assert f"//127.0.0.1:9999/api/v4/packages/npm/:_authToken={TOKEN}" in pull.files[".npmrc"]
    assert pull.output == "grp-pkg-1.0.0.tgz" and pull.output_is_artifact
    other_scope = npm_recipe.call("pull", target(), "@other/pkg", "1.0.0", "")
    assert "registry=http://127.0.0.1:9999/api/v4/projects/7/packages/npm/" in other_scope.files[".npmrc"]
    pnpm_pull = {r.name: r for r in RECIPES}["pnpm"].call("pull", target(), "@grp/pkg", "1.0.0", "")
    assert pnpm_pull.output == "node_modules/@grp/pkg/package.json" and not pnpm_pull.output_is_artifact
