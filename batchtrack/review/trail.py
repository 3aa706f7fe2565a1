"""Reading the audit trail for review: filters, pages addressed by seq (keyset, never OFFSET), and CSV export.

A page is the first `limit` entries, in seq order or newest first, within the bounds `after_seq` < seq <
`before_seq`: the next page starts after the last seq shown. Read from an index that ends in seq, a page costs the
same at 10,000,000 entries as at 100,000 (bench/run.py measures it); OFFSET would read and skip every entry before.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, true
from sqlalchemy.orm import Session
from sqlmodel import col, select

from batchtrack.db import Database
from batchtrack.errors import NotFound
from batchtrack.i18n.text import _
from batchtrack.lots import service as lot_service
from batchtrack.models.audit import AuditEntry
from batchtrack.models.user import User
from batchtrack.review import csv_lines, scope
from batchtrack.therapies import service as therapy_service

CSV_COLUMNS = ("seq", "occurred_at", "actor_id", "actor_name", "action", "entity_type", "entity_id", "old_values",
               "new_values", "reason", "prev_hash", "hash")
# Rows read per statement while exporting: one keyset page at a time, so memory stays flat at any length.
EXPORT_BATCH = 2000


@dataclass(frozen=True, slots=True)
class TrailFilter:
    """What a reviewer asks for; every field optional, all given ones must hold."""

    lot: str | None = None  # DIN: the lot and every record of it (see review.scope)
    therapy: str | None = None  # COI identifier: the therapy, its recipient, collections and lots
    entity_type: str | None = None
    entity_id: str | None = None
    user: str | None = None  # user name of the actor
    action: str | None = None  # an action, or a prefix ending in "." ("label.")
    since: datetime | None = None  # occurred at or after
    until: datetime | None = None  # occurred before

    def query_string(self) -> dict[str, str]:
        """The filter as query parameters (for links to the next page and to the CSV export)."""
        values = {"lot": self.lot, "therapy": self.therapy, "entity_type": self.entity_type,
                  "entity_id": self.entity_id, "user": self.user, "action": self.action,
                  "since": self.since.isoformat() if self.since else None,
                  "until": self.until.isoformat() if self.until else None}
        return {key: value for key, value in values.items() if value}


def condition(*, session: Session, wanted: TrailFilter) -> ColumnElement[bool]:
    """The WHERE condition of the filter; an unknown lot, therapy or user is NotFound rather than an empty list."""
    terms: list[ColumnElement[bool]] = []
    if wanted.lot:
        lot = lot_service.get_by_din(session=session, din=wanted.lot)
        terms.append(scope.condition(scope.lot_subjects(session=session, lot=lot)))
    if wanted.therapy:
        therapy = therapy_service.get_by_coi(session=session, coi=wanted.therapy)
        terms.append(scope.condition(scope.therapy_subjects(session=session, therapy=therapy)))
    if wanted.entity_type:
        terms.append(col(AuditEntry.entity_type) == wanted.entity_type)
    if wanted.entity_id:
        terms.append(col(AuditEntry.entity_id) == wanted.entity_id)
    if wanted.user:
        user_id = session.execute(select(col(User.id)).where(col(User.username) == wanted.user)).scalar()
        if user_id is None:
            raise NotFound(_("no user is named {username}", username=repr(wanted.user)), code="user.not_found")
        terms.append(col(AuditEntry.actor_id) == user_id)
    if wanted.action:
        if wanted.action.endswith("."):
            terms.append(col(AuditEntry.action).startswith(wanted.action, autoescape=True))
        else:
            terms.append(col(AuditEntry.action) == wanted.action)
    if wanted.since:
        terms.append(col(AuditEntry.occurred_at) >= wanted.since)
    if wanted.until:
        terms.append(col(AuditEntry.occurred_at) < wanted.until)
    return and_(true(), *terms)


def page(*, session: Session, where: ColumnElement[bool], after_seq: int | None = None,
         before_seq: int | None = None, newest_first: bool = False, limit: int = 50) -> list[AuditEntry]:
    """The first `limit` entries matching `where` with after_seq < seq < before_seq, in seq order (or newest
    first)."""
    query = select(AuditEntry).where(where)
    if after_seq is not None:
        query = query.where(col(AuditEntry.seq) > after_seq)
    if before_seq is not None:
        query = query.where(col(AuditEntry.seq) < before_seq)
    order = col(AuditEntry.seq).desc() if newest_first else col(AuditEntry.seq)
    return list(session.execute(query.order_by(order).limit(limit)).scalars())


def export_csv(database: Database, wanted: TrailFilter) -> Iterator[str]:
    """Every entry matching the filter, oldest first, as CSV lines, read batch by batch in one read transaction."""
    yield csv_lines.line(CSV_COLUMNS)
    with database.transaction(write=False) as session:
        where = condition(session=session, wanted=wanted)
        after = 0
        while True:
            rows = page(session=session, where=where, after_seq=after, limit=EXPORT_BATCH)
            for entry in rows:
                yield csv_lines.line(getattr(entry, name) for name in CSV_COLUMNS)
            if len(rows) < EXPORT_BATCH:
                return
            after = rows[-1].seq
            session.expunge_all()  # rows already written: keep the session's identity map small
