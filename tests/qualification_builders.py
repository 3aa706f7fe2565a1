"""Builders of the qualification tests: the refusals recorded, and a time after every default expiry."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from sqlmodel import col, select

from batchtrack.db import Database
from batchtrack.models.audit import AuditEntry
from batchtrack.qualifications import service as qualification_service

# Longer than the longest validity of the catalogue (24 months): every grant made today has expired by then.
LATER = timedelta(days=1000)


def entries_of(database: Database, action: str = qualification_service.REFUSED) -> list[dict[str, Any]]:
    """The audit entries of `action` (by default, refusals by a qualification gate), oldest first: entity, actor
    and what they recorded."""
    with database.transaction(write=False) as session:
        rows = session.execute(select(AuditEntry).where(col(AuditEntry.action) == action)
                               .order_by(col(AuditEntry.seq))).scalars().all()
        return [{"entity": (r.entity_type, r.entity_id), "actor_id": r.actor_id, "reason": r.reason,
                 **json.loads(r.new_values)} for r in rows]
