"""A lot's timeline: its custody hand-overs and audit entries in time order."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import or_
from sqlalchemy.orm import Session
from sqlmodel import col, select

from batchtrack.custody import service as custody_service
from batchtrack.i18n.text import _
from batchtrack.lots import schemas
from batchtrack.lots import service as lot_service
from batchtrack.models.audit import AuditEntry
from batchtrack.models.lot import Lot
from batchtrack.models.user import User

TIMELINE_LIMIT = 1000


def _value(value: object) -> str:
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
            # Text someone typed can look like a time at the ends of the calendar, with no UTC equivalent.
            return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if moment.tzinfo is not None else value
        except (ValueError, OverflowError):
            return value.replace("_", " ") if value.islower() else value
    if isinstance(value, list):
        return "; ".join(_value(item) for item in value)
    if isinstance(value, dict) and {"code", "message"} <= value.keys():
        return f"{value['code']}: {value['message']}"
    return str(value)


def _describe(values: str) -> str:
    """Recorded values as a person reads them: 'key: value' pairs, times in UTC, reasons as code: message."""
    try:
        data = json.loads(values)
    except ValueError:
        return values
    if not isinstance(data, dict):
        return _value(data)
    return ", ".join(f"{key.replace('_', ' ')}: {_value(value)}" for key, value in data.items()
                     if value not in (None, "", [], {}))


def build(*, session: Session, lot: Lot) -> list[schemas.TimelineEvent]:
    """Every custody hand-over and audit entry about the lot, its collections and containers, oldest first."""
    public = lot_service.to_public(session=session, lot=lot)
    containers = lot_service.containers_of(session=session, lot=lot)
    container_ids = [c.id for c in containers if c.id is not None]
    entries = session.execute(
        select(AuditEntry).where(or_(
            (col(AuditEntry.entity_type) == "lot") & (col(AuditEntry.entity_id) == lot.din),
            (col(AuditEntry.entity_type) == "collection") & col(AuditEntry.entity_id).in_(public.collections),
            (col(AuditEntry.entity_type) == "container")
            & col(AuditEntry.entity_id).in_([str(i) for i in container_ids]),
        )).order_by(col(AuditEntry.seq)).limit(TIMELINE_LIMIT)
    ).scalars()
    events = [
        schemas.TimelineEvent(
            at=entry.occurred_at, kind="audit", summary=entry.action, actor=entry.actor_name,
            detail="; ".join(part for part in (_describe(entry.new_values), entry.reason) if part),
        )
        for entry in entries
    ]
    hand_overs = custody_service.for_containers(session=session, container_ids=container_ids)
    people = {e.handed_over_by for e in hand_overs} | {e.received_by for e in hand_overs}
    people |= {e.recorded_by for e in hand_overs}
    names = dict(session.execute(
        select(col(User.id), col(User.full_name)).where(col(User.id).in_(people))
    ).all())
    for event in hand_overs:
        summary = (_("container {id} handed over at {location}", id=event.container_id, location=event.location)
                   if event.temperature_c is None else
                   _("container {id} handed over at {location}, {temperature} °C", id=event.container_id,
                     location=event.location, temperature=format(event.temperature_c, "g")))
        detail = _("from {giver} to {receiver}", giver=names.get(event.handed_over_by, "?"),
                   receiver=names.get(event.received_by, "?"))
        events.append(schemas.TimelineEvent(
            at=event.occurred_at, kind="custody", summary=str(summary), actor=names.get(event.recorded_by, "?"),
            detail=str(detail),
        ).with_text(summary=summary, detail=detail))
    return sorted(events, key=lambda e: e.at)
