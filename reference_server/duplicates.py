"""The group setting "reject duplicates" with its exceptions regex, as GitLab applies it to Generic packages.

A project's setting is its group's, or the nearest ancestor group's that has one; by default duplicates are allowed.
"""

import re

from reference_server.db import Database, Row


def effective_settings(db: Database, group_id: int) -> Row | None:
    for group in db.group_ancestry(group_id):
        settings = db.package_settings(group["id"])
        if settings is not None:
            return settings
    return None


def duplicate_refused(db: Database, project: Row, package: Row | None, file_name: str) -> bool:
    """True when this file would duplicate one in the package and the setting refuses it."""
    if package is None or not db.has_file_named(package["id"], file_name):
        return False
    settings = effective_settings(db, project["namespace_id"])
    if settings is None or settings["generic_duplicates_allowed"]:
        return False
    pattern = settings["generic_duplicate_exception_regex"]
    if not pattern:
        return True
    try:
        return not (re.search(pattern, package["name"]) or re.search(pattern, package["version"]))
    except re.error:
        return True
