"""How the harness spells a Composer package: `harness/<name>` in composer.json, the tag `v<version>`, the branch
each publish commits to, the archive's file name, and the PHP namespace of its source."""

import re

from formats.composer.rules import VENDOR


def composer_name(name: str) -> str:
    """composer.json's `name` for a harness package name (Composer's `vendor/package`), lower-case as Composer
    requires (`composer validate`: "name ... must be lowercase")."""
    return f"{VENDOR}/{name.lower()}"


def archive_file_name(name: str, version: str) -> str:
    """What the harness calls the archive of a version (GitLab's route is `archives/<vendor>/<package>.zip`)."""
    return f"{name.lower()}-{version}.zip"


def branch_name(version: str, serial: int) -> str:
    """A fresh branch for one publish of a version: a branch of its own (a commit without a parent), so that a
    republish never needs to update files another commit holds. Not a version-like name: a branch named like a
    version would itself publish as `<version>.x-dev`."""
    return f"harness-publish-{version}-{serial}"


def php_namespace(name: str) -> str:
    """A PSR-4 namespace for the package's source (`Harness\\SmallPackage`)."""
    words = [w for w in re.split(r"[^A-Za-z0-9]+", name) if w]
    studly = "".join(w[:1].upper() + w[1:] for w in words) or "Package"
    if studly[0].isdigit():
        studly = "P" + studly
    return f"Harness\\{studly}"
