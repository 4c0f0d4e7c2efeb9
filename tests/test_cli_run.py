"""What a user of `harness run` sees: scenario errors that point at the line, bad flags and targets that
exit 2 (or 4) with a message naming the problem, a JSON Schema kept up to date, and run outputs that
never hold a token."""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterator, Sequence
from pathlib import Path

import jsonschema  # type: ignore[import-untyped]  # no stubs installed (types-jsonschema)
import pytest
import yaml
from helpers_run import QUICK, ROOT, Run, clean_env, harness_run

from core.vocabulary import TokenKind
from engine.reference import ReferenceServer
from engine.scenario import SCHEMA_PATH, ScenarioError, json_schema, load_scenario, load_scenarios
from reference_server.auth import PREFIXES, new_token

SCENARIOS = ROOT / "scenarios"

# --- (1) a bad scenario names the file, the line and the field -------------------------------------------------

HEAD = "name: bad\nstage: experiment\ndescription: a scenario with a mistake\n"  # lines 1-3
PUSH = "  - op: push\n    package: {name: a, version: 1.0.0, file: a.bin}\n"

BAD_SCENARIOS = {
    # id: (text, line, field, words of the message)
    "unknown-step-key": (HEAD + "steps:\n" + PUSH + "    colour: blue\n", 7, "steps.0.colour", "unknown key 'colour'"),
    "unknown-top-key": (HEAD + "owner: me\nsteps:\n" + PUSH, 4, "owner", "unknown key 'owner'"),
    "unknown-expect-key": (HEAD + "steps:\n" + PUSH + "    expect:\n      status: 201\n      p95: 500\n", 9,
                           "steps.0.expect.p95", "unknown key 'p95'"),
    "bad-type": (HEAD + "steps:\n" + PUSH + "    seed: lots\n", 7, "steps.0.seed", "valid integer"),
    "bad-size": (HEAD + "steps:\n" + PUSH + "    size: lots\n", 7, "steps.0.size", "'lots' is not a size"),
    "unknown-format": (HEAD + "formats: [generic, nosuch]\nsteps:\n" + PUSH, 4, "formats", "unknown format nosuch"),
    "bad-as": (HEAD + "steps:\n  - op: push\n    as: admin\n    package: {name: a}\n", 6, "steps.0.as",
               "'subject' or 'owner'"),
    "bad-op": (HEAD + "steps:\n  - op: upload\n    package: {name: a}\n", 5, "steps.0.op", "'push'"),
    "unknown-same-content-as": (
        HEAD + "steps:\n  - name: upload\n" + PUSH.replace("  - op", "    op") + "  - op: pull\n    as: owner\n"
        "    package: {name: a, version: 1.0.0, file: a.bin}\n    expect: {same_content_as: uplaod}\n",
        11, "steps.1.expect.same_content_as", "no earlier step is named 'uplaod'"),
    "same-content-as-a-later-step": (
        HEAD + "steps:\n  - op: pull\n    package: {name: a}\n    expect: {same_content_as: upload}\n"
        "  - name: upload\n    op: push\n    package: {name: a}\n",
        7, "steps.0.expect.same_content_as", "no earlier step is named 'upload'"),
    "push-without-package": (HEAD + "steps:\n  - op: list\n  - op: push\n", 6, "steps.1.package", "needs a package"),
    "invalid-yaml": (HEAD.replace("a scenario with a mistake", "a: mistake") + "steps:\n" + PUSH, 3, None,
                     "not valid YAML"),
    "invalid-yaml-tab": (HEAD + "steps:\n" + PUSH + "\tseed: 1\n", 7, None, "not valid YAML"),
}

BAD_SCENARIOS.update({
    "bad-credential-in-a-list": (HEAD + "credentials:\n  - personal_access_token\n  - admin\nsteps:\n" + PUSH, 6,
                                 "credentials.1", "'anonymous'"),
    "bad-count": (HEAD + "steps:\n  - op: push_many\n    package: {name: a}\n    count: many\n", 7,
                  "steps.0.count", "metadata_packages"),
    "duplicate-key": (HEAD + "steps:\n" + PUSH + "    expect: {status: 201}\n    expect: {body_sent: false}\n", 8,
                      "steps.0", "'expect' appears twice"),
})


def _problems(message: str) -> list[str]:
    return [line.strip() for line in message.splitlines() if line.strip() and line.strip() != "invalid scenario:"]


def _check_message(path: Path, message: str, line: int, field: str | None, words: str) -> None:
    problems = _problems(message)
    assert problems, message
    first = problems[0]
    assert first.startswith(f"{path}:{line}: "), message
    if field is not None:
        assert first.startswith(f"{path}:{line}: field {field}: "), message
        assert len(problems) == 1, f"one mistake, one problem:\n{message}"
    assert words in first, message


@pytest.mark.parametrize("case", sorted(BAD_SCENARIOS))
def test_a_bad_scenario_names_file_line_and_field(case: str, tmp_path: Path) -> None:
    text, line, field, words = BAD_SCENARIOS[case]
    path = tmp_path / f"{case}.yaml"
    path.write_text(text)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    _check_message(path, str(caught.value), line, field, words)


def test_the_bad_scenario_texts_are_otherwise_good(tmp_path: Path) -> None:
    """The fixtures above break exactly one thing: the same texts without it load."""
    path = tmp_path / "good.yaml"
    path.write_text(HEAD + "formats: [generic]\nsteps:\n  - name: upload\n" + PUSH.replace("  - op", "    op")
                    + "    seed: 1\n    size: 1KiB\n  - op: pull\n    as: owner\n"
                    "    package: {name: a, version: 1.0.0, file: a.bin}\n    expect: {same_content_as: upload}\n")
    scenario = load_scenario(path)
    assert [s.op for s in scenario.steps] == ["push", "pull"] and scenario.steps[1].actor == "owner"


# --- (2)-(4) bad flags and targets ------------------------------------------------------------------------------


def _cli(tmp_path: Path, *args: str, run_id: str = "flags") -> Run:
    env = clean_env()
    env["COLUMNS"] = "1000"  # rich wraps stderr at 80 columns otherwise
    return harness_run(tmp_path, *QUICK, *args, run_id=run_id, env=env)


def _said(run: Run) -> str:
    return " ".join(run.stderr.split())


@pytest.mark.parametrize(("flags", "words"), [
    (["--formats", "nosuch"], ["--formats", "'nosuch'", "generic"]),
    (["--large-size", "lots"], ["--large-size", "'lots' is not a size"]),
    (["--token-kinds", "personal_access_token,admin"], ["--token-kinds", "'admin'", "personal_access_token"]),
    (["--size-limits", "nosuch=1MiB"], ["--size-limits", "'nosuch=1MiB'"]),
    (["--stage", "production"], ["--stage", "'production'", "experiment"]),
], ids=["formats", "large-size", "token-kinds", "size-limits", "stage"])
def test_a_bad_flag_exits_2_naming_the_option(flags: list[str], words: list[str], tmp_path: Path) -> None:
    run = _cli(tmp_path, *flags)
    assert run.returncode == 2, run.explain()
    assert "configuration error" in _said(run), run.explain()
    for word in words:
        assert word in _said(run), run.explain()
    assert not run.run_dir.exists(), "a flag that fails validation must not start a run"


def test_an_unknown_fault_exits_2_naming_the_option(tmp_path: Path) -> None:
    run = _cli(tmp_path, "--faults", "gremlins")
    assert run.returncode == 2, run.explain()
    assert "--faults" in _said(run) and "'gremlins'" in _said(run), run.explain()


def test_an_unknown_scenario_exits_2_naming_it(tmp_path: Path) -> None:
    run = _cli(tmp_path, "--scenarios", "smal-push")
    assert run.returncode == 2, run.explain()
    assert "'smal-push'" in _said(run) and "small-push" in _said(run), run.explain()


def test_a_target_without_a_token_file_exits_2(tmp_path: Path) -> None:
    run = _cli(tmp_path, "--target", "http://127.0.0.1:9")
    assert run.returncode == 2, run.explain()
    assert "--target needs --token-file" in _said(run), run.explain()


def test_an_unreachable_target_exits_4_saying_so(tmp_path: Path) -> None:
    """Exit 4 (the environment broke), with the URL and 'reachable' in the message and in verdict.json."""
    token = new_token(TokenKind.PERSONAL_ACCESS_TOKEN)
    token_file = tmp_path / "tokens.yaml"
    token_file.write_text(f"owner: {token}\n")
    run = _cli(tmp_path, "--target", "http://127.0.0.1:9", "--token-file", str(token_file),
               "--scenarios", "small-push", "--token-kinds", "personal_access_token", run_id="unreachable")
    assert run.returncode == 4, run.explain()
    assert "http://127.0.0.1:9" in _said(run) and "reachable" in _said(run), run.explain()
    assert run.verdict is not None and run.verdict["exit_code"] == 4, run.explain()
    assert "reachable" in run.verdict["why"] and run.verdict["verdict"] == "not_ready", run.explain()
    assert not _leaks(run, known=[token])


# --- (5) the JSON Schema --------------------------------------------------------------------------------------


def _scenario_files() -> list[Path]:
    return [path for path, _ in load_scenarios(SCENARIOS)]


def test_the_json_schema_file_is_up_to_date() -> None:
    assert SCHEMA_PATH.read_text() == json_schema(), "run `harness schema` to regenerate scenarios/scenario.schema.json"
    schema = json.loads(SCHEMA_PATH.read_text())
    assert "steps" in schema["properties"] and "steps" in schema["required"]
    assert schema["additionalProperties"] is False


def test_every_scenario_points_editors_at_the_schema_and_uses_only_its_keys() -> None:
    schema = json.loads(SCHEMA_PATH.read_text())
    step_schema = schema["$defs"]["Step"]
    files = _scenario_files()
    assert files
    for path in files:
        assert path.read_text().startswith("# yaml-language-server: $schema=../scenario.schema.json"), path
        data = yaml.safe_load(path.read_text())
        assert set(data) <= set(schema["properties"]), path
        for step in data["steps"]:
            assert set(step) <= set(step_schema["properties"]), (path, step)


def test_the_json_schema_validates_every_scenario_and_rejects_a_bad_one() -> None:
    schema = json.loads(SCHEMA_PATH.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    for path in _scenario_files():
        errors = [e.message for e in validator.iter_errors(yaml.safe_load(path.read_text()))]
        assert not errors, (path, errors)
    bad = yaml.safe_load(BAD_SCENARIOS["unknown-step-key"][0])
    assert any("colour" in e.message for e in validator.iter_errors(bad))


# --- (6) no token in a run's outputs --------------------------------------------------------------------------

TOKEN_PATTERN = re.compile(r"(?:glpat|gldt|glcbt)-[A-Za-z0-9_-]{10,}")
BASIC_PATTERN = re.compile(r"Basic\s+([A-Za-z0-9+/]{8,}={0,2})")


def _texts(run: Run) -> Iterator[tuple[str, str]]:
    yield "stdout", run.stdout
    yield "stderr", run.stderr
    for path in sorted(run.run_dir.rglob("*")):
        if path.is_file():
            yield str(path.relative_to(run.run_dir)), path.read_bytes().decode("utf-8", "replace")


def _leaks_in(where: str, text: str, known: list[str]) -> list[str]:
    found = [f"{where}: {m.group(0)[:12]}…" for m in TOKEN_PATTERN.finditer(text)]
    found += [f"{where}: a known token" for token in known if token in text]
    for match in BASIC_PATTERN.finditer(text):
        try:
            decoded = base64.b64decode(match.group(1), validate=True).decode("utf-8", "replace")
        except (binascii.Error, ValueError):
            continue
        password = decoded.partition(":")[2]
        if TOKEN_PATTERN.search(password) or password in known:
            found.append(f"{where}: a token in a Basic header")
    return found


def _leaks(run: Run, known: Sequence[str] = ()) -> list[str]:
    return [leak for where, text in _texts(run) for leak in _leaks_in(where, text, list(known))]


def test_the_patterns_match_every_token_the_reference_server_issues() -> None:
    assert set(PREFIXES) == set(TokenKind)
    for kind in TokenKind:
        token = new_token(kind)
        assert TOKEN_PATTERN.fullmatch(token), (kind, token[:8])
        basic = "Authorization: Basic " + base64.b64encode(f"gitlab+deploy-token-1:{token}".encode()).decode()
        assert _leaks_in("f", f'{{"h": "{basic}"}}', []) == ["f: a token in a Basic header"]
        assert _leaks_in("f", f"curl -H 'PRIVATE-TOKEN: {token}'", [])
    assert _leaks_in("f", "PRIVATE-TOKEN: [REDACTED] glpat-short", []) == []


def test_a_run_writes_no_token(tmp_path: Path) -> None:
    """Every token kind, both schemes, and failures (whose evidence carries full transcripts)."""
    kinds = ",".join(k.value for k in TokenKind) + ",anonymous,revoked_token,read_only_deploy_token"
    run = harness_run(tmp_path, *QUICK, "--scenarios", "small-push,basic-challenge,search-list",
                      "--token-kinds", kinds, "--schemes", "header,basic", "--faults", "accept_revoked_tokens",
                      run_id="secrets")
    assert run.returncode == 1 and run.with_outcome("failed") and run.with_outcome("passed"), run.explain()
    assert {r["credential"] for r in run.with_outcome("passed")} >= {k.value for k in TokenKind}, run.explain()
    files = {p.name for p in run.run_dir.iterdir()}
    assert {"results.jsonl", "verdict.json", "summary.md", "report.html", "junit.xml", "ledger.jsonl"} <= files
    junit = (run.run_dir / "junit.xml").read_text()
    assert "harness_record" not in junit and '<property name="scenario"' in junit  # a few properties, not transcripts
    assert not _leaks(run)
    # The reference server reports no GitLab version: the report says the newest rules were taken, and why.
    for report in ("summary.md", "report.html"):
        assert "version &#39;reference&#39; is not GitLab&#39;s: the newest rules apply" in (
            run.run_dir / report).read_text().replace("'", "&#39;"), report


@pytest.fixture()
def target(tmp_path: Path) -> Iterator[ReferenceServer]:
    with ReferenceServer(tmp_path / "target-data") as server:
        yield server


def test_a_run_against_a_target_writes_neither_the_owner_token_nor_any_other(target: ReferenceServer,
                                                                            tmp_path: Path) -> None:
    """The owner token (which the harness's own reference server makes without a GitLab prefix) is known here."""
    token_file = tmp_path / "tokens.yaml"
    token_file.write_text(f"owner: {target.admin_token}\n")
    run = harness_run(tmp_path, *QUICK, "--target", target.url, "--token-file", str(token_file),
                      "--scenarios", "small-push,delete", "--token-kinds",
                      "personal_access_token,project_deploy_token,revoked_token", "--schemes", "header,basic",
                      run_id="target-secrets")
    assert run.verdict is not None and run.with_outcome("passed"), run.explain()
    assert not run.with_outcome("error") and not run.with_outcome("failed"), run.explain()
    assert not _leaks(run, known=[target.admin_token])
