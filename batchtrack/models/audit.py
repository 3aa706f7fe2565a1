"""The audit trail: append-only, hash-chained entries."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, String, Text
from sqlmodel import Field, SQLModel

from batchtrack.models.base import UTCDateTime


class AuditEntry(SQLModel, table=True):
    """One recorded event; `hash` covers every field and the predecessor's hash (`prev_hash`)."""

    __tablename__ = "audit_entry"
    # The review's filters page by seq (keyset): each index ends in seq, so a filtered page is read in order from
    # the index instead of sorting every match (see review.trail and bench/run.py's audit review at 10M entries).
    __table_args__ = (
        Index("ix_audit_entry_entity_seq", "entity_type", "entity_id", "seq"),
        Index("ix_audit_entry_action_seq", "action", "seq"),
        Index("ix_audit_entry_actor_seq", "actor_id", "seq"),
        Index("ix_audit_entry_occurred_at", "occurred_at"),
    )

    seq: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    occurred_at: datetime = Field(sa_type=UTCDateTime)
    actor_id: int | None = Field(default=None, foreign_key="app_user.id", ondelete="RESTRICT")
    actor_name: str = Field(max_length=200)
    action: str = Field(max_length=64)
    entity_type: str = Field(max_length=32)
    entity_id: str = Field(max_length=64)
    old_values: str = Field(sa_column=Column(Text, nullable=False))
    new_values: str = Field(sa_column=Column(Text, nullable=False))
    reason: str = Field(sa_column=Column(Text, nullable=False))
    prev_hash: str = Field(sa_column=Column(String(64), unique=True, nullable=False))
    hash: str = Field(sa_column=Column(String(64), unique=True, nullable=False))
