"""The ledger keeps what a run created through crashes and concurrent writers; cleanup undoes it in order."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from core.credentials import REDACTED, REDACTOR
from engine.gitlab_api import ProvisioningError
from engine.ledger import Ledger, cleanup, cleanup_path

ROOT = Path(__file__).resolve().parent.parent


class FakeClient:
    """Records cleanup calls in order; `failures` maps a call to the exception it raises; `ignored` lists undo calls
    the fake answers with success without doing anything (a target whose DELETE does nothing). Reads answer as the
    target would: 404 for what is gone, the resource for what is still there."""

    def __init__(self, failures: dict[tuple, Exception] | None = None, ignored: set[tuple] | None = None) -> None:
        self.calls: list[tuple] = []
        self.failures = failures or {}
        self.ignored = ignored or set()
        self.gone: set[tuple] = set()

    def _call(self, *call: object) -> None:
        self.calls.append(call)
        if call in self.failures:
            raise self.failures[call]
        if call not in self.ignored:
            self.gone.add((call[0], call[-1]))

    def _read(self, undo: str, what: object) -> dict:
        self.calls.append((undo.replace("delete", "read").replace("revoke", "read"), what))
        if (undo, what) in self.gone:
            if undo == "revoke_pat":
                return {"id": what, "revoked": True, "active": False}
            raise http_error(404, "Not Found")
        return {"id": what, "revoked": False, "active": True}

    def revoke_personal_access_token(self, token_id, missing_ok=True):
        self._call("revoke_pat", token_id)

    def revoke_project_access_token(self, project_id, token_id, missing_ok=True):
        self._call("revoke_project_token", project_id, token_id)

    def revoke_deploy_token(self, owner, owner_id, token_id, missing_ok=True):
        self._call("revoke_deploy_token", owner, owner_id, token_id)

    def finish_job(self, job_id, missing_ok=True):
        self._call("finish_job", job_id)

    def delete_package(self, project_id, package_id, missing_ok=True):
        self._call("delete_package", project_id, package_id)

    def delete_project(self, project_id, missing_ok=True):
        self._call("delete_project", project_id)

    def delete_group(self, group_id, missing_ok=True):
        self._call("delete_group", group_id)

    def personal_access_token(self, token_id):
        return self._read("revoke_pat", token_id)

    def get_group(self, group_id):
        return self._read("delete_group", group_id)

    def get_project(self, project_id):
        return self._read("delete_project", project_id)


def http_error(status: int, reason: str) -> ProvisioningError:
    return ProvisioningError("do it", "DELETE", "/api/v4/x", status=status, reason=reason)


def a_run(ledger: Ledger) -> None:
    ledger.record("group", 1, "harness-abc")
    ledger.record("group", 2, "harness-abc-sub", owner_kind="groups", owner_id=1)
    ledger.record("project", 11, "harness-abc-first", owner_kind="groups", owner_id=2)
    ledger.record("project", 12, "harness-abc-small-push", owner_kind="groups", owner_id=2)
    ledger.record("personal_access_token", 21, "pat", owner_kind="users", owner_id=1)
    ledger.record("project_access_token", 22, "pat-project", owner_kind="projects", owner_id=12)
    ledger.record("deploy_token", 23, "deploy-group", owner_kind="groups", owner_id=2)
    ledger.record("job", 31, "job")
    ledger.record("package", 41, "pkg", owner_kind="projects", owner_id=12)
    ledger.record("deploy_token", 24, "deploy-project", owner_kind="projects", owner_id=11)


def test_entries_round_trip(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "run" / "ledger.jsonl")
    entry = ledger.record("deploy_token", 7, "read-only", owner_kind="projects", owner_id=12)
    [read] = Ledger(ledger.path).entries()
    assert read == entry
    assert (read.kind, read.id, read.owner_kind, read.owner_id, read.name) == ("deploy_token", 7, "projects", 12,
                                                                              "read-only")
    assert read.created_at
    assert oct(ledger.path.stat().st_mode & 0o777) == oct(0o600)


def test_unknown_kind_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown ledger kind"):
        Ledger(tmp_path / "ledger.jsonl").record("runner", 1, "x")  # type: ignore[arg-type]


def test_entries_written_before_an_exception_survive(tmp_path: Path) -> None:
    path = tmp_path / "ledger.jsonl"
    with pytest.raises(RuntimeError):
        ledger = Ledger(path)
        ledger.record("group", 1, "g")
        ledger.record("project", 2, "p")
        raise RuntimeError("the run crashed")
    assert [(e.kind, e.id) for e in Ledger(path).entries()] == [("group", 1), ("project", 2)]


def test_entries_survive_a_killed_process(tmp_path: Path) -> None:
    path = tmp_path / "ledger.jsonl"
    script = textwrap.dedent(f"""
        import os
        from engine.ledger import Ledger
        ledger = Ledger({str(path)!r})
        ledger.record("group", 1, "g")
        ledger.record("project", 2, "p")
        os._exit(9)  # no cleanup handlers, no buffer flushing
    """)
    completed = subprocess.run([sys.executable, "-c", script], cwd=ROOT, timeout=30)
    assert completed.returncode == 9
    assert [(e.kind, e.id) for e in Ledger(path).entries()] == [("group", 1), ("project", 2)]


def test_a_torn_line_is_skipped(tmp_path: Path) -> None:
    path = tmp_path / "ledger.jsonl"
    ledger = Ledger(path)
    ledger.record("group", 1, "g")
    with path.open("a") as handle:
        handle.write('{"kind": "proj')  # a crash in the middle of a line
    assert [e.id for e in ledger.entries()] == [1]


def test_threads_and_processes_can_share_a_ledger(tmp_path: Path) -> None:
    path = tmp_path / "ledger.jsonl"
    script = textwrap.dedent(f"""
        import sys
        from engine.ledger import Ledger
        ledger = Ledger({str(path)!r})
        for i in range(50):
            ledger.record("project", f"{{sys.argv[1]}}-{{i}}", "p" * 200)
    """)
    processes = [subprocess.Popen([sys.executable, "-c", script, f"proc{n}"], cwd=ROOT) for n in range(2)]
    ledger = Ledger(path)
    threads = [
        threading.Thread(target=lambda n=n: [ledger.record("job", f"thread{n}-{i}", "j") for i in range(50)])
        for n in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(process.wait(timeout=30) == 0 for process in processes)
    lines = path.read_text().splitlines()
    assert len(lines) == 300
    assert all(json.loads(line) for line in lines)  # no interleaved lines
    assert len({e.id for e in ledger.entries()}) == 300


def test_no_secret_reaches_the_ledger(tmp_path: Path) -> None:
    secret = "glpat-ledger-test-secret-0123456789"
    REDACTOR.add(secret)
    ledger = Ledger(tmp_path / "ledger.jsonl")
    ledger.record("personal_access_token", 5, f"token {secret}")
    text = ledger.path.read_text()
    assert secret not in text and REDACTED in text


def test_cleanup_revokes_tokens_then_deletes_the_run_group_once_and_confirms_both(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "ledger.jsonl")
    a_run(ledger)
    client = FakeClient()
    result = cleanup(ledger, client)
    assert result.cleaned == 10 and result.leftovers == [] and result.ok and result.revoked == 1
    assert client.calls == [
        ("revoke_pat", 21), ("read_pat", 21),  # the token API shows it revoked
        ("finish_job", 31),
        ("delete_group", 1), ("read_group", 1),  # one delete takes everything beneath; a read answers 404
    ]


def test_when_the_run_group_stays_each_entry_is_undone_children_before_parents(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "ledger.jsonl")
    a_run(ledger)
    client = FakeClient({("delete_group", 1): http_error(403, "Forbidden")})
    result = cleanup(ledger, client)
    undone = [c for c in client.calls if not c[0].startswith("read")]
    assert undone == [
        ("revoke_pat", 21),
        ("finish_job", 31),
        ("delete_group", 1),
        ("revoke_project_token", 12, 22),
        ("revoke_deploy_token", "projects", 11, 24),  # newest first
        ("revoke_deploy_token", "groups", 2, 23),
        ("delete_package", 12, 41),
        ("delete_project", 12),
        ("delete_project", 11),
        ("delete_group", 2),  # the subgroup before its parent
    ]
    assert result.leftovers == ["group 1 (harness-abc): 403 Forbidden; remove it with DELETE /api/v4/groups/1"]
    assert result.cleaned == 9


def test_a_target_whose_deletes_do_nothing_is_caught_and_the_leftovers_say_how_to_remove_them(
        tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "ledger.jsonl")
    a_run(ledger)
    client = FakeClient(ignored={("revoke_pat", 21), ("delete_group", 1), ("delete_group", 2), ("delete_project", 11),
                                 ("delete_project", 12)})
    result = cleanup(ledger, client)
    assert not result.ok and result.revoked == 0
    assert "personal access token 21 of users/1 (pat): still active after its revocation was accepted " \
           "(revoked=False); remove it with DELETE /api/v4/personal_access_tokens/21" in result.leftovers
    assert "group 1 (harness-abc): still there after its deletion was accepted (a read of it answers 200); remove it " \
           "with DELETE /api/v4/groups/1" in result.leftovers
    assert any(line.startswith("project 12 ") and "still there" in line for line in result.leftovers)


def test_cleanup_reports_leftovers_and_goes_on(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "ledger.jsonl")
    a_run(ledger)
    client = FakeClient({
        ("delete_group", 1): http_error(403, "Forbidden"),
        ("delete_project", 12): http_error(403, "Forbidden"),
        ("finish_job", 31): http_error(404, "Not Found"),  # already gone: cleaned
        ("delete_group", 2): RuntimeError("boom"),
    })
    result = cleanup(ledger, client)
    assert result.leftovers == [
        "group 1 (harness-abc): 403 Forbidden; remove it with DELETE /api/v4/groups/1",
        "project 12 of groups/2 (harness-abc-small-push): 403 Forbidden; remove it with DELETE /api/v4/projects/12",
        "group 2 of groups/1 (harness-abc-sub): RuntimeError: boom; remove it with DELETE /api/v4/groups/2",
    ]
    assert result.cleaned == 7

    summary = json.loads(cleanup_path(ledger).read_text())
    assert summary["cleaned"] == 7 and summary["leftovers"] == result.leftovers
    assert cleanup_path(ledger) == ledger.path.parent / "cleanup.json"

    # A later cleanup retries only what was left: the run's group once, which takes the rest.
    retry = FakeClient()
    second = cleanup(Ledger(ledger.path), retry)
    assert [c for c in retry.calls if not c[0].startswith("read")] == [("delete_group", 1)]
    assert second.cleaned == 3 and second.ok
    third = FakeClient()
    assert cleanup(Ledger(ledger.path), third).cleaned == 0 and third.calls == []


def test_cleanup_of_an_empty_or_missing_ledger(tmp_path: Path) -> None:
    result = cleanup(Ledger(tmp_path / "ledger.jsonl"), FakeClient())
    assert result.cleaned == 0 and result.ok
    assert json.loads((tmp_path / "cleanup.json").read_text())["leftovers"] == []
