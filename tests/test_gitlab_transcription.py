"""The expected-answer model (`core.permissions.answer`) against every GitLab request-spec row transcribed in
`docs/gitlab-reading/rows/*.yaml` (mapping: tests/gitlab_rows.py; what was decided: docs/gitlab-reading/
transcription.md). A success status (200/201/204/302) must be `permitted`; a refusal must equal `Expected.status`.
"""

from collections import Counter

import pytest

from core.permissions import Challenge, answer
from tests.gitlab_rows import SKIP_REASONS, RowCase, all_cases, load_rows, row_files

CASES = all_cases()

# Rows checked and skipped (by kind) per file, as of this transcription. A file may gain checked rows; it may not
# lose any, nor skip more: either means rows were deleted or the mapping gave up on them.
RECORDED: dict[str, tuple[int, dict[str, int]]] = {
    "generic": (139, {"size_limit": 1}),
    "maven": (103, {"package_missing": 3, "size_limit": 1}),
    "npm": (56, {"package_missing": 11, "package_exists": 1}),
    "npm_instance": (56, {"package_missing": 9, "name_outside_scope": 2}),
    "packages_api": (71, {}),
    "pypi": (190, {"size_limit": 1}),
}


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_model_answers_as_the_spec_row(case: RowCase) -> None:
    if case.skip is not None:
        pytest.skip(f"{case.skip}: {SKIP_REASONS[case.skip]}")
    assert case.ask is not None
    for presented in case.presented:
        expected = answer(case.ask, presented, case.rules)
        assert expected.permitted == case.permitted, (presented, expected, case.row)
        if not case.permitted:
            assert expected.status == case.status, (presented, expected, case.row)
        note = str(case.row.get("note") or "")
        if case.status == 401 and "no WWW-Authenticate" in note:
            assert expected.challenge is None, (presented, expected)
        if case.status == 401 and 'WWW-Authenticate: Basic realm="GitLab Packages Registry"' in note:
            assert expected.challenge is Challenge.BASIC, (presented, expected)


def test_rows_checked_and_skipped_stay_as_recorded() -> None:
    assert row_files() == sorted(RECORDED)
    for name in row_files():
        header, rows = load_rows(name)
        assert len(rows) == header["row_count"], name
        cases = [case for case in CASES if case.file == name]
        assert len(cases) == len(rows), name
        checked = sum(1 for case in cases if case.skip is None)
        skipped = Counter(case.skip for case in cases if case.skip is not None)
        least_checked, most_skipped = RECORDED[name]
        assert checked >= least_checked, (name, checked)
        for kind, count in skipped.items():
            assert count <= most_skipped.get(kind, 0), (name, kind, count)
        assert set(skipped) <= set(SKIP_REASONS)


def test_case_ids_are_unique() -> None:
    ids = [case.id for case in CASES]
    assert len(ids) == len(set(ids))
