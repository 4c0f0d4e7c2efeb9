"""Where GitLab's package behaviour changed between versions (or hangs on a feature flag), and which rules hold for a
target.

The harness reads the target's version (`GET /api/v4/version`) and, where the owner token is an administrator, its
feature flags (`GET /api/v4/features`), and takes the rules for them; an unknown or unreadable version falls back to
the newest rules, a flag it cannot read to the flag's default, and the report says which it chose. The reference
server serves the newest rules with every flag at GitLab's default.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class VersionedRule:
    """A behaviour GitLab has from version `since` on; before it, `before` describes what it did."""

    name: str
    since: tuple[int, int] | None  # None: changed in a version not pinned (the newest behaviour is assumed)
    holds: str
    before: str
    source: str
    feature_flag: str | None = None  # from `since` on, the rule holds only with this flag on
    default_enabled: bool = True  # the flag's `default_enabled` (config/feature_flags/**/<flag>.yml)


GUEST_PULL = VersionedRule(
    "guest_pull",
    (17, 9),
    holds="a guest member may read (pull) packages",
    before="only reporters and above may read packages of a private project",
    source="config/feature_flags/beta/allow_guest_plus_roles_to_pull_packages.yml (milestone 17.9, "
    "default_enabled: false); app/policies/project_policy.rb; spec 'when "
    "allow_guest_plus_roles_to_pull_packages is disabled'",
    feature_flag="allow_guest_plus_roles_to_pull_packages",
    default_enabled=False,
)
DEPLOY_TOKEN_DESTROY = VersionedRule(
    "deploy_token_destroy",
    None,  # the two stored policy versions differ; neither names its milestone
    holds="a write_package_registry deploy token may destroy packages (npm dist-tag delete)",
    before="deploy tokens may read and create, never destroy",
    source="app/policies/project_policy.rb (`rule { write_package_registry_deploy_token }` enables "
    "`destroy_package`); spec npm 'accept delete package tag request' with deploy_token",
)
NPM_DIST_TAGS_NON_PUBLIC = VersionedRule(
    "npm_dist_tags_non_public",
    None,  # the older concern lacks the setting; no milestone was found
    holds="npm dist-tags GET answers an anonymous request to a private project 401",
    before="it answered 404 (Project Not Found)",
    source="lib/api/concerns/packages/npm_endpoints.rb (`authenticate_non_public: true` on dist-tags GET)",
)

RULES: tuple[VersionedRule, ...] = (GUEST_PULL, DEPLOY_TOKEN_DESTROY, NPM_DIST_TAGS_NON_PUBLIC)
_VERSION = re.compile(r"^\s*v?(\d+)\.(\d+)")


@dataclass(frozen=True, slots=True)
class RuleSet:
    """The versioned rules in force for one target, and how they were chosen (for the report)."""

    version: str | None  # what the target said, or None
    in_force: frozenset[str]
    chosen: str  # sentences: "GitLab 17.6: …" or "unknown version: the newest rules", and the flags read

    def holds(self, rule: VersionedRule) -> bool:
        return rule.name in self.in_force


def parse_version(text: str | None) -> tuple[int, int] | None:
    """'17.6.2-ee' → (17, 6); None for anything that is not a GitLab version."""
    match = _VERSION.match(text or "")
    return (int(match.group(1)), int(match.group(2))) if match else None


def _since(rule: VersionedRule) -> str:
    return f"{rule.since[0]}.{rule.since[1]}" if rule.since else "an unpinned version"


def _flag_on(rule: VersionedRule, flags: Mapping[str, bool] | None) -> bool:
    if rule.feature_flag is None:
        return True
    if flags is None or rule.feature_flag not in flags:
        return rule.default_enabled
    return flags[rule.feature_flag]


def rules_for(version: str | None, flags: Mapping[str, bool] | None = None) -> RuleSet:
    """The rules for a target that reported `version` (None: not read; unknown versions get the newest) and the
    feature flags `flags` (None: not read; a flag not in it is at its default)."""
    parsed = parse_version(version)
    if parsed is None:
        why = "the target did not report a version" if version is None else f"version {version!r} is not GitLab's"
        by_version = frozenset(rule.name for rule in RULES)
        chosen = f"{why}: the newest rules apply"
    else:
        by_version = frozenset(rule.name for rule in RULES if rule.since is None or parsed >= rule.since)
        older = [rule for rule in RULES if rule.name not in by_version]
        chosen = f"GitLab {parsed[0]}.{parsed[1]}: " + (
            "the newest rules"
            if not older
            else "older rules for "
            + "; ".join(f"{rule.name} (from {_since(rule)}; before, {rule.before})" for rule in older)
        )
    unpinned = [rule.name for rule in RULES if rule.since is None]
    if unpinned:
        chosen += (
            "; where the version a change came with is not known, the newest behaviour is assumed for every "
            "version: " + ", ".join(unpinned)
        )
    in_force = frozenset(rule.name for rule in RULES if rule.name in by_version and _flag_on(rule, flags))
    flagged = [rule for rule in RULES if rule.feature_flag and rule.name in by_version]
    if flagged:
        source = "as the target reports them" if flags is not None else "at GitLab's defaults (flags not read)"
        chosen += (
            "; feature flags "
            + source
            + ": "
            + ", ".join(f"{rule.feature_flag} {'on' if rule.name in in_force else 'off'}" for rule in flagged)
        )
    return RuleSet(version, in_force, chosen)


NEWEST = rules_for(None)  # the reference server's rules: newest version, every flag at its default
ALL_FLAGS_ON = rules_for(None, {rule.feature_flag: True for rule in RULES if rule.feature_flag})  # GitLab's specs
