"""Package request forwarding on the reference server: a package the registry does not have, when the project's group
forwards requests of the format, is GitLab's 302 to the public registry (npm, PyPI, Maven); with forwarding off, or
under the `forwarding_ignored` fault, the usual 404. npm redirects before the read check (any identified caller),
PyPI and Maven after it (lib/api/npm_project_packages.rb, lib/api/pypi_packages.rb, lib/api/maven_packages.rb).
"""

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
import requests
from test_reference_server import ADMIN_TOKEN, Registry, World, make_world

from core.format_types import RequestSpec
from core.vocabulary import AuthScheme, CredentialCase
from engine.gitlab_api import GitLabClient
from formats import FORMATS, OPERATIONS, maven, npm, pypi
from reference_server import Fault, ServerSettings, running_server

MISSING = "never-pushed"


def ask(world: World, spec: RequestSpec, case: CredentialCase = CredentialCase.PERSONAL_ACCESS_TOKEN,
        scheme: AuthScheme = AuthScheme.HEADER) -> requests.Response:
    headers = {**spec.headers, **world.headers(case, scheme)}
    return world.registry.http.request(spec.method, world.registry.url + spec.path, headers=headers,
                                       allow_redirects=False, timeout=30)


def forwarding(world: World, on: bool) -> None:
    with GitLabClient(world.registry.url, ADMIN_TOKEN) as admin:
        admin.set_forwarding(world.group["full_path"], {"npm": on, "pypi": on, "maven": on})


def missing_requests(world: World) -> dict[str, tuple[RequestSpec, str]]:
    """Each forwarding route's request for a package nobody pushed, and where GitLab sends it."""
    pid, gid = world.project["id"], world.group["id"]
    jar = maven.OPERATIONS.file_name(MISSING, "1.0", "")
    specs = {
        "npm packument": npm.OPERATIONS.metadata(pid, "@grp/" + MISSING),
        "pypi simple page": pypi.OPERATIONS.metadata(pid, MISSING),
        "pypi group simple page": pypi.OPERATIONS.group_metadata(gid, MISSING),
        "maven maven-metadata.xml": maven.OPERATIONS.metadata(pid, MISSING),
        "maven jar": maven.OPERATIONS.pull(pid, MISSING, "1.0", jar),
        "maven group jar": maven.OPERATIONS.group_pull(gid, pid, MISSING, "1.0", jar),
    }
    wanted = {}
    for what, spec in specs.items():
        ops = OPERATIONS[what.split()[0]]
        upstream = ops.forwarded_to(spec, "@grp/" + MISSING if what.startswith("npm") else MISSING)
        assert upstream is not None, what
        wanted[what] = (spec, upstream)
    return wanted


@pytest.fixture
def start(tmp_path: Path) -> Iterator[Callable[..., Registry]]:
    """Start a reference server with some settings; each stops at the end of the test."""
    with ExitStack() as stack:
        def start_one(**options: Any) -> Registry:
            data_dir = tmp_path / f"data-{len(stack._exit_callbacks)}"
            url = stack.enter_context(running_server(ServerSettings(data_dir=data_dir, admin_token=ADMIN_TOKEN,
                                                                    **options)))
            return Registry(url, data_dir)
        yield start_one


@pytest.fixture
def forwarding_world(start: Callable[..., Registry]) -> World:
    world = make_world(start())
    forwarding(world, True)
    return world


def test_upstream_urls_are_gitlabs() -> None:
    """DependencyProxyHelpers#registry_url, as GitLab's specs expect the Location."""
    assert npm.forward_url("@scope/left-pad") == "https://registry.npmjs.org/@scope/left-pad"
    assert pypi.forward_url("my-package") == "https://pypi.org/simple/my-package/"
    assert maven.forward_url("com/example/app/1.0", "app-1.0.jar") == \
        "https://repo.maven.apache.org/maven2/com/example/app/1.0/app-1.0.jar"
    assert FORMATS["generic"].rules.forwarding is None


@pytest.mark.parametrize("name", [n for n, f in FORMATS.items() if f.rules.forwarding is not None])
def test_forwarding_routes_are_the_formats_endpoints(name: str) -> None:
    rules = FORMATS[name].rules
    assert rules.forwarding is not None
    assert (rules.forwarding.endpoints | rules.forwarding.by_instance_setting) <= set(FORMATS[name].endpoints)


def test_with_forwarding_a_missing_package_is_redirected(forwarding_world: World) -> None:
    for what, (spec, upstream) in missing_requests(forwarding_world).items():
        answer = ask(forwarding_world, spec)
        assert (answer.status_code, answer.headers.get("location")) == (302, upstream), what


def test_without_forwarding_a_missing_package_is_404(forwarding_world: World) -> None:
    forwarding(forwarding_world, False)
    for what, (spec, _) in missing_requests(forwarding_world).items():
        answer = ask(forwarding_world, spec)
        assert answer.status_code == 404 and "location" not in answer.headers, what


def test_forwarding_ignored_fault_answers_404(start: Callable[..., Registry]) -> None:
    world = make_world(start(faults=frozenset({Fault.FORWARDING_IGNORED})))
    forwarding(world, True)
    for what, (spec, _) in missing_requests(world).items():
        assert ask(world, spec).status_code == 404, what


def test_npm_redirects_before_the_read_check_pypi_and_maven_after(forwarding_world: World) -> None:
    """Anonymous on a private project: npm's packument is redirected (`project_or_nil`, no access check); PyPI and
    Maven refuse first, as without forwarding."""
    wanted = missing_requests(forwarding_world)
    spec, upstream = wanted["npm packument"]
    answer = ask(forwarding_world, spec, CredentialCase.ANONYMOUS, AuthScheme.NONE)
    assert (answer.status_code, answer.headers.get("location")) == (302, upstream)
    for what in ("pypi simple page", "maven jar"):
        assert ask(forwarding_world, wanted[what][0], CredentialCase.ANONYMOUS, AuthScheme.NONE).status_code == 401
    # A token GitLab looks up and cannot use is refused before anything is looked up.
    assert ask(forwarding_world, spec, CredentialCase.REVOKED_TOKEN).status_code == 401


def test_a_package_the_registry_has_is_served(forwarding_world: World) -> None:
    pid = forwarding_world.project["id"]
    artifact = maven.OPERATIONS.artifact("present", "1.0", "", 1024, 0)
    for spec in maven.OPERATIONS.push(pid, "present", "1.0", artifact):
        body = spec.body if spec.body is None or isinstance(spec.body, bytes) else b"".join(spec.body)
        answer = forwarding_world.registry.call(spec.method, spec.path, {**spec.headers,
                                                                         **forwarding_world.registry.admin}, data=body)
        assert answer.status_code in (200, 204), answer.text
    answer = ask(forwarding_world, maven.OPERATIONS.pull(pid, "present", "1.0", artifact.file_name))
    assert answer.status_code == 200 and answer.content == b"".join(artifact.chunks())
