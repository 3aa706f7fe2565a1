"""Helpers of the audit tests: appending entries, editing the chain behind the application's back, and the
reference verdict (the chain walked as ORM objects, as verification was first written)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import select, text

from batchtrack.audit import chain
from batchtrack.audit import service as audit_service
from batchtrack.auth.principal import SYSTEM
from batchtrack.db import Database
from batchtrack.models.audit import AuditEntry


@pytest.fixture
def append_entries(database: Database) -> Callable[[int], None]:
    """append_entries(n): append n entries through the service, as the application does."""
    return lambda count: _append(database, count)


@pytest.fixture
def reference_verdict(database: Database) -> Callable[[], chain.VerifyResult]:
    """The chain walked entry by entry as ORM objects through `chain.verify`: the semantics to keep."""
    return lambda: _walk_orm_objects(database)


def _append(database: Database, count: int) -> None:
    with database.transaction() as session:
        for i in range(count):
            audit_service.record(session=session, actor=SYSTEM, action="test.event", entity_type="test",
                                 entity_id=i, old={"v": i, "note": "ünïcode ✓"}, new={"v": i + 1},
                                 reason="because" if i % 2 else "")


def _walk_orm_objects(database: Database) -> chain.VerifyResult:
    def contents() -> Iterator[tuple[chain.EntryContent, str]]:
        with database.transaction(write=False) as session:
            for row in session.execute(select(AuditEntry).order_by(AuditEntry.seq)).scalars():
                yield (chain.EntryContent(
                    seq=row.seq, occurred_at=row.occurred_at, actor_id=row.actor_id, actor_name=row.actor_name,
                    action=row.action, entity_type=row.entity_type, entity_id=row.entity_id,
                    old_values=row.old_values, new_values=row.new_values, reason=row.reason,
                    prev_hash=row.prev_hash), row.hash)

    return chain.verify(contents())


@pytest.fixture
def tamper(database: Database, is_postgres: bool) -> Callable[..., None]:
    """Run SQL on the audit table with its append-only guard switched off (only in this test's database)."""

    def run(sql: str, **params: object) -> None:
        with database.transaction() as session:
            if is_postgres:
                session.execute(text("ALTER TABLE audit_entry DISABLE TRIGGER audit_entry_append_only"))
            else:
                session.execute(text("DROP TRIGGER IF EXISTS audit_entry_no_update"))
                session.execute(text("DROP TRIGGER IF EXISTS audit_entry_no_delete"))
            session.execute(text(sql), params)

    return run
