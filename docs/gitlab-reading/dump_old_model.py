"""The old (pre-issue-11) model's answers on a private project, for docs/gitlab-reading/cells.py.

It imports the old model, so it runs on commit 77ff8f2 only:

    git worktree add /tmp/old 77ff8f2
    cd /tmp/old && PYTHONPATH=. python3 /path/to/docs/gitlab-reading/dump_old_model.py OUT.json
"""

import json
import sys

from core.permissions import NotApplicable, expected_answer  # type: ignore[attr-defined]
from core.vocabulary import AuthScheme, CredentialCase
from formats import FORMATS

SCHEMES = [AuthScheme.HEADER, AuthScheme.BASIC, AuthScheme.BEARER]


def main() -> None:
    answers: dict[str, object] = {}
    for format_name, fmt in FORMATS.items():
        for endpoint in fmt.endpoints.values():
            for credential in CredentialCase:
                for scheme in [AuthScheme.NONE] if credential is CredentialCase.ANONYMOUS else SCHEMES:
                    got = expected_answer(credential, endpoint.operation, accepted_kinds=endpoint.accepted_kinds,
                                          accepted_schemes=endpoint.accepted_schemes, scheme=scheme,
                                          anonymous_status=endpoint.anonymous_status)
                    key = f"{format_name}|{endpoint.name}|{credential.value}|{scheme.value}"
                    answers[key] = "n/a" if isinstance(got, NotApplicable) else {
                        "status": 200 if got.permitted else got.status, "challenge": bool(got.challenge)}
    with open(sys.argv[1], "w") as handle:
        json.dump(answers, handle, indent=0)


if __name__ == "__main__":
    main()
