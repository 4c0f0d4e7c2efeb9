"""Composer's requests: the publish GitLab's docs show (`curl --data tag=v1.0.0`), the archive a client downloads
(the `dist.url` of the p2 document), and the group's `packages.json`, `p2/<name>.json` and `p/<sha>.json`."""

from urllib.parse import urlencode

from core.format_types import RequestSpec
from formats.composer.names import composer_name
from formats.composer.rules import ARCHIVE, P2, PACKAGES_JSON, PROVIDER, PUBLISH

COMPOSER_V2_AGENT = "Composer/2.5.5 (Linux; PHP 8.2) harness"  # the presenter answers v2 clients by User-Agent


def publish(project_id: int | str, *, tag: str | None = None, branch: str | None = None) -> RequestSpec:
    """POST the ref to publish, as a form (doc/user/packages/composer_repository/index.md: `--data tag=<tag>`)."""
    form = urlencode({k: v for k, v in (("tag", tag), ("branch", branch)) if v is not None}).encode()
    # Sent as a stream with `Expect: 100-continue` (the HTTP driver's way for an iterable body), so a refusal
    # from the headers (GitLab authorizes before it reads a parameter) is seen to come before the body.
    return RequestSpec(PUBLISH, PUBLISH.url_path(project_id=project_id),
                       headers={"Content-Type": "application/x-www-form-urlencoded"}, body=[form],
                       body_size=len(form))


def archive(project_id: int | str, name: str, sha: str) -> RequestSpec:
    """The archive of the commit `sha` a version points at (`archives/<vendor>/<package>.zip?sha=`)."""
    return RequestSpec(ARCHIVE, ARCHIVE.url_path(project_id=project_id, package_name=composer_name(name)),
                       params={"sha": sha})


def packages_json(group_id: int | str, *, v2: bool = True) -> RequestSpec:
    headers = {"User-Agent": COMPOSER_V2_AGENT} if v2 else {"User-Agent": "Composer/1.10.26 harness"}
    return RequestSpec(PACKAGES_JSON, PACKAGES_JSON.url_path(group_id=group_id), headers=headers)


def p2(group_id: int | str, name: str, *, dev: bool = False) -> RequestSpec:
    """A package's versions (Composer 2's `metadata-url`); `~dev` is what Composer asks for its dev versions."""
    package = composer_name(name) + ("~dev" if dev else "")
    return RequestSpec(P2, P2.url_path(group_id=group_id, package_name=package),
                       headers={"User-Agent": COMPOSER_V2_AGENT})


def provider(group_id: int | str, sha: str) -> RequestSpec:
    return RequestSpec(PROVIDER, PROVIDER.url_path(group_id=group_id, sha=sha),
                       headers={"User-Agent": "Composer/1.10.26 harness"})
