"""The RubyGems format's harness side: the gems are real (a tar RubyGems reads: metadata.gz, data.tar.gz,
checksums.yaml.gz with correct digests, of exactly the size asked for), Ruby's Marshal round-trips, and the requests
are what `gem push` and Bundler send; the expected answers are GitLab's spec rows."""

import gzip
import hashlib
import io
import tarfile

import pytest
import yaml

from core.credentials import Credential, auth_headers
from core.permissions import expected_for
from core.project_setup import ProjectSetup, Visibility
from core.vocabulary import AuthScheme, CredentialCase, Operation, TokenKind
from formats import FORMATS, OPERATIONS
from formats.rubygems import marshal
from formats.rubygems.artifacts import Dependency, GemArtifact
from formats.rubygems.rules import DEPENDENCIES, DOWNLOAD, PUSH, PUSH_ROUTE, READ_ROUTE, RULES
from reference_server.formats.rubygems.gems import GemError, parse_gemspec, read_gem


def _open(data: bytes) -> tarfile.TarFile:
    return tarfile.open(fileobj=io.BytesIO(data), mode="r:")


@pytest.mark.parametrize("size", [0, 9000, 70_000, 1 << 20, (1 << 20) + 1, 3 * 65535 + 17])
def test_gem_is_a_real_gem_of_the_size_asked_for(size: int) -> None:
    gem = GemArtifact("harness-gem", "1.2.3", size, seed=7)
    data = gem.data()
    assert len(data) == gem.size and (size < 8000 or gem.size == size)
    tar = _open(data)
    assert tar.getnames() == ["metadata.gz", "data.tar.gz", "checksums.yaml.gz"]
    metadata = tar.extractfile("metadata.gz").read()  # type: ignore[union-attr]
    contents = tar.extractfile("data.tar.gz").read()  # type: ignore[union-attr]
    checksums = yaml.safe_load(gzip.decompress(tar.extractfile("checksums.yaml.gz").read()))  # type: ignore[union-attr]
    assert checksums["SHA256"] == {"metadata.gz": hashlib.sha256(metadata).hexdigest(),
                                   "data.tar.gz": hashlib.sha256(contents).hexdigest()}
    assert checksums["SHA512"]["data.tar.gz"] == hashlib.sha512(contents).hexdigest()
    inner = tarfile.open(fileobj=io.BytesIO(gzip.decompress(contents)))
    assert "lib/harness-gem.rb" in inner.getnames()
    spec = parse_gemspec(gzip.decompress(metadata))
    assert (spec.name, spec.version, spec.platform) == ("harness-gem", "1.2.3", "ruby")
    assert gem.sha256() == hashlib.sha256(data).hexdigest()


def test_gem_streams_without_building_the_payload_first() -> None:
    gem = GemArtifact("big", "1.0.0", (3 << 30) + 1)  # one over GitLab's 3 GiB: only its first chunks are made
    first = next(iter(gem.chunks()))
    assert gem.size == (3 << 30) + 1 and first[257:262] == b"ustar"


def test_dependencies_travel_in_the_gemspec(tmp_path: object) -> None:
    gem = GemArtifact("with-deps", "2.0.0", 0, dependencies=(Dependency("rake", "~> 13.0"),
                                                            Dependency("rspec", ">= 3, < 4", "development")))
    spec = parse_gemspec(gzip.decompress(_open(gem.data()).extractfile("metadata.gz").read()))  # type: ignore
    assert [(d.name, d.requirement, d.type) for d in spec.dependencies] == [
        ("rake", "~> 13.0", "runtime"), ("rspec", ">= 3, < 4", "development")]


def test_a_file_that_is_no_gem_is_refused_by_the_reader(tmp_path: "pytest.TempPathFactory") -> None:
    path = OPERATIONS["rubygems"].invalid_artifact("x", "1.0.0").write_to(tmp_path)  # type: ignore[union-attr,arg-type]
    with pytest.raises(GemError):
        read_gem(path)


def test_marshal_round_trip_and_ruby_bytes() -> None:
    value = [{marshal.Symbol("name"): "a", marshal.Symbol("number"): "1.0", marshal.Symbol("platform"): "ruby",
              marshal.Symbol("dependencies"): [["b", "~> 1.0"]]}]
    data = marshal.dump(value)
    # what Ruby 3.1's Marshal.dump([{name: "a", ...}]) writes: the header, an Array of one Hash, a UTF-8 String
    assert data.startswith(b"\x04\x08[\x06{\x09:\x09nameI\"\x06a\x06:\x06ET")
    assert marshal.load(data) == value
    assert marshal.dependency_list(data) == [{"name": "a", "number": "1.0", "platform": "ruby",
                                              "dependencies": [["b", "~> 1.0"]]}]


def test_requests_are_what_gem_and_bundler_send() -> None:
    ops = OPERATIONS["rubygems"]
    gem = ops.artifact("g", "1.0.0", "ignored.bin", 0, 0)
    push = ops.push(5, "g", "1.0.0", gem)
    assert [(s.method, s.path) for s in push] == [("POST", "/api/v4/projects/5/packages/rubygems/api/v1/gems")]
    assert push[0].body_size == gem.size and push[0].headers["Content-Type"] == "application/octet-stream"
    metadata = ops.metadata(5, "g")
    assert metadata is not None and metadata.endpoint is DEPENDENCIES and metadata.params == {"gems": "g"}
    assert ops.pull(5, "g", "1.0.0", "x.bin").path == "/api/v4/projects/5/packages/rubygems/gems/g-1.0.0.gem"
    assert FORMATS["rubygems"].endpoint("download") is DOWNLOAD and PUSH.success_status == 201


def test_the_token_alone_in_authorization() -> None:
    token = Credential(CredentialCase.PERSONAL_ACCESS_TOKEN, TokenKind.PERSONAL_ACCESS_TOKEN, "glpat-abcdef")
    assert auth_headers(token, AuthScheme.TOKEN) == {"Authorization": "glpat-abcdef"}
    assert READ_ROUTE.schemes == frozenset({AuthScheme.TOKEN}) and READ_ROUTE.owner_scheme is AuthScheme.TOKEN


PRIVATE = ProjectSetup(visibility=Visibility.PRIVATE)


@pytest.mark.parametrize(("credential", "scheme", "operation", "status"), [
    # spec/requests/api/rubygem_packages_spec.rb: the token in HTTP_AUTHORIZATION
    (CredentialCase.PERSONAL_ACCESS_TOKEN, AuthScheme.TOKEN, Operation.PUSH, None),
    (CredentialCase.JOB_TOKEN, AuthScheme.TOKEN, Operation.PUSH, None),
    (CredentialCase.PROJECT_DEPLOY_TOKEN, AuthScheme.TOKEN, Operation.PULL, None),
    (CredentialCase.ANONYMOUS, AuthScheme.NONE, Operation.PUSH, 401),  # `:private | :anonymous` upload → 401
    (CredentialCase.ANONYMOUS, AuthScheme.NONE, Operation.PULL, 404),  # download → 404
    (CredentialCase.ANONYMOUS, AuthScheme.NONE, Operation.METADATA, 404),  # dependencies → 404
    (CredentialCase.REVOKED_TOKEN, AuthScheme.TOKEN, Operation.PULL, 401),
    (CredentialCase.OTHER_PROJECT_TOKEN, AuthScheme.TOKEN, Operation.PULL, 404),  # not a member → 404
    # not read there (find_user_from_sources' namespace_inheritable branch): anonymous, or no token at all
    (CredentialCase.PERSONAL_ACCESS_TOKEN, AuthScheme.HEADER, Operation.PULL, 404),
    (CredentialCase.PERSONAL_ACCESS_TOKEN, AuthScheme.BEARER, Operation.PULL, 401),
])
def test_expected_answers_are_gitlabs(credential: CredentialCase, scheme: AuthScheme, operation: Operation,
                                      status: int | None) -> None:
    route = PUSH_ROUTE if operation is Operation.PUSH else READ_ROUTE
    want = expected_for(credential, operation, route, scheme, project=PRIVATE)
    assert want.status == status, want.reason
    assert want.challenge is None or status == 401  # no BasicAuthHelpers: no Basic challenge


def test_rules_are_rubygems() -> None:
    assert RULES.name_pattern.fullmatch("my_gem-2.x") and not RULES.name_pattern.fullmatch("-gem")
    assert not RULES.name_pattern.fullmatch("123") and RULES.version_pattern.fullmatch("1.0.0.rc1")
    assert RULES.size_limit == 3 << 30 and RULES.plan_limit == "rubygems_max_file_size"
    assert RULES.duplicates.allowed_by_default and RULES.processed_in_background
