"""Appending to and verifying the audit trail."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session
from sqlmodel import col, select

from batchtrack.audit import chain
from batchtrack.auth.principal import Principal
from batchtrack.errors import BadRequest
from batchtrack.models.audit import AuditEntry
from batchtrack.models.base import utcnow

# Any constant will do: every appender on PostgreSQL takes this transaction-scoped advisory lock, so the
# chain has one head at a time. On SQLite, write transactions already hold the database write lock.
_AUDIT_LOCK_KEY = 0x6261_7463_6874


def record(
    *,
    session: Session,
    actor: Principal,
    action: str,
    entity_type: str,
    entity_id: str | int,
    old: dict[str, Any] | None = None,
    new: dict[str, Any] | None = None,
    reason: str = "",
) -> AuditEntry:
    """Append one entry to the chain, in the caller's transaction."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _AUDIT_LOCK_KEY})
    head = session.execute(
        select(col(AuditEntry.seq), col(AuditEntry.hash)).order_by(col(AuditEntry.seq).desc()).limit(1)
    ).first()
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
    entry = AuditEntry(
        seq=content.seq,
        occurred_at=content.occurred_at,
        actor_id=content.actor_id,
        actor_name=content.actor_name,
        action=content.action,
        entity_type=content.entity_type,
        entity_id=content.entity_id,
        old_values=content.old_values,
        new_values=content.new_values,
        reason=content.reason,
        prev_hash=content.prev_hash,
        hash=chain.entry_hash(content),
    )
    session.add(entry)
    session.flush()
    return entry


def record_correction(
    *,
    session: Session,
    actor: Principal,
    entity_type: str,
    entity_id: str | int,
    old: dict[str, Any],
    new: dict[str, Any],
    reason: str,
) -> AuditEntry:
    """Record a correction of a recorded value; refused without a reason."""
    if not reason.strip():
        raise BadRequest("a correction of a recorded value needs a reason", code="reason_required")
    return record(
        session=session, actor=actor, action="value.corrected", entity_type=entity_type,
        entity_id=entity_id, old=old, new=new, reason=reason.strip(),
    )


def _contents(session: Session, batch: int) -> Iterator[tuple[chain.EntryContent, str]]:
    rows = session.execute(
        select(AuditEntry).order_by(col(AuditEntry.seq)).execution_options(yield_per=batch)
    ).scalars()
    for row in rows:
        yield (
            chain.EntryContent(
                seq=row.seq, occurred_at=row.occurred_at, actor_id=row.actor_id, actor_name=row.actor_name,
                action=row.action, entity_type=row.entity_type, entity_id=row.entity_id,
                old_values=row.old_values, new_values=row.new_values, reason=row.reason,
                prev_hash=row.prev_hash,
            ),
            row.hash,
        )


def verify(*, session: Session, batch: int = 5000) -> chain.VerifyResult:
    """Walk the whole chain and report its length and head hash, or the first broken entry."""
    return chain.verify(_contents(session, batch))


def entries_for(*, session: Session, entity_type: str, entity_id: str | int, limit: int = 500) -> list[AuditEntry]:
    """The audit entries about one record, oldest first."""
    stmt = (
        select(AuditEntry)
        .where(col(AuditEntry.entity_type) == entity_type, col(AuditEntry.entity_id) == str(entity_id))
        .order_by(col(AuditEntry.seq))
        .limit(limit)
    )
    return list(session.execute(stmt).scalars())
