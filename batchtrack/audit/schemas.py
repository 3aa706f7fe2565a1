"""Response shapes for the audit trail."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class AuditEntryPublic(BaseModel):
    """One audit entry as recorded."""

    seq: int
    occurred_at: datetime
    actor_name: str
    action: str
    entity_type: str
    entity_id: str
    old_values: str
    new_values: str
    reason: str
    prev_hash: str
    hash: str


class ChainReport(BaseModel):
    """The result of verifying the chain."""

    ok: bool
    count: int
    head_hash: str
    broken_seq: int | None
    problem: str
