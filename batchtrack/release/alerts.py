"""Alerts to the clinic about a lot (a positive sterility result after release), until acknowledged."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session
from sqlmodel import col, select

from batchtrack.audit import service as audit_service
from batchtrack.auth.principal import Principal
from batchtrack.errors import Conflict, Forbidden, NotFound
from batchtrack.i18n.text import _
from batchtrack.models.base import utcnow
from batchtrack.models.deviation import Deviation
from batchtrack.models.lot import Lot
from batchtrack.models.quality import Alert
from batchtrack.models.user import Role
from batchtrack.release import schemas
from batchtrack.release.service import names_of

ACKNOWLEDGERS = frozenset({Role.INVESTIGATOR, Role.NURSE, Role.QA})


def alerts(*, session: Session, open_only: bool = False, offset: int = 0, limit: int = 50) -> list[Alert]:
    """Alerts to the clinic, unacknowledged ones first, newest first."""
    query = select(Alert)
    if open_only:
        query = query.where(col(Alert.acknowledged_at).is_(None))
    query = query.order_by(col(Alert.acknowledged_at).is_not(None), col(Alert.raised_at).desc(), col(Alert.id).desc())
    return list(session.execute(query.offset(offset).limit(limit)).scalars())


def acknowledge_alert(*, session: Session, actor: Principal, alert_id: int) -> Alert:
    """Record that a clinician (investigator, nurse) or QA has seen the alert; once per alert."""
    if not actor.has_any(ACKNOWLEDGERS):
        raise Forbidden(_("only an investigator, a nurse or QA acknowledges an alert"), code="actor.role")
    alert = session.execute(select(Alert).where(col(Alert.id) == alert_id).with_for_update()).scalar_one_or_none()
    if alert is None:
        raise NotFound(_("no alert {alert}", alert=alert_id), code="alert.unknown")
    if alert.acknowledged_at is not None:
        raise Conflict(_("alert {alert} was already acknowledged", alert=alert_id), code="alert.acknowledged")
    alert.acknowledged_by, alert.acknowledged_at = actor.user_id, utcnow()
    session.add(alert)
    lot = session.get(Lot, alert.lot_id)
    audit_service.record(session=session, actor=actor, action="alert.acknowledged", entity_type="alert",
                         entity_id=alert_id, old={"acknowledged_at": None},
                         new={"acknowledged_at": alert.acknowledged_at, "lot": lot.din if lot else None,
                              "kind": alert.kind})
    session.flush()
    return alert


def alerts_public(*, session: Session, rows: Sequence[Alert]) -> list[schemas.AlertPublic]:
    """Alerts as the API returns them, with the lot's DIN, the deviation's number and who acknowledged."""
    lots = {lot.id: lot.din for lot in session.execute(
        select(Lot).where(col(Lot.id).in_({a.lot_id for a in rows}))).scalars()} if rows else {}
    deviation_ids = {a.deviation_id for a in rows if a.deviation_id is not None}
    numbers = {d.id: d.number for d in session.execute(
        select(Deviation).where(col(Deviation.id).in_(deviation_ids))).scalars()} if deviation_ids else {}
    names = names_of(session, {a.acknowledged_by for a in rows if a.acknowledged_by is not None})
    out = []
    for alert in rows:
        assert alert.id is not None
        out.append(schemas.AlertPublic(
            id=alert.id, lot_din=lots.get(alert.lot_id, "?"), kind=alert.kind, message=alert.message,
            deviation_number=numbers.get(alert.deviation_id) if alert.deviation_id is not None else None,
            raised_at=alert.raised_at,
            acknowledged_by=names.get(alert.acknowledged_by) if alert.acknowledged_by is not None else None,
            acknowledged_at=alert.acknowledged_at))
    return out
