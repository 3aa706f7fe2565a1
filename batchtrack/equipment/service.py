"""Instruments: registration, calibration, taking out of service, and their use at processing steps."""

from __future__ import annotations

import json
import re
from datetime import datetime

from sqlalchemy import func
from sqlalchemy import select as core_select
from sqlalchemy.orm import Session
from sqlmodel import col, select

from batchtrack.audit import service as audit_service
from batchtrack.auth.principal import Principal
from batchtrack.equipment import gates, schemas
from batchtrack.errors import AuditedRefusal, BadRequest, BatchtrackError, Conflict, NotFound
from batchtrack.i18n.text import _
from batchtrack.models.base import utcnow
from batchtrack.models.equipment import Equipment, EquipmentKind, EquipmentUse
from batchtrack.models.lot import Lot
from batchtrack.models.processing import ProcessStep
from batchtrack.models.user import User

ENTITY = "equipment"
_CODE_SHAPE = re.compile(schemas.ASSET_TAG_PATTERN)
HISTORY_LIMIT = 500


def register(*, session: Session, actor: Principal, data: schemas.EquipmentCreate) -> Equipment:
    """Register an instrument under its asset tag, in service, with its calibration due time."""
    assert actor.user_id is not None
    if session.execute(select(Equipment.id).where(col(Equipment.code) == data.code)).first():
        raise Conflict(_("an instrument with asset tag {code} is already registered", code=data.code),
                       code="equipment.exists")
    equipment = Equipment(code=data.code, kind=data.kind.value, description=data.description,
                          location=data.location, calibration_due=data.calibration_due, registered_by=actor.user_id)
    session.add(equipment)
    session.flush()
    audit_service.record(
        session=session, actor=actor, action="equipment.registered", entity_type=ENTITY, entity_id=equipment.code,
        new={"kind": equipment.kind, "description": equipment.description, "location": equipment.location,
             "calibration_due": equipment.calibration_due, "active": equipment.active},
    )
    return equipment


def get_by_code(*, session: Session, code: str, for_update: bool = False) -> Equipment:
    """The instrument with this asset tag (spaces and letter case ignored); NotFound otherwise."""
    compact = "".join(code.split()).upper()
    equipment = None
    if _CODE_SHAPE.fullmatch(compact):
        query = select(Equipment).where(col(Equipment.code) == compact)
        if for_update:
            query = query.with_for_update()
        equipment = session.execute(query).scalar_one_or_none()
    if equipment is None:
        raise NotFound(_("no instrument with asset tag {code}", code=repr(compact[:20])), code="equipment.unknown")
    return equipment


def facts_of(*, equipment: Equipment) -> gates.EquipmentFacts:
    """The instrument as the pure rules see it."""
    return gates.EquipmentFacts(code=equipment.code, kind=equipment.kind, active=equipment.active,
                                calibration_due=equipment.calibration_due)


def record_calibration(
    *, session: Session, actor: Principal, code: str, data: schemas.CalibrationCreate
) -> Equipment:
    """Record a calibration: the next due time, which must be in the future, with its certificate."""
    equipment = get_by_code(session=session, code=code, for_update=True)
    reasons = gates.calibration_refusals(facts_of(equipment=equipment), due=data.calibration_due, now=utcnow())
    if reasons:
        # Out of service is a conflict with the record; a due time in the past is input that cannot be used.
        refusal: type[BatchtrackError] = Conflict if not equipment.active else BadRequest
        raise refusal(
            _("the calibration of instrument {code} cannot be recorded", code=equipment.code),
            code="calibration.refused",
            reasons=reasons,
            audit=AuditedRefusal(actor, "equipment.calibration_refused", ENTITY, equipment.code,
                                 {"requested_calibration_due": data.calibration_due}),
        )
    old = {"calibration_due": equipment.calibration_due}
    equipment.calibration_due = data.calibration_due
    session.add(equipment)
    audit_service.record(session=session, actor=actor, action="equipment.calibrated", entity_type=ENTITY,
                         entity_id=equipment.code, old=old, new={"calibration_due": equipment.calibration_due},
                         reason=data.certificate)
    session.flush()
    return equipment


def retire(*, session: Session, actor: Principal, code: str, reason: str) -> Equipment:
    """Take an instrument out of service for good: it is refused at every step from then on."""
    equipment = get_by_code(session=session, code=code, for_update=True)
    reasons = gates.retire_refusals(facts_of(equipment=equipment))
    if reasons:
        raise Conflict(_("instrument {code} cannot be taken out of service", code=equipment.code),
                       code="equipment.retired",
                       reasons=reasons, audit=AuditedRefusal(actor, "equipment.retire_refused", ENTITY, equipment.code))
    equipment.active = False
    session.add(equipment)
    audit_service.record(session=session, actor=actor, action="equipment.retired", entity_type=ENTITY,
                         entity_id=equipment.code, old={"active": True}, new={"active": False}, reason=reason)
    session.flush()
    return equipment


def list_equipment(
    *, session: Session, offset: int, limit: int, kind: str | None = None, active: bool | None = None
) -> tuple[list[Equipment], int]:
    """A page of instruments, by calibration due time (soonest first), with the total count."""
    query = select(Equipment)
    counter = select(func.count()).select_from(Equipment)
    if kind:
        query = query.where(col(Equipment.kind) == kind)
        counter = counter.where(col(Equipment.kind) == kind)
    if active is not None:
        query = query.where(col(Equipment.active) == active)
        counter = counter.where(col(Equipment.active) == active)
    rows = session.execute(
        query.order_by(col(Equipment.calibration_due), col(Equipment.code)).offset(offset).limit(limit)
    ).scalars()
    return list(rows), int(session.execute(counter).scalar_one())


def require_kind(kind: str | None) -> str | None:
    """Refuse a filter on an instrument kind that does not exist."""
    if kind is not None and kind not in {k.value for k in EquipmentKind}:
        raise BadRequest(_("unknown instrument kind {kind}; known: {known}", kind=repr(kind[:40]),
                           known=", ".join(EquipmentKind)),
                         code="equipment.unknown_kind")
    return kind


def _names(session: Session, people: set[int]) -> dict[int | None, str]:
    return dict(session.execute(select(col(User.id), col(User.full_name)).where(col(User.id).in_(people))).all())


def to_public_many(*, session: Session, equipment: list[Equipment]) -> list[schemas.EquipmentPublic]:
    """Instruments as every role may see them, with whether calibration is overdue now."""
    names = _names(session, {e.registered_by for e in equipment})
    now = utcnow()
    return [
        schemas.EquipmentPublic(
            code=e.code, kind=e.kind, description=e.description, location=e.location,
            calibration_due=e.calibration_due,
            calibration_overdue=gates.calibration_overdue(facts_of(equipment=e), now=now), active=e.active,
            registered_by=names.get(e.registered_by, "?"), registered_at=e.registered_at,
        )
        for e in equipment
    ]


def to_public(*, session: Session, equipment: Equipment) -> schemas.EquipmentPublic:
    """An instrument as every role may see it."""
    return to_public_many(session=session, equipment=[equipment])[0]


def uses_of(
    *, session: Session, equipment: Equipment, offset: int, limit: int
) -> tuple[list[schemas.EquipmentUsePublic], int]:
    """A page of the instrument's uses at steps of lots, newest first, with the total count."""
    rows = session.execute(
        core_select(col(Lot.din), col(ProcessStep.step_code), col(ProcessStep.title), col(User.full_name),
                    col(EquipmentUse.used_at))
        .select_from(EquipmentUse)
        .join(ProcessStep, col(ProcessStep.id) == col(EquipmentUse.step_id))
        .join(Lot, col(Lot.id) == col(ProcessStep.lot_id))
        .join(User, col(User.id) == col(EquipmentUse.used_by))
        .where(col(EquipmentUse.equipment_id) == equipment.id)
        .order_by(col(EquipmentUse.used_at).desc(), col(EquipmentUse.id).desc())
        .offset(offset).limit(limit)
    ).all()
    total = session.execute(
        select(func.count()).select_from(EquipmentUse).where(col(EquipmentUse.equipment_id) == equipment.id)
    ).scalar_one()
    uses = [schemas.EquipmentUsePublic(din=din, step_code=step_code, step_title=title, used_by=name, used_at=at)
            for din, step_code, title, name, at in rows]
    return uses, int(total)


def history_of(*, session: Session, equipment: Equipment) -> list[schemas.EquipmentEvent]:
    """The instrument's recorded changes (registration, calibrations, retirement), oldest first."""
    entries = audit_service.entries_for(session=session, entity_type=ENTITY, entity_id=equipment.code,
                                        limit=HISTORY_LIMIT)
    return [
        schemas.EquipmentEvent(
            at=entry.occurred_at, action=entry.action, actor=entry.actor_name,
            calibration_due_before=_recorded_time(entry.old_values, "calibration_due"),
            calibration_due_after=_recorded_time(entry.new_values, "calibration_due"), reason=entry.reason,
        )
        for entry in entries
    ]


def _recorded_time(values: str, key: str) -> datetime | None:
    """A timestamp recorded in an audit entry's values, if there is one."""
    try:
        recorded = json.loads(values).get(key)
        return datetime.fromisoformat(recorded) if isinstance(recorded, str) else None
    except (ValueError, AttributeError):
        return None
