"""Every check the harness makes can fail: each reference-server fault is caught by the case meant to catch it.

For each fault of core/faults.py, `harness run --faults FAULT` on a narrow selection must:
- fail exactly the cases that should catch the fault, each with a reason that names the problem;
- give the verdict `not_ready` with exit code 1 (3 when the only failures are broken thresholds).

A control run of the same cases without any fault is `ready` with exit code 0, so none of the cases above
fails for some other reason. Every run carries a sign-off file for all criteria: a narrow run leaves most
of them unchecked, and sign-offs turn that into `ready`, but never hide a failure.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import pytest
from helpers_run import QUICK, ROOT, Run, harness_run, sign_off_everything

from core.faults import Fault
from formats import maven, npm, pypi
from formats.generic import RULES

# Refusal statuses are format facts; the reason says what should have been refused, and with what.
DUPLICATE_REFUSED = f"expected the duplicate to be refused with {RULES.duplicates.refused_status}"
TOO_LARGE = f"one over the size limit of {4 << 20}, to be refused with {RULES.too_large_status}"
SIZE_LIMIT = "generic=4MiB"  # over-limit then pushes 4 MiB + 1 byte, not 5 GiB + 1
ALL_LIMITS = "generic=4MiB,npm=4MiB,pypi=4MiB,maven=4MiB"  # size-limit pushes a file at the limit: 4 MiB
BETA = ("--stage", "beta")
UPSTREAMS = {"maven": maven.FORWARDING.upstream, "npm": npm.FORWARDING.upstream, "pypi": pypi.FORWARDING.upstream}
FORWARDING_FORMATS = tuple(UPSTREAMS)  # the formats GitLab forwards requests of


@dataclass(frozen=True)
class Catch:
    """A case that must fail under the fault, and words its reason must hold (case-insensitive)."""

    scenario: str
    credential: str
    scheme: str
    words: tuple[str, ...]
    format: str = "generic"
    role: str | None = None

    @property
    def key(self) -> tuple[str, str, str, str, str | None]:
        return self.scenario, self.credential, self.scheme, self.format, self.role


@dataclass(frozen=True)
class FaultCheck:
    fault: Fault
    scenarios: tuple[str, ...]
    token_kinds: tuple[str, ...]
    schemes: tuple[str, ...]
    catches: tuple[Catch, ...]
    exit_code: int = 1  # 3: the only failures are thresholds
    extra: tuple[str, ...] = ()
    formats: tuple[str, ...] = ("generic",)
    in_setup: bool = False  # caught before any step: the target did not carry out the case's set-up

    def args(self, *, with_fault: bool = True) -> list[str]:
        args = [*QUICK, "--scenarios", ",".join(self.scenarios), "--token-kinds", ",".join(self.token_kinds),
                "--schemes", ",".join(self.schemes), "--formats", ",".join(self.formats), *self.extra]
        return args + ["--faults", self.fault.value] if with_fault else args


CHALLENGE = ("401", "WWW-Authenticate")
CHECKS = [
    FaultCheck(Fault.ANONYMOUS_404, ("basic-challenge", "small-push"), ("anonymous", "personal_access_token"),
               ("basic",), (
                   Catch("basic-challenge", "personal_access_token", "basic", ("got 404", *CHALLENGE)),
                   Catch("basic-challenge", "anonymous", "none", ("got 404", *CHALLENGE)),
                   Catch("small-push", "anonymous", "none", ("expected 401", "got 404")),
               )),
    FaultCheck(Fault.ACCEPT_REVOKED_TOKENS, ("small-push",), ("revoked_token",), ("header", "basic"), (
        Catch("small-push", "revoked_token", "header", ("revoked", "expected 401", "got 201")),
        Catch("small-push", "revoked_token", "basic", ("revoked", "expected 401", "got 201")),
    )),
    FaultCheck(Fault.IGNORE_EXPIRY, ("small-push",), ("expired_token",), ("header",), (
        Catch("small-push", "expired_token", "header", ("expired", "expected 401", "got 201")),
    )),
    FaultCheck(Fault.READ_ONLY_DEPLOY_CAN_WRITE, ("small-push",), ("read_only_deploy_token",), ("header",), (
        Catch("small-push", "read_only_deploy_token", "header",
              ("with read_package_registry", "lacks create_package", "expected 403", "got 201")),
    )),
    FaultCheck(Fault.OTHER_PROJECT_TOKEN_ALLOWED, ("small-push",), ("other_project_token",), ("header",), (
        Catch("small-push", "other_project_token", "header", ("cannot see this project", "expected 404", "got 201")),
    )),
    FaultCheck(Fault.IGNORE_REJECT_DUPLICATES, ("duplicate-rejected",), ("personal_access_token",), ("header",), (
        Catch("duplicate-rejected", "personal_access_token", "header", (DUPLICATE_REFUSED, "got 201")),
    )),
    FaultCheck(Fault.OLDEST_FILE_WINS, ("duplicate-allowed", "pull-duplicates"), ("personal_access_token",),
               ("header",), (
                   Catch("duplicate-allowed", "personal_access_token", "header",
                         ("not the one step 'second' pushed", "sha256")),
                   Catch("pull-duplicates", "personal_access_token", "header",
                         ("not the one step 'newest' pushed", "sha256")),
               )),
    FaultCheck(Fault.CORRUPT_DOWNLOAD, ("small-push", "duplicate-allowed"), ("personal_access_token",),
               ("header",), (
                   Catch("small-push", "personal_access_token", "header",
                         ("not the one step 'upload' pushed", "sha256")),
                   Catch("duplicate-allowed", "personal_access_token", "header",
                         ("not the one step 'second' pushed", "sha256")),
               )),
    FaultCheck(Fault.LIST_SHOWS_HIDDEN, ("search-list", "custom-endpoints"), ("personal_access_token",),
               ("header",), (
                   Catch("custom-endpoints", "personal_access_token", "header",
                         ("listed but must not be", "custom-hidden")),
               )),
    FaultCheck(Fault.NO_SIZE_LIMIT, ("over-limit",), ("personal_access_token",), ("header",), (
        Catch("over-limit", "personal_access_token", "header", (TOO_LARGE, "got 201")),
    ), extra=("--size-limits", SIZE_LIMIT)),
    # Only the accelerated-upload criterion judges when a refusal came (issue 14); the other scenarios judge answers.
    FaultCheck(Fault.READ_BODY_BEFORE_AUTH, ("accelerated-upload",), ("anonymous", "revoked_token"), ("header",), (
        Catch("accelerated-upload", "anonymous", "none", ("refused with 401", "after the whole body was sent")),
        Catch("accelerated-upload", "revoked_token", "header", ("refused with 401", "after the whole body was sent")),
    ), extra=BETA),
    # Uploads racing to create one name and version: Generic and Maven take them all into one package, npm takes
    # one and refuses the rest as duplicates; under the race, some answer 500 instead.
    FaultCheck(Fault.DUPLICATE_RACE, ("parallel-push",), ("personal_access_token",), ("header", "bearer"), (
        *(Catch("parallel-push", "personal_access_token", scheme, ("uploads failed", "500"), fmt)
          for scheme in ("header", "bearer") for fmt in ("generic", "maven")),
        *(Catch("parallel-push", "personal_access_token", scheme, ("neither success nor the duplicate refusal",
                                                                    "500"), "npm") for scheme in ("header", "bearer")),
    ), formats=("generic", "maven", "npm")),
    # A private package's file reachable without credentials: PyPI's file links, the group-level simple index.
    FaultCheck(Fault.PYPI_FILE_LINKS_PUBLIC, ("pull",), ("anonymous", "personal_access_token"), ("basic",), (
        Catch("pull", "anonymous", "none", ("expected 401", "got 200"), "pypi"),
    ), formats=("pypi",)),
    FaultCheck(Fault.GROUP_SIMPLE_INDEX_PUBLIC, ("group-level",), ("anonymous", "personal_access_token"),
               ("basic",), (
        Catch("group-level", "anonymous", "none", ("expected 401", "got 200"), "pypi"),
    ), formats=("pypi", "maven")),
    FaultCheck(Fault.PYPI_JOB_TOKEN_REFUSED, ("small-push",), ("job_token", "personal_access_token"), ("basic",), (
        Catch("small-push", "job_token", "basic", ("expected 201", "got 401"), "pypi"),
    ), formats=("pypi",)),
    FaultCheck(Fault.MAVEN_DEPLOY_TOKEN_REFUSED, ("small-push",),
               ("project_deploy_token", "group_deploy_token", "personal_access_token"), ("header",), (
        Catch("small-push", "project_deploy_token", "header", ("expected 200", "got 401"), "maven"),
        Catch("small-push", "group_deploy_token", "header", ("expected 200", "got 401"), "maven"),
    ), formats=("maven",)),
    # Generic reads a job token over Basic (as gitlab-ci-token) on downloads only (`job_token_allowed: %i[request
    # basic_auth]`); its uploads never do, so the pull is what catches a server that refuses it.
    FaultCheck(Fault.JOB_TOKEN_BASIC_REFUSED, ("pull",), ("job_token",), ("header", "basic"), (
        Catch("pull", "job_token", "basic", ("expected 200", "got 401")),
    )),
    FaultCheck(Fault.SLOW_LIST, ("metadata-many",), ("personal_access_token",), ("header",), (
        Catch("metadata-many", "personal_access_token", "header", ("p95 latency", "threshold of 500 ms")),
    ), exit_code=3),
    # The load item inside `harness run`: Locust users see the slow endpoint; the growth curve sees the loop.
    FaultCheck(Fault.SLOW_METADATA, ("metadata-load",), ("personal_access_token",), ("header",), (
        Catch("metadata-load", "personal_access_token", "header", ("metadata: p95 latency", "threshold of 500 ms"),
              format="npm"),
    ), exit_code=3, formats=("npm",)),
    FaultCheck(Fault.METADATA_N_PLUS_ONE, ("metadata-load",), ("personal_access_token",), ("header",), (
        Catch("metadata-load", "personal_access_token", "header", ("grows superlinearly", "versions^"),
              format="npm"),
    ), exit_code=3, formats=("npm",)),
    # Beta: the MVC checklist's checks.
    FaultCheck(Fault.EVENTS_NOT_TRACKED, ("events-tracked",), ("personal_access_token", "job_token"), ("header",), (
        Catch("events-tracked", "personal_access_token", "header", ("push moved by 0", "does not track")),
        Catch("events-tracked", "job_token", "header", ("pull moved by 0", "does not track")),
    ), extra=BETA),
    FaultCheck(Fault.NO_FORMAT_GUARD, ("format-guard",), ("personal_access_token",), ("header",), (
        Catch("format-guard", "personal_access_token", "header", ("not a valid npm package", "format guard"), "npm"),
        Catch("format-guard", "personal_access_token", "header", ("not a valid pypi package", "format guard"),
              "pypi"),
    ), extra=BETA, formats=("npm", "pypi")),
    FaultCheck(Fault.LOOSE_NAME_RULE, ("name-validation",), ("personal_access_token",), ("header",), (
        Catch("name-validation", "personal_access_token", "header", ("the invalid name", "not refused")),
    ), extra=BETA),
    FaultCheck(Fault.AT_LIMIT_REFUSED, ("size-limit",), ("personal_access_token",), ("header",), (
        Catch("size-limit", "personal_access_token", "header", ("expected 201", f"got {RULES.too_large_status}")),
    ), extra=(*BETA, "--size-limits", SIZE_LIMIT)),
    # GitLab's access model (issue 11): protection rules, member roles, visibility, registry access, Bearer.
    FaultCheck(Fault.PROTECTION_RULES_IGNORED, ("protected-package",), ("personal_access_token",
                                                                        "project_deploy_token"), ("bearer",), (
        Catch("protected-package", "personal_access_token", "bearer", ("is protected", "expected 403", "got 201"),
              role="developer"),
        Catch("protected-package", "project_deploy_token", "bearer", ("is protected", "expected 403", "got 201")),
    )),
    # RubyGems' dependency API (the metadata document Bundler resolves from) must list every version pushed.
    FaultCheck(Fault.RUBYGEMS_DEPENDENCIES_OMIT_NEWEST, ("list-versions",), ("personal_access_token",), ("token",), (
        Catch("list-versions", "personal_access_token", "token", ("does not mention version", "1.1.0"), "rubygems"),
    ), formats=("rubygems",)),
    # A format guard that runs in the background processing (RubyGems) must leave nothing installable.
    FaultCheck(Fault.BACKGROUND_GUARD_SKIPPED, ("format-guard",), ("personal_access_token",), ("token",), (
        Catch("format-guard", "personal_access_token", "token", ("processed into an installable package",
                                                                 "Gem.Temporary.Package"), "rubygems"),
    ), formats=("rubygems",), extra=BETA),
    FaultCheck(Fault.PROTECTION_MESSAGE_MISSING, ("protected-package",), ("personal_access_token",
                                                                          "project_deploy_token"), ("bearer",), (
        Catch("protected-package", "personal_access_token", "bearer", ("without GitLab's message", "Package protected"),
              role="developer"),
        Catch("protected-package", "project_deploy_token", "bearer", ("without GitLab's message",
                                                                      "Package protected")),
    )),
    FaultCheck(Fault.GUEST_PUSH_ALLOWED, ("member-roles-push",), ("personal_access_token", "job_token"),
               ("bearer",), tuple(
        Catch("member-roles-push", credential, "bearer", (f"a {role}", "lacks create_package", "expected 403",
                                                          "got 201"), role=role)
        for credential in ("personal_access_token", "job_token") for role in ("guest", "reporter"))),
    FaultCheck(Fault.PUBLIC_PROJECT_HIDDEN, ("public-project",), ("anonymous", "other_project_token"), ("header",), (
        Catch("public-project", "anonymous", "none", ("anyone may read", "expected 200", "got 401")),
        Catch("public-project", "other_project_token", "header", ("expected 200", "got 404")),
    )),
    FaultCheck(Fault.REGISTRY_ACCESS_IGNORED, ("registry-disabled", "registry-public"),
               ("anonymous", "personal_access_token"), ("header",), (
        Catch("registry-disabled", "personal_access_token", "header", ("registry is disabled", "expected 403",
                                                                       "got 201")),
        Catch("registry-public", "anonymous", "none", ("anyone may read", "expected 200", "got 401")),
    )),
    FaultCheck(Fault.JOB_TOKEN_SCOPE_IGNORED, ("job-token-scope", "job-token-allowlist"), ("job_token",),
               ("header",), (
        Catch("job-token-scope", "job_token", "header", ("cannot see this project", "expected 404", "got 200")),
    )),
    FaultCheck(Fault.BEARER_ONLY_NPM, ("small-push",), ("project_deploy_token", "job_token"), ("bearer",), (
        Catch("small-push", "project_deploy_token", "bearer", ("expected 201", "got 401")),
        Catch("small-push", "job_token", "bearer", ("expected 201", "got 401")),
    )),
    FaultCheck(Fault.FORWARDING_IGNORED, ("request-forwarding",), ("personal_access_token",), ("header",), tuple(
        Catch("request-forwarding", "personal_access_token", "header", (
            f"expected a 302 redirect to {UPSTREAMS[name]}",
            f"the group forwards {name} requests", "got 404"), format=name)
        for name in FORWARDING_FORMATS), formats=FORWARDING_FORMATS),
    FaultCheck(Fault.PROCESSING_STUCK, ("installable-within",), ("personal_access_token",), ("header",), (
        Catch("installable-within", "personal_access_token", "header", ("was not installable", "30 s")),
    ), extra=BETA),
    # GitLab's finders select a channel's files (PackageFile.for_helm_with_channel); its spec keeps a package with a
    # file in `stable` and one in `test` and expects each channel to show its own.
    FaultCheck(Fault.HELM_CHANNEL_IGNORED, ("helm-channels",), ("personal_access_token",), ("basic",), (
        Catch("helm-channels", "personal_access_token", "basic", ("not the one step 'in-stable' pushed",), "helm"),
    ), formats=("helm",)),
    FaultCheck(Fault.GO_LIST_NEWEST_ONLY, ("list-versions",), ("personal_access_token",), ("header",), (
        Catch("list-versions", "personal_access_token", "header", ("does not mention version(s) 1.0.0",),
              format="go"),
    ), formats=("go",)),
    FaultCheck(Fault.GO_ZIP_NO_PREFIX, ("pull",), ("personal_access_token",), ("header",), (
        Catch("pull", "personal_access_token", "header", ("does not hold what step 'published' published", "h1:"),
              format="go"),
    ), formats=("go",)),
    # Composer's p2 document written at a package's first publish and never rewritten: a later version is missing.
    FaultCheck(Fault.COMPOSER_STALE_CACHE, ("list-versions",), ("personal_access_token",), ("header",), (
        Catch("list-versions", "personal_access_token", "header", ("does not mention version(s) 1.1.0",),
              "composer"),
    ), formats=("composer",)),
    # Metadata that tells the truth (issue 14): a proxy or cache that serves a document as first seen, drops the
    # newest version, alters the checksums or names a file the registry does not have. The owner's writes are
    # acknowledged; the document may lag them by the processing delay, cut short here (3 s) to keep the run short.
    FaultCheck(Fault.METADATA_NEVER_INVALIDATED, ("metadata-truth",), ("personal_access_token",), ("header",), tuple(
        Catch("metadata-truth", "personal_access_token", "header",
              ("leaves out 1.1.0, which the target acknowledged", "still after"), name)
        for name in ("maven", "npm", "pypi")), extra=("--processing-timeout", "3"), formats=("maven", "npm", "pypi")),
    FaultCheck(Fault.METADATA_DROPS_NEWEST, ("metadata-truth",), ("personal_access_token",), ("header",), tuple(
        Catch("metadata-truth", "personal_access_token", "header", ("leaves out 1.", "which the target acknowledged"),
              name) for name in ("npm", "pypi")), extra=("--processing-timeout", "3"), formats=("npm", "pypi")),
    FaultCheck(Fault.METADATA_WRONG_CHECKSUMS, ("metadata-truth",), ("personal_access_token",), ("header",), (
        Catch("metadata-truth", "personal_access_token", "header", ("gives 1.0.0 the sha1", "bytes pushed"), "npm"),
        Catch("metadata-truth", "personal_access_token", "header", ("gives 1.0.0 the sha256", "bytes pushed"), "pypi"),
    ), formats=("npm", "pypi")),
    FaultCheck(Fault.METADATA_WRONG_FILE_URL, ("metadata-truth",), ("personal_access_token",), ("header",), tuple(
        Catch("metadata-truth", "personal_access_token", "header", ("the file url", "answered 404"), name)
        for name in ("npm", "pypi")), formats=("npm", "pypi")),
    # Set-up verified (issue 14): a revocation the target answers 204 without revoking is the target's failure to
    # carry out the set-up, said as such, not "revoked tokens authenticate".
    FaultCheck(Fault.REVOKE_DOES_NOTHING, ("small-push",), ("revoked_token",), ("header",), (
        Catch("small-push", "revoked_token", "header", ("did not carry out the harness's set-up", "still shows it")),
    ), in_setup=True),
    # ... and a group setting the target answers as not taken (the package settings mutation) fails the case as the
    # target's set-up failure, before any step would have blamed the registry's duplicate handling.
    FaultCheck(Fault.SETTINGS_NOT_SAVED, ("duplicate-rejected",), ("personal_access_token",), ("header",), (
        Catch("duplicate-rejected", "personal_access_token", "header",
              ("did not carry out the harness's set-up", "DuplicatesAllowed=True (asked False)")),
    ), in_setup=True),
    # nuget: the registration index (metadata/<id>/index.json) listing only the first version published; GitLab's
    # PackagesMetadataPresenter lists every version the PackageFinder finds.
    FaultCheck(Fault.NUGET_REGISTRATION_FIRST_ONLY, ("list-versions",), ("personal_access_token",), ("basic",), (
        Catch("list-versions", "personal_access_token", "basic", ("does not mention version(s) 1.1.0",), "nuget"),
    ), formats=("nuget",)),
    # Debian: the distribution's indexes never regenerated after a processed upload: the Packages index stays the
    # empty one of the distribution's creation (GitLab answers an empty index 204).
    FaultCheck(Fault.DEBIAN_INDEX_STALE, ("list-versions",), ("personal_access_token",), ("basic",), (
        Catch("list-versions", "personal_access_token", "basic", ("expected 200", "got 204"), "debian"),
    ), formats=("debian",)),
    # Terraform modules: the registry protocol's versions document (namespace_packages.rb `get 'versions'`,
    # ModulesPresenter) lists every version of the module in the namespace; one listing the newest alone hides 1.0.0.
    FaultCheck(Fault.TERRAFORM_VERSIONS_NEWEST_ONLY, ("list-versions",), ("personal_access_token",), ("header",), (
        Catch("list-versions", "personal_access_token", "header", ("does not mention version(s) 1.0.0",),
              "terraform_module"),
    ), formats=("terraform_module",)),
    # --- conan ---
    # Conan's recipe search (the metadata document `conan search` / `conan list` read) must list every version.
    FaultCheck(Fault.CONAN_SEARCH_OMITS_NEWEST, ("list-versions",), ("personal_access_token",), ("basic",), (
        Catch("list-versions", "personal_access_token", "basic", ("does not mention version(s) 1.1.0",), "conan"),
    ), formats=("conan",)),
]


def _failed_testcases(run: Run) -> set[str]:
    tree = ET.parse(run.run_dir / "junit.xml")
    return {case.get("name", "") for case in tree.iter("testcase") if case.find("failure") is not None}


# Faults of the target's own API that the run's cases never meet: their checks are tests of their own.
CHECKED_ELSEWHERE = {
    Fault.GROUP_DELETE_DOES_NOTHING: "tests/test_cleanup_verified.py",  # clean-up confirms each deletion
}


def test_every_fault_has_a_check() -> None:
    assert sorted([c.fault.value for c in CHECKS] + [f.value for f in CHECKED_ELSEWHERE]) == sorted(
        f.value for f in Fault)
    assert all((ROOT / path).is_file() for path in CHECKED_ELSEWHERE.values())


@pytest.mark.parametrize("check", CHECKS, ids=[c.fault.value for c in CHECKS])
def test_the_fault_is_caught(check: FaultCheck, tmp_path: Path) -> None:
    for scenario in check.scenarios:  # a missing scenario would select nothing and prove nothing
        assert list((ROOT / "scenarios").glob(f"*/{scenario}.yaml")), \
            f"no scenario {scenario}: nothing would catch {check.fault.value}"
    stage = "beta" if "beta" in check.extra else "experiment"
    run = harness_run(tmp_path, *check.args(), "--signoff-file", str(sign_off_everything(tmp_path, stage)),
                      run_id=check.fault.value)
    why = run.explain()

    assert run.verdict is not None, why
    assert run.returncode == check.exit_code, why
    assert run.verdict["verdict"] == "not_ready" and run.verdict["exit_code"] == check.exit_code, why
    assert not run.with_outcome("error"), why  # the target broke, not the harness
    failed = {(r["scenario"], r["credential"], r["scheme"], r["format"], r.get("role"))
              for r in run.with_outcome("failed")}
    assert failed == {c.key for c in check.catches}, why

    junit_failures = _failed_testcases(run)
    summary = (run.run_dir / "summary.md").read_text()
    for catch in check.catches:
        record = run.case(*catch.key)
        reason = record["reason"].lower()
        missing = [w for w in catch.words if w.lower() not in reason]
        assert not missing, f"{record['case_id']}: the reason lacks {missing}: {record['reason']}"
        assert record["case_id"] in junit_failures, why
        assert record["case_id"] in summary, why
        failing = [s for s in record["steps"] if s["outcome"] == "failed"]
        if check.in_setup:
            assert not record["steps"], why
            continue
        assert len(failing) == 1, why
        assert bool(failing[0]["observed"].get("threshold_broken")) is (check.exit_code == 3), why


def test_without_faults_the_same_cases_pass(tmp_path: Path) -> None:
    """The control: every case the checks above expect to fail passes on a sound server."""
    scenarios = sorted({s for c in CHECKS for s in c.scenarios})
    kinds = sorted({k for c in CHECKS for k in c.token_kinds})
    schemes = sorted({s for c in CHECKS for s in c.schemes})
    formats = sorted({f for c in CHECKS for f in c.formats})
    run = harness_run(tmp_path, *QUICK, "--scenarios", ",".join(scenarios), "--token-kinds", ",".join(kinds),
                      "--schemes", ",".join(schemes), "--formats", ",".join(formats), "--size-limits", ALL_LIMITS,
                      *BETA, "--signoff-file", str(sign_off_everything(tmp_path, "beta")),
                      # GitLab validates no gem name or version (app/models/packages/rubygems/package.rb has no
                      # validation; ProcessGemService stores the gemspec's): that case fails on a sound server too,
                      # as on GitLab, so the control leaves it out.
                      "-k", "not (name-validation and rubygems)", run_id="control")
    why = run.explain()

    assert run.returncode == 0, why
    assert run.verdict is not None and run.verdict["verdict"] == "ready" and run.verdict["exit_code"] == 0, why
    assert not run.with_outcome("failed") and not run.with_outcome("error"), why
    for check in CHECKS:
        for catch in check.catches:
            assert run.case(*catch.key)["outcome"] == "passed", f"{check.fault.value}: {catch.key}\n{why}"
