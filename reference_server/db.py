"""SQLite persistence: the schema and every query. One connection (WAL), guarded by a re-entrant lock.

Every change to a project's packages (a row of packages, package_files, package_metadata or package_tags inserted,
updated or deleted, by any statement, cascades included) bumps the project's row in package_revisions, from
triggers: the metadata cache (reference_server/metadata_cache.py) compares that number instead of relying on each
write path to invalidate it.
"""

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from core.project_setup import ProjectSetup, ProtectionRule, RegistryAccess, Role, Visibility
from formats import FORMATS, FORWARDING_PACKAGE_TYPES

Row = sqlite3.Row

ROOT_USER_ID = 1

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    username TEXT NOT NULL UNIQUE,
    is_admin INTEGER NOT NULL DEFAULT 0,
    bot INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS namespaces (  -- groups and subgroups
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    path TEXT NOT NULL,
    parent_id INTEGER REFERENCES namespaces(id) ON DELETE CASCADE,
    full_path TEXT NOT NULL UNIQUE COLLATE NOCASE,
    visibility TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS package_settings (  -- columns per format, added by _add_columns (see ADDED_COLUMNS)
    namespace_id INTEGER PRIMARY KEY REFERENCES namespaces(id) ON DELETE CASCADE
);
CREATE TABLE IF NOT EXISTS projects (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    path TEXT NOT NULL,
    namespace_id INTEGER NOT NULL REFERENCES namespaces(id) ON DELETE CASCADE,
    full_path TEXT NOT NULL UNIQUE COLLATE NOCASE,
    visibility TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS members (  -- project members (there are no group members)
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    access_level INTEGER NOT NULL,
    PRIMARY KEY (project_id, user_id)
);
CREATE TABLE IF NOT EXISTS jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    status TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS protection_rules (  -- POST /projects/:id/packages/protection/rules
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    package_name_pattern TEXT NOT NULL,      -- `*` is a wildcard
    package_type TEXT NOT NULL,
    minimum_access_level_for_push TEXT NOT NULL,  -- GitLab's name: maintainer, owner or admin
    UNIQUE (project_id, package_type, package_name_pattern)
);
CREATE TABLE IF NOT EXISTS job_token_allowlist (  -- target's job tokens may reach source (GitLab's inbound allowlist)
    source_project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    target_project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    PRIMARY KEY (source_project_id, target_project_id)
);
CREATE TABLE IF NOT EXISTS tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,                      -- a core.vocabulary.TokenKind value
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,         -- sha256 hex of the token; the token itself is never stored
    scopes TEXT NOT NULL,                    -- JSON list
    expires_at TEXT,                         -- YYYY-MM-DD
    revoked INTEGER NOT NULL DEFAULT 0,
    user_id INTEGER REFERENCES users(id) ON DELETE CASCADE,
    project_id INTEGER REFERENCES projects(id) ON DELETE CASCADE,
    namespace_id INTEGER REFERENCES namespaces(id) ON DELETE CASCADE,
    job_id INTEGER REFERENCES jobs(id) ON DELETE CASCADE,
    access_level INTEGER,
    username TEXT,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS packages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    package_type TEXT NOT NULL,
    name TEXT NOT NULL,
    version TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (project_id, package_type, name, version)
);
CREATE TABLE IF NOT EXISTS package_files (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    package_id INTEGER NOT NULL REFERENCES packages(id) ON DELETE CASCADE,
    file_name TEXT NOT NULL,
    size INTEGER NOT NULL,
    file_md5 TEXT NOT NULL,
    file_sha1 TEXT NOT NULL,
    file_sha256 TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS package_files_by_name ON package_files (package_id, file_name, id);
CREATE TABLE IF NOT EXISTS package_metadata (  -- what a format extracts from a package (package.json, METADATA, pom)
    package_id INTEGER PRIMARY KEY REFERENCES packages(id) ON DELETE CASCADE,
    data TEXT NOT NULL                       -- JSON object; its shape is the format's own
);
CREATE TABLE IF NOT EXISTS package_tags (  -- npm dist-tags: one version per (project, name, tag)
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    package_type TEXT NOT NULL,
    name TEXT NOT NULL,
    tag TEXT NOT NULL,
    package_id INTEGER NOT NULL REFERENCES packages(id) ON DELETE CASCADE,
    PRIMARY KEY (project_id, package_type, name, tag)
);
CREATE TABLE IF NOT EXISTS package_revisions (  -- bumped by the triggers below; no row yet means 0
    project_id INTEGER PRIMARY KEY,  -- no foreign key: a deleted project's revision stays (project ids never return)
    revision INTEGER NOT NULL
);
"""


def _revision_triggers() -> str:
    """AFTER INSERT/UPDATE/DELETE triggers on the package tables, each bumping the revision of the project the row
    belongs to (through its package for files and metadata; for an update, before and after)."""
    bump = ("INSERT INTO package_revisions (project_id, revision) SELECT {project} WHERE {where}"
            " ON CONFLICT (project_id) DO UPDATE SET revision = revision + 1;")
    direct = {"project": "{row}.project_id, 1", "where": "true"}
    through_package = {"project": "project_id, 1 FROM packages", "where": "id = {row}.package_id"}
    tables = {"packages": direct, "package_tags": direct, "package_files": through_package,
              "package_metadata": through_package}
    rows = {"INSERT": ("NEW",), "UPDATE": ("OLD", "NEW"), "DELETE": ("OLD",)}
    sql = []
    for table, target in tables.items():
        for event, which in rows.items():
            body = " ".join(bump.format(project=target["project"].format(row=row), where=target["where"].format(
                row=row)) for row in which)
            sql.append(f"CREATE TRIGGER IF NOT EXISTS {table}_{event.lower()}_revision AFTER {event} ON {table}"
                       f" BEGIN {body} END;")
    return "\n".join(sql)


SCHEMA += _revision_triggers()

# The formats whose duplicate policy a group setting switches (each has its two columns in package_settings).
SWITCHABLE_DUPLICATES = tuple(name for name, fmt in FORMATS.items() if fmt.rules.duplicates.switchable)


def allowed_column(package_type: str) -> str:
    """The package_settings column saying whether a format's duplicates are allowed in a group."""
    return f"{package_type}_duplicates_allowed"


def regex_column(package_type: str) -> str:
    """The package_settings column holding a format's duplicate exceptions regex."""
    return f"{package_type}_duplicate_exception_regex"


def forwarding_column(package_type: str) -> str:
    """The package_settings column saying whether a group forwards a format's package requests: NULL inherits the
    parent group's setting (GitLab's cascading setting), down from the instance's (here: no forwarding)."""
    return f"{package_type}_package_requests_forwarding"


# Columns added to a table where missing (a new data directory, or one from an older server): table → column → its
# declaration. A column no longer listed stays unread.
ADDED_COLUMNS: dict[str, dict[str, str]] = {
    "users": {"name": "TEXT", "email": "TEXT"},
    "projects": {"package_registry_access_level": f"TEXT NOT NULL DEFAULT '{RegistryAccess.ENABLED.value}'"},
    "jobs": {"user_id": "INTEGER REFERENCES users(id) ON DELETE SET NULL"},  # the job's user
    "package_settings": {
        **{allowed_column(t): "INTEGER NOT NULL DEFAULT 1" for t in SWITCHABLE_DUPLICATES},
        **{regex_column(t): "TEXT NOT NULL DEFAULT ''" for t in SWITCHABLE_DUPLICATES},
        **{forwarding_column(t): "INTEGER" for t in FORWARDING_PACKAGE_TYPES},
    },
}

ORDER_COLUMNS = {"created_at": "created_at", "name": "name", "version": "version", "type": "package_type"}

# GitLab's status of a package whose metadata a background worker has not extracted yet: not installable (it is in
# no metadata document, and its files answer 404). Only the processing_stuck fault creates such packages here.
PROCESSING = "processing"


def installable(package: Row) -> bool:
    return bool(package["status"] != PROCESSING)


def _chunks(ids: list[int], size: int = 500) -> list[list[int]]:
    """`ids` in lists of at most `size` (one `IN (...)` each, well under SQLite's limit on parameters)."""
    return [ids[start:start + size] for start in range(0, len(ids), size)]


def now_iso() -> str:
    """GitLab's timestamp format: 2021-10-12T12:05:23.387Z."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class Database:
    def __init__(self, path: Path) -> None:
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._conn.row_factory = sqlite3.Row
        self._conn.execute("PRAGMA journal_mode=WAL")
        # Writes run on the event loop: with the default (FULL), every commit waits for an fsync of the WAL, and
        # every other request waits with it. NORMAL syncs at checkpoints only; WAL stays consistent, and a crash of
        # the server loses nothing (only an OS crash or power cut may lose the last commits).
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.execute("PRAGMA foreign_keys=ON")
        self._conn.execute("PRAGMA busy_timeout=5000")
        self._conn.executescript(SCHEMA)
        self._add_columns()
        self._conn.execute("INSERT OR IGNORE INTO users (id, username, is_admin) VALUES (?, 'root', 1)",
                           (ROOT_USER_ID,))

    def _add_columns(self) -> None:
        """Every column of ADDED_COLUMNS, where missing: added to its table, the rows kept (with the default)."""
        for table, columns in ADDED_COLUMNS.items():
            present = {r["name"] for r in self._conn.execute(f"PRAGMA table_info({table})")}
            for column, declaration in columns.items():
                if column not in present:
                    self._conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All statements inside run in one IMMEDIATE transaction (nested use joins the outer one)."""
        with self._lock:
            if self._conn.in_transaction:
                yield
                return
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    @property
    def in_transaction(self) -> bool:
        """True inside an open transaction (of any thread: callers outside it wait on the lock anyway)."""
        return self._conn.in_transaction

    def _all(self, sql: str, args: tuple[Any, ...] = ()) -> list[Row]:
        with self._lock:
            return self._conn.execute(sql, args).fetchall()

    def _one(self, sql: str, args: tuple[Any, ...] = ()) -> Row | None:
        with self._lock:
            row: Row | None = self._conn.execute(sql, args).fetchone()
            return row

    def _insert(self, sql: str, args: tuple[Any, ...]) -> int:
        with self._lock:
            row_id = self._conn.execute(sql, args).lastrowid
        assert row_id is not None
        return row_id

    def _run(self, sql: str, args: tuple[Any, ...] = ()) -> int:
        with self._lock:
            return self._conn.execute(sql, args).rowcount

    # users and members

    def user(self, user_id: int) -> Row | None:
        return self._one("SELECT * FROM users WHERE id = ?", (user_id,))

    def create_bot_user(self, username: str) -> int:
        return self._insert("INSERT INTO users (username, bot) VALUES (?, 1)", (username,))

    def create_user(self, username: str, name: str, email: str) -> Row:
        """A regular (not administrator, not bot) user; sqlite3.IntegrityError when the username is taken."""
        user_id = self._insert("INSERT INTO users (username, name, email) VALUES (?, ?, ?)", (username, name, email))
        user = self.user(user_id)
        assert user is not None
        return user

    def delete_user(self, user_id: int) -> bool:
        """Remove a user with its memberships and tokens; False when there was none."""
        return self._run("DELETE FROM users WHERE id = ?", (user_id,)) > 0

    def add_member(self, project_id: int, user_id: int, access_level: int) -> None:
        self._run("INSERT OR REPLACE INTO members VALUES (?, ?, ?)", (project_id, user_id, access_level))

    def remove_member(self, project_id: int, user_id: int) -> bool:
        return self._run("DELETE FROM members WHERE project_id = ? AND user_id = ?", (project_id, user_id)) > 0

    def member_level(self, project_id: int, user_id: int) -> int | None:
        """The user's access level as a member of the project, or None. Only project membership: the reference
        server has no group members, so nothing is inherited from the project's group or its ancestors."""
        row = self._one("SELECT access_level FROM members WHERE project_id = ? AND user_id = ?",
                        (project_id, user_id))
        return None if row is None else int(row["access_level"])

    # groups

    def create_group(self, name: str, path: str, parent: Row | None, visibility: str) -> Row:
        full_path = f"{parent['full_path']}/{path}" if parent else path
        group_id = self._insert(
            "INSERT INTO namespaces (name, path, parent_id, full_path, visibility, created_at) VALUES (?,?,?,?,?,?)",
            (name, path, parent["id"] if parent else None, full_path, visibility, now_iso()))
        group = self.group(group_id)
        assert group is not None
        return group

    def group(self, group_id: int) -> Row | None:
        return self._one("SELECT * FROM namespaces WHERE id = ?", (group_id,))

    def group_by_ref(self, ref: str) -> Row | None:
        """A group by numeric id or full path."""
        if ref.isdigit():
            return self.group(int(ref))
        return self._one("SELECT * FROM namespaces WHERE full_path = ?", (ref,))

    def group_ancestry(self, group_id: int) -> list[Row]:
        """The group itself, then its parent, up to the top-level group."""
        return self._all("""
            WITH RECURSIVE up(id, depth) AS (
                SELECT id, 0 FROM namespaces WHERE id = ?
                UNION ALL SELECT n.parent_id, up.depth + 1 FROM namespaces n JOIN up ON n.id = up.id
                WHERE n.parent_id IS NOT NULL)
            SELECT namespaces.* FROM up JOIN namespaces USING (id) ORDER BY depth""", (group_id,))

    def projects_under_group(self, group_id: int) -> list[int]:
        """Ids of every project in the group or any of its subgroups."""
        rows = self._all("""
            WITH RECURSIVE down(id) AS (
                SELECT ? UNION ALL SELECT n.id FROM namespaces n JOIN down ON n.parent_id = down.id)
            SELECT p.id FROM projects p JOIN down ON p.namespace_id = down.id""", (group_id,))
        return [int(r["id"]) for r in rows]

    def delete_group(self, group_id: int) -> None:
        self._run("DELETE FROM namespaces WHERE id = ?", (group_id,))

    def package_settings(self, group_id: int) -> Row | None:
        return self._one("SELECT * FROM package_settings WHERE namespace_id = ?", (group_id,))

    def ensure_package_settings(self, group_id: int) -> Row:
        """The group's settings row, created with every default if it has none."""
        with self.transaction():
            self._run("INSERT OR IGNORE INTO package_settings (namespace_id) VALUES (?)", (group_id,))
            row = self.package_settings(group_id)
        assert row is not None
        return row

    def set_package_settings(self, group_id: int, package_type: str, allowed: bool | None,
                             regex: str | None) -> Row:
        """Set one format's duplicate settings (`package_type` is one of SWITCHABLE_DUPLICATES)."""
        if package_type not in SWITCHABLE_DUPLICATES:
            raise ValueError(f"{package_type} has no duplicate settings")
        with self.transaction():
            self.ensure_package_settings(group_id)
            if allowed is not None:
                self._run(f"UPDATE package_settings SET {allowed_column(package_type)} = ? WHERE namespace_id = ?",
                          (int(allowed), group_id))
            if regex is not None:
                self._run(f"UPDATE package_settings SET {regex_column(package_type)} = ?"
                          " WHERE namespace_id = ?", (regex, group_id))
            row = self.package_settings(group_id)
        assert row is not None
        return row

    def set_forwarding(self, group_id: int, package_type: str, enabled: bool) -> Row:
        """Set one format's package request forwarding in a group (`package_type` in FORWARDING_PACKAGE_TYPES)."""
        if package_type not in FORWARDING_PACKAGE_TYPES:
            raise ValueError(f"{package_type} has no request forwarding")
        with self.transaction():
            self.ensure_package_settings(group_id)
            self._run(f"UPDATE package_settings SET {forwarding_column(package_type)} = ? WHERE namespace_id = ?",
                      (int(enabled), group_id))
            row = self.package_settings(group_id)
        assert row is not None
        return row

    def forwarding(self, group_id: int, package_type: str) -> bool:
        """Whether the group forwards requests for `package_type` packages it lacks: its own setting, else the
        nearest ancestor's, else the instance's (no forwarding). False for a format GitLab does not forward."""
        if package_type not in FORWARDING_PACKAGE_TYPES:
            return False
        for group in self.group_ancestry(group_id):
            settings = self.package_settings(group["id"])
            if settings is not None and settings[forwarding_column(package_type)] is not None:
                return bool(settings[forwarding_column(package_type)])
        return False

    # projects

    def create_project(self, name: str, path: str, group: Row, visibility: str) -> Row:
        project_id = self._insert(
            "INSERT INTO projects (name, path, namespace_id, full_path, visibility, created_at) VALUES (?,?,?,?,?,?)",
            (name, path, group["id"], f"{group['full_path']}/{path}", visibility, now_iso()))
        project = self.project(project_id)
        assert project is not None
        return project

    def project(self, project_id: int) -> Row | None:
        return self._one("SELECT * FROM projects WHERE id = ?", (project_id,))

    def project_by_ref(self, ref: str) -> Row | None:
        """A project by numeric id or full path (`group/sub/project`)."""
        if ref.isdigit():
            return self.project(int(ref))
        return self._one("SELECT * FROM projects WHERE full_path = ?", (ref,))

    def delete_project(self, project_id: int) -> None:
        self._run("DELETE FROM projects WHERE id = ?", (project_id,))

    def edit_project(self, project_id: int, *, visibility: str | None = None,
                     registry_access: str | None = None) -> Row:
        """Change a project's visibility and its package registry access level (None leaves one as it is)."""
        with self.transaction():
            if visibility is not None:
                self._run("UPDATE projects SET visibility = ? WHERE id = ?", (visibility, project_id))
            if registry_access is not None:
                self._run("UPDATE projects SET package_registry_access_level = ? WHERE id = ?",
                          (registry_access, project_id))
            project = self.project(project_id)
        assert project is not None
        return project

    def project_setup(self, project_id: int, package_type: str) -> ProjectSetup:
        """The project's setup as a request for a `package_type` package meets it: its visibility, its package
        registry access level, its protection rules for that type (in creation order) and its group's forwarding of
        that type. ValueError for an unknown project, or for an `admin` rule (which a ProjectSetup cannot hold)."""
        project = self.project(project_id)
        if project is None:
            raise ValueError(f"no project {project_id}")
        rules = []
        for rule in self.protection_rules(project_id, package_type):
            level = rule["minimum_access_level_for_push"]
            if level not in {role.value for role in Role}:
                raise ValueError(f"protection rule {rule['id']} of project {project_id} needs {level!r} to push,"
                                 " which no role names")
            rules.append(ProtectionRule(rule["package_name_pattern"], Role(level)))
        return ProjectSetup(
            visibility=Visibility(project["visibility"]),
            registry_access=RegistryAccess(project["package_registry_access_level"]),
            protection_rules=tuple(rules),
            forwarding=self.forwarding(int(project["namespace_id"]), package_type),
        )

    # package protection rules

    def create_protection_rule(self, project_id: int, pattern: str, package_type: str, minimum_level: str) -> Row:
        """sqlite3.IntegrityError when the project has a rule of this type and pattern already."""
        rule_id = self._insert("INSERT INTO protection_rules (project_id, package_name_pattern, package_type,"
                               " minimum_access_level_for_push) VALUES (?, ?, ?, ?)",
                               (project_id, pattern, package_type, minimum_level))
        rule = self.protection_rule(project_id, rule_id)
        assert rule is not None
        return rule

    def protection_rule(self, project_id: int, rule_id: int) -> Row | None:
        return self._one("SELECT * FROM protection_rules WHERE project_id = ? AND id = ?", (project_id, rule_id))

    def protection_rules(self, project_id: int, package_type: str | None = None) -> list[Row]:
        """The project's protection rules (of one package type, when given), oldest first."""
        if package_type is None:
            return self._all("SELECT * FROM protection_rules WHERE project_id = ? ORDER BY id", (project_id,))
        return self._all("SELECT * FROM protection_rules WHERE project_id = ? AND package_type = ? ORDER BY id",
                         (project_id, package_type))

    def delete_protection_rule(self, rule_id: int) -> None:
        self._run("DELETE FROM protection_rules WHERE id = ?", (rule_id,))

    # the CI job token allowlist

    def allow_job_token(self, source_project_id: int, target_project_id: int) -> bool:
        """Put `target_project_id` on the inbound allowlist of `source_project_id` (GitLab's names: the source is the
        project whose allowlist it is). False when it was there already."""
        return self._run("INSERT OR IGNORE INTO job_token_allowlist VALUES (?, ?)",
                         (source_project_id, target_project_id)) > 0

    def job_token_allowed(self, source_project_id: int, target_project_id: int) -> bool:
        """Whether job tokens of `target_project_id` may reach `source_project_id`: it is on the source's inbound
        allowlist, or it is the source itself (a project's own jobs are always in its scope)."""
        if source_project_id == target_project_id:
            return True
        return self._one("SELECT 1 FROM job_token_allowlist WHERE source_project_id = ? AND target_project_id = ?",
                         (source_project_id, target_project_id)) is not None

    # tokens and jobs

    def create_token(self, kind: str, name: str, token_hash: str, scopes: list[str], expires_at: str | None,
                     **owner: Any) -> Row:
        columns = ["kind", "name", "token_hash", "scopes", "expires_at", "created_at", *owner]
        values = [kind, name, token_hash, json.dumps(scopes), expires_at, now_iso(), *owner.values()]
        marks = ",".join("?" * len(columns))
        token_id = self._insert(f"INSERT INTO tokens ({','.join(columns)}) VALUES ({marks})", tuple(values))
        token = self.token(token_id)
        assert token is not None
        return token

    def token(self, token_id: int) -> Row | None:
        return self._one("SELECT * FROM tokens WHERE id = ?", (token_id,))

    def token_by_hash(self, token_hash: str) -> Row | None:
        return self._one("SELECT * FROM tokens WHERE token_hash = ?", (token_hash,))

    def revoke_token(self, token_id: int) -> None:
        self._run("UPDATE tokens SET revoked = 1 WHERE id = ?", (token_id,))

    def set_deploy_username(self, token_id: int, username: str) -> None:
        self._run("UPDATE tokens SET username = ? WHERE id = ?", (username, token_id))

    def create_job(self, project_id: int, user_id: int | None = None) -> int:
        """A running job of `user_id` (the user whose role its job token acts with)."""
        return self._insert("INSERT INTO jobs (project_id, status, created_at, user_id) VALUES (?, 'running', ?, ?)",
                            (project_id, now_iso(), user_id))

    def job_user(self, job_id: int) -> int | None:
        """The user a job runs as (its job token acts with that user's role), or None (no job, or its user is gone)."""
        row = self._one("SELECT user_id FROM jobs WHERE id = ?", (job_id,))
        return None if row is None or row["user_id"] is None else int(row["user_id"])

    def job(self, job_id: int) -> Row | None:
        return self._one("SELECT * FROM jobs WHERE id = ?", (job_id,))

    def finish_job(self, job_id: int) -> None:
        self._run("UPDATE jobs SET status = 'success' WHERE id = ?", (job_id,))

    # packages

    def find_package(self, project_id: int, package_type: str, name: str, version: str) -> Row | None:
        return self._one("SELECT * FROM packages WHERE project_id = ? AND package_type = ? AND name = ?"
                         " AND version = ?", (project_id, package_type, name, version))

    def get_or_create_package(self, project_id: int, package_type: str, name: str, version: str,
                              status: str) -> Row:
        """Race-free: INSERT OR IGNORE against the unique key, then SELECT, in one transaction."""
        with self.transaction():
            now = now_iso()
            self._run("INSERT OR IGNORE INTO packages (project_id, package_type, name, version, status, created_at,"
                      " updated_at) VALUES (?,?,?,?,?,?,?)",
                      (project_id, package_type, name, version, status, now, now))
            package = self.find_package(project_id, package_type, name, version)
        assert package is not None
        return package

    def insert_package(self, project_id: int, package_type: str, name: str, version: str, status: str) -> Row:
        """A plain INSERT: raises sqlite3.IntegrityError when another request created the package first."""
        now = now_iso()
        package_id = self._insert(
            "INSERT INTO packages (project_id, package_type, name, version, status, created_at, updated_at)"
            " VALUES (?,?,?,?,?,?,?)", (project_id, package_type, name, version, status, now, now))
        package = self.package(project_id, package_id)
        assert package is not None
        return package

    def set_package_status(self, package_id: int, status: str) -> None:
        self._run("UPDATE packages SET status = ?, updated_at = ? WHERE id = ?", (status, now_iso(), package_id))

    def package(self, project_id: int, package_id: int) -> Row | None:
        return self._one("SELECT * FROM packages WHERE project_id = ? AND id = ?", (project_id, package_id))

    def list_packages(self, project_id: int, *, package_type: str | None, name_contains: str | None,
                      version: str | None, statuses: tuple[str, ...] | None, order_by: str, sort: str,
                      limit: int, offset: int, include_versionless: bool = False) -> tuple[int, list[Row]]:
        """(total, one page) of a project's packages. `statuses` None means any status. Versionless packages
        (Maven's artifact-level maven-metadata.xml) are left out unless asked for, as GitLab does."""
        where, args = ["project_id = ?"], list[object]([project_id])
        if not include_versionless:
            where.append("version != ''")
        if package_type:
            where.append("package_type = ?")
            args.append(package_type)
        if name_contains:
            escaped = name_contains.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            where.append("name LIKE ? ESCAPE '\\'")
            args.append(f"%{escaped}%")
        if version:
            where.append("version = ?")
            args.append(version)
        if statuses is not None:
            where.append(f"status IN ({','.join('?' * len(statuses))})")
            args.extend(statuses)
        clause = " AND ".join(where)
        direction = "DESC" if sort == "desc" else "ASC"
        total = self._one(f"SELECT COUNT(*) AS n FROM packages WHERE {clause}", tuple(args))
        rows = self._all(f"SELECT * FROM packages WHERE {clause} ORDER BY {ORDER_COLUMNS[order_by]} {direction},"
                         f" id {direction} LIMIT ? OFFSET ?", (*args, limit, offset))
        return (int(total["n"]) if total else 0), rows

    def delete_package(self, package_id: int) -> None:
        self._run("DELETE FROM packages WHERE id = ?", (package_id,))

    # package files

    def add_package_file(self, package_id: int, file_name: str, size: int, md5: str, sha1: str,
                         sha256: str) -> Row:
        now = now_iso()
        file_id = self._insert(
            "INSERT INTO package_files (package_id, file_name, size, file_md5, file_sha1, file_sha256, created_at,"
            " updated_at) VALUES (?,?,?,?,?,?,?,?)", (package_id, file_name, size, md5, sha1, sha256, now, now))
        self._run("UPDATE packages SET updated_at = ? WHERE id = ?", (now, package_id))
        row = self.package_file(package_id, file_id)
        assert row is not None
        return row

    def package_file(self, package_id: int, file_id: int) -> Row | None:
        return self._one("SELECT * FROM package_files WHERE package_id = ? AND id = ?", (package_id, file_id))

    def has_file_named(self, package_id: int, file_name: str) -> bool:
        return self._one("SELECT 1 FROM package_files WHERE package_id = ? AND file_name = ? LIMIT 1",
                         (package_id, file_name)) is not None

    def file_named(self, package_id: int, file_name: str, *, newest: bool = True) -> Row | None:
        """The most recent (highest id) file with this name, or the oldest when `newest` is False."""
        direction = "DESC" if newest else "ASC"
        return self._one(f"SELECT * FROM package_files WHERE package_id = ? AND file_name = ? ORDER BY id {direction}"
                         " LIMIT 1", (package_id, file_name))

    def package_files(self, package_id: int, limit: int, offset: int) -> tuple[int, list[Row]]:
        total = self._one("SELECT COUNT(*) AS n FROM package_files WHERE package_id = ?", (package_id,))
        rows = self._all("SELECT * FROM package_files WHERE package_id = ? ORDER BY id LIMIT ? OFFSET ?",
                         (package_id, limit, offset))
        return (int(total["n"]) if total else 0), rows

    def delete_package_file(self, file_id: int) -> None:
        self._run("DELETE FROM package_files WHERE id = ?", (file_id,))

    # package metadata and tags

    def set_package_metadata(self, package_id: int, data: dict[str, Any]) -> None:
        self._run("INSERT INTO package_metadata (package_id, data) VALUES (?, ?) ON CONFLICT (package_id)"
                  " DO UPDATE SET data = excluded.data", (package_id, json.dumps(data, sort_keys=True)))

    def package_metadata(self, package_id: int) -> dict[str, Any] | None:
        row = self._one("SELECT data FROM package_metadata WHERE package_id = ?", (package_id,))
        return json.loads(row["data"]) if row else None

    def packages_named(self, project_id: int, package_type: str, name: str,
                       statuses: tuple[str, ...] = ("default",)) -> list[Row]:
        """Every version of one package in a project, oldest first."""
        marks = ",".join("?" * len(statuses))
        return self._all(f"SELECT * FROM packages WHERE project_id = ? AND package_type = ? AND name = ?"
                         f" AND status IN ({marks}) ORDER BY id", (project_id, package_type, name, *statuses))

    def packages_of_type(self, project_id: int, package_type: str,
                         statuses: tuple[str, ...] = ("default",)) -> list[Row]:
        """Every package of one type in a project, oldest first."""
        marks = ",".join("?" * len(statuses))
        return self._all(f"SELECT * FROM packages WHERE project_id = ? AND package_type = ? AND status IN ({marks})"
                         " ORDER BY id", (project_id, package_type, *statuses))

    def metadata_of(self, package_ids: list[int]) -> dict[int, dict[str, Any]]:
        """package id → its stored metadata, for every package of the list that has some (one query per 500)."""
        found: dict[int, dict[str, Any]] = {}
        for chunk in _chunks(package_ids):
            rows = self._all(f"SELECT package_id, data FROM package_metadata WHERE package_id IN"
                             f" ({','.join('?' * len(chunk))})", tuple(chunk))
            found.update((int(r["package_id"]), json.loads(r["data"])) for r in rows)
        return found

    def files_of(self, package_ids: list[int]) -> dict[int, list[Row]]:
        """package id → its files, oldest first (one query per 500 packages)."""
        found: dict[int, list[Row]] = {package_id: [] for package_id in package_ids}
        for chunk in _chunks(package_ids):
            rows = self._all(f"SELECT * FROM package_files WHERE package_id IN ({','.join('?' * len(chunk))})"
                             " ORDER BY package_id, id", tuple(chunk))
            for row in rows:
                found[int(row["package_id"])].append(row)
        return found

    def newest_holder(self, project_ids: list[int], package_type: str, name: str,
                      statuses: tuple[str, ...] = ("default",)) -> int | None:
        """The project, among these, whose package of this name was created last (the highest package id)."""
        newest: tuple[int, int] | None = None
        marks = ",".join("?" * len(statuses))
        for chunk in _chunks(project_ids):
            row = self._one(f"SELECT id, project_id FROM packages WHERE project_id IN ({','.join('?' * len(chunk))})"
                            f" AND package_type = ? AND name = ? AND status IN ({marks}) ORDER BY id DESC LIMIT 1",
                            (*chunk, package_type, name, *statuses))
            if row is not None and (newest is None or row["id"] > newest[0]):
                newest = (int(row["id"]), int(row["project_id"]))
        return newest[1] if newest else None

    def projects_holding(self, package_type: str, name: str) -> list[int]:
        """Every project with a package of this type and name, in any status (instance-wide names: Composer)."""
        rows = self._all("SELECT DISTINCT project_id FROM packages WHERE package_type = ? AND name = ?",
                         (package_type, name))
        return [int(r["project_id"]) for r in rows]

    def versions_with_details(self, project_id: int, package_type: str | None, name: str | None = None) -> list[Row]:
        """Every package of the project (of one type and name, when given), oldest first, with its stored metadata
        (`data`, JSON or NULL) and its files (`files`, a JSON list). What the metadata_n_plus_one fault re-reads."""
        filters, args = "", list[object]([project_id])
        for column, value in (("package_type", package_type), ("name", name)):
            if value is not None:
                filters += f" AND p.{column} = ?"
                args.append(value)
        return self._all("SELECT p.id, p.name, p.version, p.status, m.data, (SELECT json_group_array(json_object("
                         "'file_name', f.file_name, 'file_sha256', f.file_sha256))"
                         " FROM package_files f WHERE f.package_id = p.id) AS files FROM packages p"
                         f" LEFT JOIN package_metadata m ON m.package_id = p.id WHERE p.project_id = ?{filters}"
                         " ORDER BY p.id", tuple(args))

    def package_revisions(self, project_ids: list[int]) -> tuple[int, ...]:
        """Each project's package revision (0 before its first package): it changes with every write to the
        project's packages, their files, metadata and tags (triggers keep it; see the module docstring)."""
        if len(project_ids) == 1:
            row = self._one("SELECT revision FROM package_revisions WHERE project_id = ?", (project_ids[0],))
            return (int(row["revision"]) if row else 0,)
        found: dict[int, int] = {}
        for chunk in _chunks(project_ids):
            rows = self._all(f"SELECT project_id, revision FROM package_revisions WHERE project_id IN"
                             f" ({','.join('?' * len(chunk))})", tuple(chunk))
            found.update((int(r["project_id"]), int(r["revision"])) for r in rows)
        return tuple(found.get(project_id, 0) for project_id in project_ids)

    def set_tag(self, project_id: int, package_type: str, name: str, tag: str, package_id: int) -> None:
        self._run("INSERT INTO package_tags (project_id, package_type, name, tag, package_id) VALUES (?,?,?,?,?)"
                  " ON CONFLICT (project_id, package_type, name, tag) DO UPDATE SET package_id = excluded.package_id",
                  (project_id, package_type, name, tag, package_id))

    def delete_tag(self, project_id: int, package_type: str, name: str, tag: str) -> bool:
        return self._run("DELETE FROM package_tags WHERE project_id = ? AND package_type = ? AND name = ? AND tag = ?",
                         (project_id, package_type, name, tag)) > 0

    def tags(self, project_id: int, package_type: str, name: str) -> dict[str, str]:
        """tag → version."""
        rows = self._all("SELECT t.tag, p.version FROM package_tags t JOIN packages p ON p.id = t.package_id"
                         " WHERE t.project_id = ? AND t.package_type = ? AND t.name = ? ORDER BY t.tag",
                         (project_id, package_type, name))
        return {r["tag"]: r["version"] for r in rows}
