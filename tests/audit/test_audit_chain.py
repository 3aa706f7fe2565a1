"""The audit trail: hash-chained, append-only in the database, one chain under concurrent writers."""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from batchtrack.audit import service as audit_service
from batchtrack.auth.principal import SYSTEM
from batchtrack.config import Settings
from batchtrack.custody import schemas as custody_schemas
from batchtrack.custody import service as custody_service
from batchtrack.db import Database
from batchtrack.models.audit import AuditEntry
from batchtrack.models.custody import CustodyEvent
from batchtrack.models.user import Role

from builders import bag_scan, make_user, seed_lot
from concurrency import run_parallel


def _append(database: Database, count: int) -> None:
    with database.transaction() as session:
        for i in range(count):
            audit_service.record(session=session, actor=SYSTEM, action="test.event", entity_type="test",
                                 entity_id=i, old={"v": i}, new={"v": i + 1}, reason="because")


def _verify(database: Database) -> audit_service.chain.VerifyResult:
    with database.transaction(write=False) as session:
        return audit_service.verify(session=session)


def test_entries_chain_to_their_predecessors_and_verify(database: Database) -> None:
    _append(database, 5)
    with database.transaction(write=False) as session:
        entries = list(session.execute(select(AuditEntry).order_by(AuditEntry.seq)).scalars())
    assert [e.seq for e in entries] == [1, 2, 3, 4, 5]
    assert all(later.prev_hash == earlier.hash for earlier, later in itertools.pairwise(entries))
    assert entries[3].old_values == '{"v":3}' and entries[3].new_values == '{"v":4}'
    result = _verify(database)
    assert result.ok and result.count == 5 and result.head_hash == entries[-1].hash


def test_entries_appended_on_a_plain_connection_join_the_same_chain(database: Database) -> None:
    # The scan route records refusals without an ORM session: the entries are the same as a session's.
    _append(database, 2)
    with database.write_connection() as connection:
        written = audit_service.record(session=connection, actor=SYSTEM, action="scan.refused",
                                       entity_type="station", entity_id="ST-1", new={"raw_length": 3})
    _append(database, 1)
    with database.transaction(write=False) as session:
        entries = list(session.execute(select(AuditEntry).order_by(AuditEntry.seq)).scalars())
    assert [(e.seq, e.action) for e in entries] == [(1, "test.event"), (2, "test.event"), (3, "scan.refused"),
                                                    (4, "test.event")]
    assert (entries[2].hash, entries[2].prev_hash, entries[2].new_values) == (
        written.hash, entries[1].hash, '{"raw_length":3}')
    assert _verify(database).ok


def _record_hand_over(database: Database, settings: Settings) -> None:
    lot = seed_lot(database, settings)
    courier = make_user(database, Role.COURIER)
    operator = make_user(database, Role.OPERATOR)
    with database.transaction() as session:
        custody_service.record(session=session, actor=courier.principal, data=custody_schemas.CustodyEventCreate(
            scan=bag_scan(lot.din), handed_over_by=courier.username, received_by=operator.username,
            location="lab door"))


@pytest.mark.parametrize("sql", [
    "UPDATE audit_entry SET reason = 'rewritten'",
    "DELETE FROM audit_entry",
    "UPDATE custody_event SET location = 'elsewhere'",
    "DELETE FROM custody_event",
])
def test_database_refuses_update_and_delete_of_append_only_rows(
    database: Database, settings: Settings, sql: str
) -> None:
    _record_hand_over(database, settings)
    before = _verify(database)
    with pytest.raises(DBAPIError, match="append-only"), database.transaction() as session:
        session.execute(text(sql))
    with database.transaction(write=False) as session:
        assert session.execute(select(CustodyEvent)).scalars().one().location == "lab door"
    after = _verify(database)
    assert after.ok and (after.count, after.head_hash) == (before.count, before.head_hash)


def test_a_row_changed_behind_the_applications_back_is_named_by_verify(
    database: Database, is_postgres: bool
) -> None:
    _append(database, 6)
    # Someone with database-owner rights switches the guard off and edits entry 4.
    with database.transaction() as session:
        if is_postgres:
            session.execute(text("ALTER TABLE audit_entry DISABLE TRIGGER audit_entry_append_only"))
        else:
            session.execute(text("DROP TRIGGER audit_entry_no_update"))
        session.execute(text("UPDATE audit_entry SET new_values = :v WHERE seq = 4"), {"v": '{"v":999}'})
    result = _verify(database)
    assert not result.ok
    assert result.broken_seq == 4 and result.count == 3
    assert "hash" in result.problem


def test_concurrent_writers_from_several_processes_leave_one_unbroken_chain(db_url: str, database: Database) -> None:
    processes, each = 4, 15
    outputs = run_parallel("allocate.py", [[db_url, "audit", str(each), f"w{i}"] for i in range(processes)])
    seqs = sorted(int(s) for output in outputs for s in output)
    assert seqs == list(range(1, processes * each + 1))
    result = _verify(database)
    assert result.ok and result.count == processes * each
    with database.transaction(write=False) as session:
        prev_hashes = session.execute(select(AuditEntry.prev_hash)).scalars().all()
    assert len(set(prev_hashes)) == len(prev_hashes), "two entries share a predecessor: the chain forked"
