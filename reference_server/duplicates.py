"""Whether an upload would duplicate a file, and whether the format's rules and the group's settings refuse it.

Formats whose duplicate policy is switchable (`rules.duplicates.switchable`: Generic, Maven) have a group setting
"reject duplicates" with an exceptions regex; a project's setting is its group's, or the nearest ancestor group's
that has one. Formats without the setting (npm, PyPI) apply their default: refused. And the format's answer to a
refused duplicate.
"""

import re

from formats import FORMATS
from reference_server.db import Database, Row, allowed_column, regex_column
from reference_server.errors import ApiError, refused


def effective_settings(db: Database, group_id: int) -> Row | None:
    for group in db.group_ancestry(group_id):
        settings = db.package_settings(group["id"])
        if settings is not None:
            return settings
    return None


def duplicates_refused(db: Database, project: Row, format_name: str, name: str, version: str) -> bool:
    """True when a duplicate of this name and version would be refused in this project."""
    policy = FORMATS[format_name].rules.duplicates
    if not policy.switchable:
        return not policy.allowed_by_default
    settings = effective_settings(db, project["namespace_id"])
    if settings is None or settings[allowed_column(format_name)]:
        return False
    pattern = settings[regex_column(format_name)]
    if not pattern:
        return True
    try:
        return not (re.search(pattern, name) or re.search(pattern, version))
    except re.error:
        return True


def duplicate_refused(db: Database, project: Row, package: Row | None, file_name: str) -> bool:
    """True when this file would duplicate one in the package and the setting refuses it."""
    if package is None or not db.has_file_named(package["id"], file_name):
        return False
    return duplicates_refused(db, project, package["package_type"], package["name"], package["version"])


def duplicate_refusal(format_name: str, detail: str | None = None) -> ApiError:
    """The format's refusal of a duplicate (its status and message, with `detail` after it)."""
    policy = FORMATS[format_name].rules.duplicates
    message = policy.refused_message if detail is None else f"{policy.refused_message} {detail}"
    return refused(policy.refused_status, message)
