"""The Generic format's rules match seed 003, and the artifact builder streams what it promises."""

import hashlib
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from formats.generic import RULES, GeneratedFile

# Seed 003, verbatim (Ruby's \A \z spelled for Python; \w is ASCII in Ruby).
SEED_VERSION = re.compile(r"\A(\.?[\w\+-]+\.?)+\Z", re.ASCII)
SEED_NAME = re.compile(r"\A[a-zA-Z0-9._-]+\Z")

version_chars = st.text(alphabet="ab1_+-.é/ ", max_size=12)


@settings(max_examples=400, deadline=None)
@given(version_chars)
def test_version_rule_accepts_exactly_what_the_seed_regex_accepts(version: str) -> None:
    assert bool(RULES.version_pattern.fullmatch(version)) == bool(SEED_VERSION.match(version))
    assert (RULES.version_error(version) is None) == bool(SEED_VERSION.match(version))


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=20))
def test_name_and_file_name_rules_match_the_seed(name: str) -> None:
    assert (RULES.name_error(name) is None) == bool(SEED_NAME.match(name))
    assert (RULES.file_name_error(name) is None) == bool(SEED_NAME.match(name))


def test_refusal_messages_name_the_field_and_the_rule() -> None:
    assert "package_version" in (RULES.version_error("1/2") or "")
    assert "package_name" in (RULES.name_error("a b") or "")


@settings(max_examples=50, deadline=None)
@given(st.integers(min_value=0, max_value=3 << 20), st.integers(min_value=0, max_value=5))
def test_generated_file_has_its_size_and_a_stable_digest(size: int, seed: int) -> None:
    artifact = GeneratedFile(size=size, seed=seed, chunk_size=1 << 18)
    data = b"".join(artifact.chunks())
    assert len(data) == size
    assert artifact.sha256() == hashlib.sha256(data).hexdigest()


def test_generated_files_with_other_seeds_differ_and_chunks_are_not_repeated() -> None:
    a, b = GeneratedFile(size=2 << 20, seed=1), GeneratedFile(size=2 << 20, seed=2)
    assert a.sha256() != b.sha256()
    first, second = list(a.chunks())
    assert first != second
