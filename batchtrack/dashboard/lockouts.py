"""Account lockouts among QA's alerts: who was locked out, when, after what kind of failure, and whether still.

A lockout is recorded as an `auth.locked` audit entry about the user (see `auth.service.count_failure`); whether
the account is still locked is the user's `locked_until`. Failed sign-ins and failed signatures count together, so
a run of wrong passwords at a signature prompt shows here as it does at sign-in.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from batchtrack.auth import service as auth_service
from batchtrack.dashboard import schemas
from batchtrack.models.audit import AuditEntry
from batchtrack.models.base import utcnow
from batchtrack.models.user import Role, User

LOCKED = "auth.locked"
# Who sees lockouts among the alerts: QA, who reviews failed signatures, and the administrators who unlock accounts.
VIEWERS = frozenset({Role.QA, Role.ADMIN})
RECENT = 20


@dataclass(frozen=True, slots=True)
class Entry:
    """One `auth.locked` audit entry, as read."""

    seq: int
    occurred_at: datetime
    user_id: int | None
    new_values: str


def lockouts_of(entries: Sequence[Entry], users: Mapping[int, User], now: datetime) -> list[schemas.LockoutPublic]:
    """The lockouts the entries record, newest first; only a user's newest one can still be in force (pure)."""
    seen: set[int] = set()
    found = []
    for entry in entries:
        user = users.get(entry.user_id) if entry.user_id is not None else None
        try:
            recorded = json.loads(entry.new_values)
        except ValueError:
            recorded = {}
        if not isinstance(recorded, dict):
            recorded = {}
        newest = user is not None and entry.user_id not in seen
        if entry.user_id is not None:
            seen.add(entry.user_id)
        found.append(schemas.LockoutPublic(
            seq=entry.seq, locked_at=entry.occurred_at,
            username=user.username if user is not None else str(recorded.get("username", "")),
            full_name=user.full_name if user is not None else "",
            after=str(recorded.get("after", "")),
            locked_now=newest and user is not None and auth_service.is_locked(user, now),
            locked_until=user.locked_until if newest and user is not None else None,
        ))
    return found


def recent(*, session: Session, limit: int = RECENT, now: datetime | None = None) -> list[schemas.LockoutPublic]:
    """The newest lockouts, with whether each account is still locked."""
    rows = session.execute(
        select(col(AuditEntry.seq), col(AuditEntry.occurred_at), col(AuditEntry.entity_id),
               col(AuditEntry.new_values))
        .where(col(AuditEntry.action) == LOCKED, col(AuditEntry.entity_type) == "user")
        .order_by(col(AuditEntry.seq).desc()).limit(limit)).all()
    entries = [Entry(seq, at, int(entity_id) if entity_id.isdigit() else None, values)
               for seq, at, entity_id, values in rows]
    ids = {e.user_id for e in entries if e.user_id is not None}
    users = {u.id or 0: u for u in session.execute(select(User).where(col(User.id).in_(ids))).scalars()} if ids else {}
    return lockouts_of(entries, users, now or utcnow())
