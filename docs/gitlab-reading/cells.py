"""Count the expected-answer model's cells, and (given the old model's answers) how many changed, by area.

The measurement behind docs/gitlab-fidelity.md:

    PYTHONPATH=. python3 docs/gitlab-reading/cells.py [OLD_ANSWERS.json]

A cell is format × endpoint × credential case × auth scheme × project set-up × member role (the role only for
personal and job tokens). OLD_ANSWERS.json maps "format|endpoint|credential|scheme" to the old model's answer on
a private project ("n/a", or {"status", "challenge"}); the script that wrote it ran on the commit before issue 11.
"""

import json
import sys
from collections import Counter
from itertools import product

from core.permissions import OPERATION_PERMISSION, Ask, answer, presented_by, standing_of
from core.project_setup import ProjectSetup, RegistryAccess, Role, Visibility
from core.vocabulary import AuthScheme, CredentialCase
from formats import FORMATS

SETUPS = {
    "private": ProjectSetup(),
    "internal": ProjectSetup(visibility=Visibility.INTERNAL),
    "public": ProjectSetup(visibility=Visibility.PUBLIC),
    "registry public": ProjectSetup(registry_access=RegistryAccess.PUBLIC),
    "registry disabled": ProjectSetup(registry_access=RegistryAccess.DISABLED),
}
ROLE_CASES = (CredentialCase.PERSONAL_ACCESS_TOKEN, CredentialCase.JOB_TOKEN)
ROLES: tuple[Role | None, ...] = (None, *Role)  # None: the owner token's user (the case group's owner)
SCHEMES = (AuthScheme.HEADER, AuthScheme.BASIC, AuthScheme.BEARER)


def cells() -> int:
    count = 0
    for fmt, setup, credential in product(FORMATS.values(), SETUPS.values(), CredentialCase):
        roles = ROLES if credential in ROLE_CASES else (None,)
        schemes = (AuthScheme.NONE,) if credential is CredentialCase.ANONYMOUS else SCHEMES
        count += len(fmt.endpoints) * len(roles) * len(schemes)
        del setup  # each set-up is a cell of its own
    return count


def area(key: str, old: object, new: dict[str, object]) -> str:
    fmt, endpoint, credential, scheme = key.split("|")
    if old == "n/a":
        return (f"{scheme}: a carrier the old model called not applicable; GitLab reads the token there, or "
                "ignores it and answers the request as anonymous")
    assert isinstance(old, dict)
    if old["status"] == new["status"]:
        return "the challenge a 401 carries (npm none; revoked and expired tokens Bearer)"
    if credential == "job_token" and scheme == "basic":
        return "job tokens over Basic (gitlab-ci-token; routes that never read them)"
    if credential == "job_token" and scheme == "header" and fmt == "pypi":
        return "the JOB-TOKEN header on PyPI (job_token_allowed: :basic_auth)"
    if credential == "job_token" or old["status"] == 403 and new["status"] in (200, 201, 204):
        return "deletes: job tokens act with their user's role, write deploy tokens destroy (npm dist-tags)"
    if credential == "other_project_token":
        return "another project's token on instance-level routes (403, found by name)"
    if credential == "anonymous":
        return "anonymous requests (npm dist-tags 401; instance-level answers)"
    if "group" in endpoint:
        return "group-level routes (a project's deploy token has no read_group)"
    if endpoint in ("list_packages", "list_package_files", "delete_package", "delete_package_file"):
        return "the Packages API: deploy tokens and Basic are not read (anonymous, 404)"
    return "other"


def changed(old_answers: dict[str, object]) -> Counter[str]:
    areas: Counter[str] = Counter()
    for key, old in old_answers.items():
        fmt, name, credential, scheme = key.split("|")
        if fmt not in FORMATS or name not in FORMATS[fmt].endpoints:
            continue
        endpoint = FORMATS[fmt].endpoints[name]
        case = CredentialCase(credential)
        got = answer(Ask(endpoint.auth, OPERATION_PERMISSION[endpoint.operation], standing_of(case)),
                     presented_by(case, AuthScheme(scheme)))
        new: dict[str, object] = {"status": 200 if got.permitted else got.status, "challenge": bool(got.challenge)}
        if old != new and not (isinstance(old, dict) and old["status"] == 200 and new["status"] == 200):
            areas[area(key, old, new)] += 1
    return areas


def main() -> None:
    print(f"cells in the model: {cells()}")
    if len(sys.argv) > 1:
        with open(sys.argv[1]) as handle:
            old_answers = json.load(handle)
        areas = changed(old_answers)
        print(f"private-project cells of the old model: {len(old_answers)}; changed: {sum(areas.values())}")
        for name, count in areas.most_common():
            print(f"  {count:4d}  {name}")


if __name__ == "__main__":
    main()
