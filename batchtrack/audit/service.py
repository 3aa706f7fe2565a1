"""Appending to and verifying the audit trail."""

from __future__ import annotations

from collections.abc import Callable
from time import perf_counter
from typing import Any

from sqlalchemy import Connection, Table, func, insert, text
from sqlalchemy import select as core_select
from sqlalchemy.orm import Session
from sqlmodel import col, select

from batchtrack.audit import chain, verification
from batchtrack.auth.principal import Principal
from batchtrack.db import Database
from batchtrack.errors import BadRequest
from batchtrack.i18n.text import _
from batchtrack.models.audit import AuditEntry
from batchtrack.models.base import utcnow
from batchtrack.observability import metrics

# Any constant will do: every appender on PostgreSQL takes this transaction-scoped advisory lock, so the
# chain has one head at a time. On SQLite, write transactions already hold the database write lock.
_AUDIT_LOCK_KEY = 0x6261_7463_6874


_AUDIT: Table = AuditEntry.__table__  # type: ignore[attr-defined]
_HEAD = core_select(_AUDIT.c.seq, _AUDIT.c.hash).order_by(_AUDIT.c.seq.desc()).limit(1)
_APPEND = insert(_AUDIT)


def record(
    *,
    session: Session | Connection,
    actor: Principal,
    action: str,
    entity_type: str,
    entity_id: str | int,
    old: dict[str, Any] | None = None,
    new: dict[str, Any] | None = None,
    reason: str = "",
) -> chain.WrittenEntry:
    """Append one entry to the chain, in the caller's transaction (an ORM session's, or a plain connection's)."""
    # Plain statements on the table, in either: an entry is written once and never changed, so it needs no place
    # in a session's unit of work (whose flush cost several times the insert). A session still flushes what it
    # holds before each statement, so the entry follows the changes it records.
    started = perf_counter()
    dialect = session.get_bind().dialect if isinstance(session, Session) else session.dialect
    if dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _AUDIT_LOCK_KEY})
    head = session.execute(_HEAD).first()
    seq, prev_hash = (head[0] + 1, head[1]) if head else (1, chain.GENESIS_HASH)
    content = chain.EntryContent(
        seq=seq,
        occurred_at=utcnow(),
        actor_id=actor.user_id,
        actor_name=actor.full_name,
        action=action,
        entity_type=entity_type,
        entity_id=str(entity_id),
        old_values=chain.canonical_json(old or {}),
        new_values=chain.canonical_json(new or {}),
        reason=reason,
        prev_hash=prev_hash,
    )
    written = chain.WrittenEntry(content, chain.entry_hash(content))
    session.execute(_APPEND, {**chain.content_fields(content), "hash": written.hash})
    metrics.audit_appended(perf_counter() - started)
    # What was written, for the caller to read: not an AuditEntry, whose construction (validation, ORM state) cost
    # more than the insert and would be of no use to a caller, the entry being in no session.
    return written


def record_correction(
    *,
    session: Session,
    actor: Principal,
    entity_type: str,
    entity_id: str | int,
    old: dict[str, Any],
    new: dict[str, Any],
    reason: str,
) -> chain.WrittenEntry:
    """Record a correction of a recorded value; refused without a reason."""
    if not reason.strip():
        raise BadRequest(_("a correction of a recorded value needs a reason"), code="reason_required")
    return record(
        session=session, actor=actor, action="value.corrected", entity_type=entity_type,
        entity_id=entity_id, old=old, new=new, reason=reason.strip(),
    )


def verify(*, session: Session) -> chain.VerifyResult:
    """Walk the whole chain, in the session's transaction, and report its length and head hash or first break."""
    connection: Any = session.connection().connection.driver_connection
    return verification.verify_connection(connection, session.get_bind().dialect.name)


def verify_chain(
    database: Database, *, jobs: int | None = None, progress: Callable[[int], None] | None = None
) -> chain.VerifyResult:
    """Verify the chain as it stood at the start, over `jobs` processes (default one per CPU, if worth it).

    `progress` is called with the number of entries verified since its last call.
    """
    return verification.verify_engine(database.engine, jobs=jobs, progress=progress)


def head_seq(database: Database) -> int:
    """The seq of the newest entry (0 for an empty chain): how long a verification will be."""
    with database.engine.connect() as connection:
        return int(connection.execute(select(func.coalesce(func.max(col(AuditEntry.seq)), 0))).scalar_one())


def entries_for(*, session: Session, entity_type: str, entity_id: str | int, limit: int = 500) -> list[AuditEntry]:
    """The audit entries about one record, oldest first."""
    stmt = (
        select(AuditEntry)
        .where(col(AuditEntry.entity_type) == entity_type, col(AuditEntry.entity_id) == str(entity_id))
        .order_by(col(AuditEntry.seq))
        .limit(limit)
    )
    return list(session.execute(stmt).scalars())
