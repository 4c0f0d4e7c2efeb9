"""The Helm format's harness side: chart archives are real charts of the size asked for, requests are what curl
sends as GitLab's guide shows it, the rules are GitLab's regexes, the auth settings are GitLab's `authenticate_with`
(HTTP Basic only), and the curl client's pull reads index.yaml as helm does."""

import io
import re
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from core.client_recipe import ClientTarget
from core.credentials import ANONYMOUS, Credential
from core.permissions import Presented, TokenState, identify
from core.route_auth import carrier_for
from core.vocabulary import AuthScheme, CredentialCase, TokenKind
from engine.matrix import _schemes_of
from formats import FORMATS, OPERATIONS
from formats.helm import (
    CHANNEL_REGEX,
    HELM_ROUTE,
    NAME_REGEX,
    RULES,
    VERSION_REGEX,
    build_chart,
    channel_of,
    hinted_file_name,
    split_file_name,
)
from formats.helm.clients import _PULL, RECIPES, repository_url

# Gitlab::Regex (lib/gitlab/regex.rb), transcribed as Ruby writes them (look-behind included).
GITLAB_CHANNEL = re.compile(r"\A([a-zA-Z0-9](\.|-|_)?){1,255}(?<!\.|-|_)\Z")
PAT = Credential(CredentialCase.PERSONAL_ACCESS_TOKEN, TokenKind.PERSONAL_ACCESS_TOKEN, "glpat-secret")


def members(data: bytes) -> dict[str, bytes]:
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        return {m.name: archive.extractfile(m).read() for m in archive if m.isfile()}  # type: ignore[union-attr]


@pytest.mark.parametrize("size", [4096, 65536 + 3, 1 << 20, 5 << 20])
def test_a_chart_is_a_real_chart_of_exactly_the_size_asked(size: int) -> None:
    chart = build_chart("mychart", "1.2.3", size, seed=4)
    assert chart.size == size and chart.file_name == "mychart-1.2.3.tgz"
    files = members(chart.data)
    assert set(files) == {"mychart/Chart.yaml", "mychart/values.yaml", "mychart/templates/configmap.yaml",
                          "mychart/files/payload.bin"}
    meta = yaml.safe_load(files["mychart/Chart.yaml"])
    assert meta["apiVersion"] == "v2" and meta["name"] == "mychart" and meta["version"] == "1.2.3"
    assert b"{{ .Values.greeting" in files["mychart/templates/configmap.yaml"]


def test_charts_differ_by_seed_and_are_deterministic() -> None:
    assert build_chart("c", "1.0.0", 8192, 1).data == build_chart("c", "1.0.0", 8192, 1).data
    assert build_chart("c", "1.0.0", 8192, 1).sha256() != build_chart("c", "1.0.0", 8192, 2).sha256()


def test_a_size_under_the_smallest_chart_gives_the_smallest_chart() -> None:
    chart = build_chart("c", "1.0.0", 10)
    assert 10 < chart.size < 2048 and "c/Chart.yaml" in members(chart.data)


def test_a_name_no_chart_may_have_still_travels_in_chart_yaml() -> None:
    files = members(build_chart("bad name/é", "1.0.0", 0).data)
    assert yaml.safe_load(files["chart/Chart.yaml"])["name"] == "bad name/é"


@pytest.mark.skipif(shutil.which("gzip") is None, reason="no gzip on PATH")
def test_gzip_reads_the_archive_with_its_comment(tmp_path: Path) -> None:
    path = build_chart("mychart", "1.0.0", 10000).write_to(tmp_path)
    out = subprocess.run(["gzip", "-t", str(path)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="ab9._-", max_size=12))
def test_the_channel_and_name_rule_is_gitlabs(value: str) -> None:
    assert bool(CHANNEL_REGEX.fullmatch(value)) == bool(GITLAB_CHANNEL.match(value))
    assert NAME_REGEX is CHANNEL_REGEX  # helm_package_regex is helm_channel_regex


def test_the_rule_counts_255_letters_and_digits() -> None:
    assert CHANNEL_REGEX.fullmatch("a." * 254 + "a") and not CHANNEL_REGEX.fullmatch("a" * 256)


@pytest.mark.parametrize(("version", "valid"), [("1.0.0", True), ("v1.0.0", True), ("1.0.0-rc.1+build.5", True),
                                                 ("1.0", False), ("01.0.0", False), ("1.0.0-01", False),
                                                 ("V1.0.0", False)])
def test_versions_are_semver_with_an_optional_v(version: str, valid: bool) -> None:
    assert bool(VERSION_REGEX.fullmatch(version)) is valid


def test_rules_are_gitlabs_facts() -> None:
    assert RULES.size_limit == 5 << 20 and RULES.plan_limit == "helm_max_file_size"
    assert RULES.duplicates.allowed_by_default and not RULES.duplicates.switchable
    assert RULES.processed_in_background and RULES.too_large_status == 413


def test_the_upload_is_curls_form() -> None:
    chart = build_chart("mychart", "1.0.0", 5000)
    spec = OPERATIONS["helm"].push(7, "mychart", "1.0.0", chart)[0]
    assert spec.method == "POST" and spec.path == "/api/v4/projects/7/packages/helm/api/stable/charts"
    body = b"".join(spec.body)  # type: ignore[arg-type]
    assert len(body) == spec.body_size
    boundary = spec.headers["Content-Type"].split("boundary=")[1]
    assert body.startswith(f'--{boundary}\r\nContent-Disposition: form-data; name="chart"; '
                           f'filename="mychart-1.0.0.tgz"'.encode())
    assert chart.data in body and body.endswith(f"\r\n--{boundary}--\r\n".encode())


def test_a_file_hint_names_the_channel() -> None:
    ops = OPERATIONS["helm"]
    assert channel_of("testing/x.tgz") == "testing" and channel_of("small.bin") == "stable"
    assert channel_of("bad..channel/x") == "stable"
    assert hinted_file_name("c", "1.0.0", "testing/x") == "testing/c-1.0.0.tgz"
    assert split_file_name("testing/c-1.0.0.tgz") == ("testing", "c-1.0.0.tgz")
    chart = ops.artifact("c", "1.0.0", "testing/x", 100, 0)
    assert ops.push(1, "c", "1.0.0", chart)[0].path.endswith("/helm/api/testing/charts")
    assert ops.pull(1, "c", "1.0.0", ops.file_name("c", "1.0.0", "testing/x")).path == \
        "/api/v4/projects/1/packages/helm/testing/charts/c-1.0.0.tgz"
    assert ops.metadata(1, "c").path == "/api/v4/projects/1/packages/helm/stable/index.yaml"


def test_gitlab_reads_helm_tokens_from_basic_only() -> None:
    assert HELM_ROUTE.schemes == frozenset({AuthScheme.BASIC})
    assert _schemes_of("helm") == [AuthScheme.BASIC]
    for scheme in (AuthScheme.HEADER, AuthScheme.BEARER):
        identity = identify(HELM_ROUTE, Presented(TokenKind.PERSONAL_ACCESS_TOKEN, scheme))
        assert not isinstance(identity, type(None)) and getattr(identity, "kind", "x") is None  # anonymous
    for kind in (TokenKind.PERSONAL_ACCESS_TOKEN, TokenKind.PROJECT_DEPLOY_TOKEN, TokenKind.JOB_TOKEN):
        assert getattr(identify(HELM_ROUTE, Presented(kind, AuthScheme.BASIC)), "kind", None) is kind
    refused = identify(HELM_ROUTE, Presented(TokenKind.PERSONAL_ACCESS_TOKEN, AuthScheme.BASIC, TokenState.UNKNOWN))
    assert getattr(refused, "status", None) == 401  # 'when an invalid token is passed' → 401
    dead_deploy = identify(HELM_ROUTE, Presented(TokenKind.PROJECT_DEPLOY_TOKEN, AuthScheme.BASIC,
                                                 TokenState.REVOKED))
    assert getattr(dead_deploy, "status", None) == 401
    assert carrier_for(HELM_ROUTE, AuthScheme.HEADER) is AuthScheme.BASIC  # the set-up token's carrier


def test_the_upload_alone_is_a_custom_endpoint() -> None:
    assert [e.name for e in FORMATS["helm"].custom_endpoints()] == ["upload"]
    assert all(e.rate_limited for e in FORMATS["helm"].endpoints.values())


def target(scheme: AuthScheme, credential: Credential = PAT) -> ClientTarget:
    return ClientTarget("http://registry:8080", 12, credential, scheme)


def test_curl_pushes_as_gitlabs_guide_with_the_token_in_its_config() -> None:
    call = RECIPES[0].call("push", target(AuthScheme.BASIC), "mychart", "1.0.0", "mychart-1.0.0.tgz")
    assert call.argv[-4:] == ["POST", "--form", "chart=@mychart-1.0.0.tgz",
                              "http://registry:8080/api/v4/projects/12/packages/helm/api/stable/charts"]
    assert "glpat-secret" not in " ".join(call.argv)
    assert call.files["curl.cfg"].endswith(':glpat-secret"\n')
    anonymous = RECIPES[0].call("push", target(AuthScheme.NONE, ANONYMOUS), "c", "1.0.0", "c-1.0.0.tgz")
    assert anonymous.files["curl.cfg"] == ""


def test_the_pull_script_finds_the_chart_in_index_yaml(tmp_path: Path) -> None:
    """The script's awk, run on an index as GitLab renders it, picks the version's URL (not another chart's)."""
    if shutil.which("awk") is None or shutil.which("sh") is None:
        pytest.skip("no sh or awk")
    index = ("---\napiVersion: v1\nentries:\n  other:\n  - name: other\n    version: 1.0.0\n    urls:\n"
             "    - charts/other-1.0.0.tgz\n  mychart:\n  - apiVersion: v2\n    name: mychart\n    version: 1.0.0\n"
             "    urls:\n    - charts/mychart-1.0.0.tgz\n  - name: mychart\n    version: \"2.0.0\"\n"
             "    digest: x\n    urls:\n    - 'charts/mychart-2.0.0.tgz'\ngenerated: now\nserverInfo:\n"
             "  contextPath: /api/v4/projects/12/packages/helm\n")
    awk = _PULL.split("url=$(", 1)[1].split(" index.yaml)", 1)[0]
    (tmp_path / "index.yaml").write_text(index)
    for version, url in (("1.0.0", "charts/mychart-1.0.0.tgz"), ("2.0.0", "charts/mychart-2.0.0.tgz"),
                         ("3.0.0", "")):
        script = awk.replace('-v version="$version"', f"-v version={version!r}").replace(
            '-v chart="$chart"', "-v chart=mychart")
        out = subprocess.run(["sh", "-c", script + " index.yaml"], cwd=tmp_path, capture_output=True, text=True)
        assert out.stdout.strip() == url, (version, out.stderr)


def test_the_pull_call_fetches_the_channels_repository() -> None:
    call = RECIPES[0].call("pull", target(AuthScheme.BASIC), "c", "1.0.0", "testing/c-1.0.0.tgz")
    assert call.argv == ["sh", "helm-pull.sh", "http://registry:8080/api/v4/projects/12/packages/helm/testing", "c",
                         "1.0.0", "pulled/c-1.0.0.tgz"]
    assert call.output == "pulled/c-1.0.0.tgz" and "helm-pull.sh" in call.files
    assert repository_url(target(AuthScheme.BASIC), "stable").endswith("/packages/helm/stable")
