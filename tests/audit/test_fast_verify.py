"""Fast verification of the audit chain: the same verdict as walking ORM objects, in one process or several."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy import text

from batchtrack.audit import chain
from batchtrack.audit import service as audit_service
from batchtrack.cli import main as cli
from batchtrack.config import get_settings
from batchtrack.db import Database
from batchtrack.models.user import Role

Append = Callable[[int], None]
Reference = Callable[[], chain.VerifyResult]

JOBS = [1, 2]  # two workers: the chain of 12 is read as seq 1-6 and 7-12, with a seam between 6 and 7


def _fast(database: Database, jobs: int) -> chain.VerifyResult:
    seen: list[int] = []
    result = audit_service.verify_chain(database, jobs=jobs, progress=seen.append)
    assert sum(seen) == result.count  # progress accounts for every entry verified
    return result


@pytest.mark.parametrize("jobs", JOBS)
def test_an_intact_chain_verifies_with_its_count_and_head(
    database: Database, append_entries: Append, reference_verdict: Reference, jobs: int
) -> None:
    append_entries(12)
    result = _fast(database, jobs)
    assert result == reference_verdict()
    assert result.ok and result.count == 12 and result.head_hash != chain.GENESIS_HASH
    with database.transaction(write=False) as session:
        assert audit_service.verify(session=session) == result


def test_an_empty_chain_verifies_as_empty(database: Database) -> None:
    assert _fast(database, 2) == chain.VerifyResult(0, chain.GENESIS_HASH)


# (tampering SQL, seq named, problem): every seq around the seam of two workers (6 | 7), both ends, the middle.
TAMPERING = [
    ("UPDATE audit_entry SET actor_name = 'someone else' WHERE seq = 6", 6, chain.MISMATCH),
    ("UPDATE audit_entry SET new_values = '{\"v\": 999}' WHERE seq = 7", 7, chain.MISMATCH),
    ("UPDATE audit_entry SET occurred_at = occurred_at + INTERVAL '1 second' WHERE seq = 1", 1, chain.MISMATCH),
    ("UPDATE audit_entry SET prev_hash = :fake WHERE seq = 7", 7, chain.BROKEN_LINK),
    ("UPDATE audit_entry SET prev_hash = :fake WHERE seq = 3", 3, chain.BROKEN_LINK),
    ("DELETE FROM audit_entry WHERE seq = 11", 12, chain.gap_problem(11)),  # the last-but-one entry
    ("DELETE FROM audit_entry WHERE seq = 7", 8, chain.gap_problem(7)),  # the first entry after the seam
    ("DELETE FROM audit_entry WHERE seq = 6", 7, chain.gap_problem(6)),  # the last entry before the seam
    ("UPDATE audit_entry SET seq = 20 WHERE seq = 12", 20, chain.gap_problem(12)),
]


# Every case in one process; with two workers, the cases at the seam and the last-but-one entry (the seams
# themselves are proven for arbitrary cuts in test_hashed_bytes).
CASES = [(*case, 1) for case in TAMPERING] + [(*case, 2) for case in TAMPERING if case[1] in (6, 7, 8, 12)]


@pytest.mark.parametrize(("sql", "seq", "problem", "jobs"), CASES)
def test_tampering_is_named_exactly_as_an_entry_by_entry_walk_names_it(
    database: Database, append_entries: Append, reference_verdict: Reference, tamper: Callable[..., None],
    is_postgres: bool, jobs: int, sql: str, seq: int, problem: str,
) -> None:
    append_entries(12)
    if not is_postgres:
        sql = sql.replace("occurred_at + INTERVAL '1 second'", "'1999' || substr(occurred_at, 5)")
    tamper(sql, fake="f" * 64)
    result = _fast(database, jobs)
    assert (result.broken_seq, result.problem) == (seq, problem)
    assert result == reference_verdict()  # same count and last good head hash too


def test_a_timestamp_stored_in_an_unusual_shape_is_judged_as_the_orm_reads_it(
    database: Database, append_entries: Append, reference_verdict: Reference, tamper: Callable[..., None],
    is_postgres: bool,
) -> None:
    if is_postgres:
        pytest.skip("PostgreSQL stores timestamps as timestamps, never as text")
    append_entries(4)
    # The same instant written without its microseconds: the ORM reads the same moment, so the entry holds.
    tamper("UPDATE audit_entry SET occurred_at = substr(occurred_at, 1, 19) || '.000000' WHERE seq = 2")
    tamper("UPDATE audit_entry SET occurred_at = substr(occurred_at, 1, 19) WHERE seq = 2")
    expected = reference_verdict()
    assert _fast(database, 1) == expected == _fast(database, 2)
    assert expected.broken_seq == 2  # the seconds' fraction was lost: the content no longer matches


def test_entries_appended_during_a_verification_are_left_for_the_next(
    database: Database, append_entries: Append
) -> None:
    append_entries(5)
    appended: list[int] = []

    def append_while_verifying(count: int) -> None:
        append_entries(3)
        appended.append(count)

    result = audit_service.verify_chain(database, jobs=1, progress=append_while_verifying)
    assert appended and result.ok and result.count == 5
    assert _fast(database, 2).count == 8


def test_the_command_verifies_with_workers_and_reports_speed(
    database: Database, append_entries: Append, db_url: str, tamper: Callable[..., None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("BATCHTRACK_DATABASE_URL", db_url)
    monkeypatch.setenv("BATCHTRACK_ENVIRONMENT", "test")
    get_settings.cache_clear()
    append_entries(6)
    runner = CliRunner()
    ok = runner.invoke(cli, ["audit", "verify", "--jobs", "2"])
    assert ok.exit_code == 0, ok.output
    assert "OK: 6 entries, head " in ok.output and "entries/s" in ok.output
    tamper("DELETE FROM audit_entry WHERE seq = 5")
    broken = runner.invoke(cli, ["audit", "verify", "--jobs", "2"])
    get_settings.cache_clear()
    assert broken.exit_code == 1
    assert "entry #6: sequence gap: expected 5" in broken.output
    assert runner.invoke(cli, ["audit", "verify", "--jobs", "0"]).exit_code == 2  # refused, not attempted


def test_the_api_reports_the_chain(
    append_entries: Append, reference_verdict: Reference, as_role: Callable[..., tuple[TestClient, object]],
    tamper: Callable[..., None],
) -> None:
    client, _ = as_role(Role.QA)
    append_entries(3)
    report = client.get("/api/v1/audit-entries/verify")
    assert report.status_code == 200
    body = report.json()
    assert body["ok"] is True and body["count"] == reference_verdict().count
    tamper("UPDATE audit_entry SET reason = 'rewritten' WHERE seq = 2")
    body = client.get("/api/v1/audit-entries/verify").json()
    assert (body["ok"], body["broken_seq"], body["problem"]) == (False, 2, chain.MISMATCH)


def test_a_nurse_may_not_run_the_verification(as_role: Callable[..., tuple[TestClient, object]]) -> None:
    client, _ = as_role(Role.NURSE)
    assert client.get("/api/v1/audit-entries/verify").status_code == 403


def test_the_old_session_api_reads_in_the_callers_transaction(
    database: Database, append_entries: Append, reference_verdict: Reference
) -> None:
    append_entries(3)
    with database.transaction(write=False) as session:
        session.execute(text("SELECT 1"))
        assert audit_service.verify(session=session) == reference_verdict()
