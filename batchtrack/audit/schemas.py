"""Response shapes for the audit trail."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class AuditEntryContent(BaseModel):
    """What an audit entry records: when, who, what was done to which record, the values and the reason."""

    seq: int
    occurred_at: datetime
    actor_name: str
    action: str
    entity_type: str
    entity_id: str
    old_values: str
    new_values: str
    reason: str


class AuditEntryPublic(AuditEntryContent):
    """One audit entry as recorded, with the hashes that link it into the chain."""

    prev_hash: str
    hash: str


class FindingOut(BaseModel):
    """One thing `audit verify` found wrong."""

    check: str
    subject: str
    problem: str


class ChainReport(BaseModel):
    """The result of verifying the records: the chain (its first broken entry, if any), the checkpoints that
    vouch for it, and every finding of every check (chain, checkpoint, signature, state, custody)."""

    ok: bool
    count: int
    head_hash: str
    broken_seq: int | None
    problem: str
    checkpoints: int = 0
    findings: list[FindingOut] = []
