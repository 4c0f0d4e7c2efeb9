"""What a run created on its target, so that it can be cleaned up, even after a crash.

The ledger is an append-only JSON-lines file, one line per created resource, written with one
`write()` in append mode and fsync'd, so several threads or pytest-xdist workers can share it and a
crash keeps every line written before it. It never holds a token value: only ids and names.

`cleanup` undoes a ledger and checks that each undoing took, as the target's own reads show it: personal access
tokens revoked (the token API shows `revoked`), simulated jobs finished, then the run's top group deleted once,
which takes every group, project, package, protection rule, member and project token beneath it (a read of the
group answers 404, or shows GitLab's delayed deletion scheduled); only when that fails is each entry deleted on its
own, children before parents, each group and project read back. Users last. What is left is listed with how to
remove it. It writes `cleanup.json` next to the ledger, so a later `harness cleanup RUN_ID` retries only what was
left.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, Protocol

from core.credentials import REDACTOR

log = logging.getLogger(__name__)

CLEANUP_SCHEMA = "harness.cleanup/1"

ResourceKind = Literal[
    "group", "project", "personal_access_token", "project_access_token", "deploy_token", "job", "package",
    "protection_rule", "member", "user",
]
RESOURCE_KINDS: tuple[str, ...] = ResourceKind.__args__  # type: ignore[attr-defined]

# Cleanup order: credentials die first, then what lives inside projects, then projects, then groups.
CLEANUP_ORDER: tuple[str, ...] = (
    "personal_access_token",
    "project_access_token",
    "deploy_token",
    "job",
    "package",
    "protection_rule",
    "member",
    "project",
    "group",
    "user",  # users live outside groups; deleting one also ends its memberships and tokens
)


@dataclass(frozen=True)
class LedgerEntry:
    """One created resource. `owner_kind`/`owner_id` locate resources that live inside another one:
    ("projects", 12) for a project access token, a project deploy token, a package, a protection rule or a member (whose
    id is the user's), ("groups", 3) for a group deploy token, ("users", 1) for a personal access token."""

    kind: str
    id: int | str
    name: str
    created_at: str
    owner_kind: str | None = None
    owner_id: int | str | None = None

    @property
    def key(self) -> str:
        """Identifies the resource across ledger and cleanup.json."""
        owner = f"{self.owner_kind}/{self.owner_id}:" if self.owner_kind else ""
        return f"{self.kind}:{owner}{self.id}"

    def describe(self) -> str:
        """For people: "project 12 (harness-abc-small-push)", "deploy token 4 of projects/12 (read-only)"."""
        owner = f" of {self.owner_kind}/{self.owner_id}" if self.owner_kind else ""
        return f"{self.kind.replace('_', ' ')} {self.id}{owner} ({self.name})"

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LedgerEntry:
        return cls(
            kind=data["kind"],
            id=data["id"],
            name=data.get("name", ""),
            created_at=data.get("created_at", ""),
            owner_kind=data.get("owner_kind"),
            owner_id=data.get("owner_id"),
        )


class Ledger:
    """Append-only record of the resources a run created (JSON lines, fsync'd per line)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"Ledger({str(self.path)!r})"

    def record(
        self,
        kind: ResourceKind,
        id: int | str,
        name: str,
        *,
        owner_kind: str | None = None,
        owner_id: int | str | None = None,
    ) -> LedgerEntry:
        """Append one created resource and make it durable before returning."""
        if kind not in RESOURCE_KINDS:
            raise ValueError(f"unknown ledger kind {kind!r}; expected one of {', '.join(RESOURCE_KINDS)}")
        entry = LedgerEntry(
            kind=kind,
            id=id,
            name=REDACTOR(name),  # a name is never a secret, but make sure
            created_at=datetime.now(UTC).isoformat(timespec="milliseconds"),
            owner_kind=owner_kind,
            owner_id=owner_id,
        )
        data = {k: v for k, v in asdict(entry).items() if v is not None}
        self._append((json.dumps(data, sort_keys=True) + "\n").encode())
        return entry

    def _append(self, line: bytes) -> None:
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            created = not self.path.exists()
            # O_APPEND + one write(): lines from several threads or processes never interleave.
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                written = os.write(fd, line)
                if written != len(line):
                    raise OSError(f"short write to the ledger {self.path} ({written} of {len(line)} bytes)")
                os.fsync(fd)
            finally:
                os.close(fd)
            if created:
                _fsync_dir(self.path.parent)

    def entries(self) -> list[LedgerEntry]:
        """Every entry, in creation order. A line torn by a crash is skipped (and logged)."""
        return list(self._read())

    def _read(self) -> Iterator[LedgerEntry]:
        if not self.path.exists():
            return
        with self.path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    yield LedgerEntry.from_dict(json.loads(line))
                except (ValueError, KeyError, TypeError):
                    log.warning("ledger %s: line %d is damaged and was skipped", self.path, number)


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class CleanupClient(Protocol):
    """What `cleanup` needs from `engine.gitlab_api.GitLabClient` (tests pass a fake)."""

    def revoke_personal_access_token(self, token_id: int | str, missing_ok: bool = True) -> None: ...
    def revoke_project_access_token(
        self, project_id: int | str, token_id: int | str, missing_ok: bool = True
    ) -> None: ...
    def revoke_deploy_token(
        self, owner: Any, owner_id: int | str, token_id: int | str, missing_ok: bool = True
    ) -> None: ...
    def finish_job(self, job_id: int | str, missing_ok: bool = True) -> None: ...
    def delete_package(self, project_id: int | str, package_id: int | str, missing_ok: bool = True) -> None: ...
    def delete_protection_rule(self, project_id: int | str, rule_id: int | str, missing_ok: bool = True) -> None: ...
    def remove_project_member(self, project_id: int | str, user_id: int | str, missing_ok: bool = True) -> None: ...
    def delete_project(self, project_id: int | str, missing_ok: bool = True) -> None: ...
    def delete_group(self, group_id: int | str, missing_ok: bool = True) -> None: ...
    def delete_user(self, user_id: int | str, missing_ok: bool = True) -> None: ...
    def get_group(self, group_id: int | str) -> dict[str, Any]: ...
    def get_project(self, project_id: int | str) -> dict[str, Any]: ...
    def personal_access_token(self, token_id: int | str) -> dict[str, Any]: ...


@dataclass
class CleanupResult:
    cleaned: int  # resources removed (or found already gone) by this call, each confirmed by a read where one exists
    leftovers: list[str] = field(default_factory=list)  # "project 12 (harness-abc-small-push): 403 Forbidden; …"
    revoked: int = 0  # personal access tokens the token API now shows revoked
    notes: list[str] = field(default_factory=list)  # e.g. a group scheduled for GitLab's delayed deletion

    @property
    def ok(self) -> bool:
        return not self.leftovers


def cleanup_path(ledger: Ledger) -> Path:
    return ledger.path.with_name("cleanup.json")


def _undo(entry: LedgerEntry, client: CleanupClient) -> None:
    if entry.kind == "personal_access_token":
        client.revoke_personal_access_token(entry.id)
    elif entry.kind == "project_access_token":
        client.revoke_project_access_token(_owner(entry), entry.id)
    elif entry.kind == "deploy_token":
        client.revoke_deploy_token(entry.owner_kind or "projects", _owner(entry), entry.id)
    elif entry.kind == "job":
        client.finish_job(entry.id)
    elif entry.kind == "package":
        client.delete_package(_owner(entry), entry.id)
    elif entry.kind == "protection_rule":
        client.delete_protection_rule(_owner(entry), entry.id)
    elif entry.kind == "member":
        client.remove_project_member(_owner(entry), entry.id)
    elif entry.kind == "project":
        client.delete_project(entry.id)
    elif entry.kind == "group":
        client.delete_group(entry.id)
    elif entry.kind == "user":
        client.delete_user(entry.id)
    else:
        raise ValueError(f"unknown ledger kind {entry.kind!r}")


def _owner(entry: LedgerEntry) -> int | str:
    if entry.owner_id is None:
        raise ValueError(f"the ledger entry has no owner_id, so the {entry.kind.replace('_', ' ')} cannot be found")
    return entry.owner_id


# How to remove what clean-up could not, by kind (ids filled in from the entry).
REMOVE_BY_HAND = {
    "group": "DELETE /api/v4/groups/{id}", "project": "DELETE /api/v4/projects/{id}",
    "personal_access_token": "DELETE /api/v4/personal_access_tokens/{id}", "user": "DELETE /api/v4/users/{id}",
    "package": "DELETE /api/v4/projects/{owner_id}/packages/{id}",
}
BENEATH_THE_GROUP = {"project", "group", "project_access_token", "deploy_token", "package", "protection_rule",
                     "member"}


def _still_there(entry: LedgerEntry, client: CleanupClient) -> tuple[str | None, str | None]:
    """(what is left, a note) after undoing `entry`, as the target's reads show it; (None, None) when gone. Kinds
    without a read of their own (what lives inside a project) are taken as the undo's answer says."""
    try:
        if entry.kind == "personal_access_token":
            view = client.personal_access_token(entry.id)
            return (None, None) if view.get("revoked") is True else (
                f"still active after its revocation was accepted (revoked={view.get('revoked')!r})", None)
        if entry.kind in ("group", "project"):
            view = client.get_group(entry.id) if entry.kind == "group" else client.get_project(entry.id)
            scheduled = view.get("marked_for_deletion_on") or view.get("marked_for_deletion_at")
            if scheduled:
                return None, f"{entry.describe()}: scheduled for deletion on {scheduled} (GitLab's delayed deletion)"
            return "still there after its deletion was accepted (a read of it answers 200)", None
    except Exception as exc:  # a 404 is what clean-up wanted
        failure = _failure(exc)
        return (f"could not be read back: {failure}", None) if failure else (None, None)
    return None, None


def _by_hand(entry: LedgerEntry) -> str:
    how = REMOVE_BY_HAND.get(entry.kind)
    return f"; remove it with {how.format(id=entry.id, owner_id=entry.owner_id)}" if how else ""


def _failure(exc: Exception) -> str:
    status = getattr(exc, "status", None)
    if status == 404:
        return ""  # already gone: that is what cleanup wanted
    short = getattr(exc, "short", None)
    return REDACTOR(str(short) if short else f"{type(exc).__name__}: {exc}")


def cleanup(ledger: Ledger, client: CleanupClient) -> CleanupResult:
    """Undo what the ledger lists, skipping what an earlier cleanup already removed. Never stops at a failure."""
    path = cleanup_path(ledger)
    done: set[str] = set()
    if path.exists():
        try:
            done = set(json.loads(path.read_text(encoding="utf-8")).get("done", []))
        except (ValueError, OSError, AttributeError):
            log.warning("cleanup: %s is unreadable; retrying every ledger entry", path)

    pending: dict[str, LedgerEntry] = {}
    for entry in ledger.entries():
        if entry.key not in done:
            pending.setdefault(entry.key, entry)
    rank = {kind: position for position, kind in enumerate(CLEANUP_ORDER)}
    ordered = sorted(
        enumerate(pending.values()),
        key=lambda item: (rank.get(item[1].kind, len(rank)), -item[0]),  # by kind, newest first
    )

    result = CleanupResult(cleaned=0)
    leftover_keys: list[str] = []

    def undo(entry: LedgerEntry) -> bool:
        try:
            _undo(entry, client)
        except Exception as exc:  # one failure must not stop the rest
            failure = _failure(exc)
            if failure:
                result.leftovers.append(f"{entry.describe()}: {failure}{_by_hand(entry)}")
                leftover_keys.append(entry.key)
                return False
        left, note = _still_there(entry, client)
        if note:
            result.notes.append(note)
        if left:
            result.leftovers.append(f"{entry.describe()}: {left}{_by_hand(entry)}")
            leftover_keys.append(entry.key)
            return False
        result.cleaned += 1
        result.revoked += entry.kind == "personal_access_token"
        done.add(entry.key)
        return True

    first = [entry for _, entry in ordered if entry.kind in ("personal_access_token", "job")]
    last = [entry for _, entry in ordered if entry.kind == "user"]
    top = next((e for e in ledger.entries() if e.kind == "group"), None)  # the run's group, recorded first
    inside = [entry for _, entry in ordered if entry.kind in BENEATH_THE_GROUP and entry != top]
    for entry in first:
        undo(entry)
    if top is not None and top.key in pending and undo(top):  # one delete takes everything beneath it
        for entry in inside:
            if entry.key not in done:
                done.add(entry.key)
                result.cleaned += 1
    else:
        for entry in inside:
            if entry.key not in done:
                undo(entry)
    for entry in last:
        undo(entry)

    summary = {
        "schema": CLEANUP_SCHEMA,
        "ledger": ledger.path.name,
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "cleaned": result.cleaned,
        "leftovers": result.leftovers,
        "leftover_keys": leftover_keys,
        "done": sorted(done),
    }
    temporary = path.with_name(path.name + f".{os.getpid()}.tmp")
    temporary.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    os.replace(temporary, path)
    return result
