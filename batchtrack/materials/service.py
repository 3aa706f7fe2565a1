"""Material lots: receipt into quarantine, QA release or rejection, and the recall queries both ways."""

from __future__ import annotations

import json
import re
from typing import Any

from sqlalchemy import func
from sqlalchemy import select as core_select
from sqlalchemy.orm import Session
from sqlmodel import col, select

from batchtrack.audit import service as audit_service
from batchtrack.auth import signatures
from batchtrack.auth.principal import Principal
from batchtrack.config import Settings
from batchtrack.errors import AuditedRefusal, BadRequest, Conflict, InvalidTransition, NotFound
from batchtrack.i18n.text import _
from batchtrack.identifiers import service as identifier_service
from batchtrack.materials import gates, schemas
from batchtrack.models.audit import AuditEntry
from batchtrack.models.base import utcnow
from batchtrack.models.lot import Lot
from batchtrack.models.material import MaterialKind, MaterialLot, MaterialStatus, MaterialUse
from batchtrack.models.party import Recipient
from batchtrack.models.processing import ProcessStep
from batchtrack.models.signature import Signature, SignatureMeaning
from batchtrack.models.therapy import Therapy
from batchtrack.models.user import User

CODE_PREFIX = "MT"
LAST_NUMBER = 99_999  # five digits per year
ENTITY = "material_lot"
_CODE_SHAPE = re.compile(r"[A-Z0-9]{1,20}")


def receive(
    *, session: Session, settings: Settings, actor: Principal, data: schemas.MaterialLotCreate
) -> MaterialLot:
    """Receive a material lot into quarantine under a new in-house code: MT, 2-digit year, 5-digit number."""
    assert actor.user_id is not None
    now = utcnow()
    if data.expires_at <= now:
        raise BadRequest(_("the material expired at {time}; an expired lot is not received",
                           time=data.expires_at.isoformat()),
                         code="material.expired")
    material = MaterialLot(
        code=_allocate_code(session=session, year=now.year), kind=data.kind.value,
        description=data.description, supplier=data.supplier, supplier_lot=data.supplier_lot,
        expires_at=data.expires_at, status=MaterialStatus.QUARANTINE.value, received_by=actor.user_id,
        received_at=now,
    )
    session.add(material)
    session.flush()
    audit_service.record(
        session=session, actor=actor, action="material.received", entity_type=ENTITY, entity_id=material.code,
        new={"kind": material.kind, "description": material.description, "supplier": material.supplier,
             "supplier_lot": material.supplier_lot, "expires_at": material.expires_at, "status": material.status},
    )
    return material


def _allocate_code(*, session: Session, year: int) -> str:
    """The next material code of the year; the database advances the sequence, so no two are equal.

    One sequence for the whole installation (not per facility): the code carries no FIN, and sites sharing a
    database must never be handed the same code.
    """
    number = identifier_service.next_number(session=session, kind="material", fin="*", year=year)
    if number > LAST_NUMBER:
        raise Conflict(_("all {count} material codes of {year} are used", count=LAST_NUMBER, year=year),
                       code="material.codes_exhausted")
    return f"{CODE_PREFIX}{year % 100:02d}{number:05d}"


def get_by_code(*, session: Session, code: str, for_update: bool = False) -> MaterialLot:
    """The material lot with this code (spaces and letter case ignored); NotFound otherwise."""
    compact = "".join(code.split()).upper()
    material = None
    if _CODE_SHAPE.fullmatch(compact):
        query = select(MaterialLot).where(col(MaterialLot.code) == compact)
        if for_update:
            query = query.with_for_update()
        material = session.execute(query).scalar_one_or_none()
    if material is None:
        raise NotFound(_("no material lot with code {code}", code=repr(compact[:20])), code="material.unknown")
    return material


def facts_of(*, material: MaterialLot) -> gates.MaterialFacts:
    """The material lot as the pure rules see it."""
    return gates.MaterialFacts(code=material.code, kind=material.kind, status=material.status,
                               expires_at=material.expires_at)


def release(*, session: Session, actor: Principal, code: str, data: schemas.MaterialDecision) -> MaterialLot:
    """QA releases a quarantined, unexpired material lot for use, signed with the meaning 'released'."""
    return _decide(session, actor, code, data, MaterialStatus.RELEASED)


def reject(*, session: Session, actor: Principal, code: str, data: schemas.MaterialDecision) -> MaterialLot:
    """QA rejects a material lot (also one released earlier), signed with the meaning 'rejected', with a reason."""
    if not data.reason:
        raise BadRequest(_("rejecting a material lot needs a reason"), code="reason_required")
    return _decide(session, actor, code, data, MaterialStatus.REJECTED)


def decision_content(*, material: MaterialLot, status: str, reason: str) -> dict[str, Any]:
    """What QA's release or rejection signature on a material lot covers (pure)."""
    return {"material": material.code, "kind": material.kind, "supplier": material.supplier,
            "supplier_lot": material.supplier_lot, "expires_at": material.expires_at.isoformat(),
            "status": status, "reason": reason}


def signed_content_of(*, session: Session, signature: Signature) -> dict[str, Any] | None:
    """What a decision signature covers, rebuilt from the material lot and the reason its decision entry
    recorded; None if the lot or that entry is not found."""
    material = session.execute(select(MaterialLot).where(col(MaterialLot.code) == signature.entity_id)
                               ).scalar_one_or_none()
    entries = session.execute(select(col(AuditEntry.new_values), col(AuditEntry.reason)).where(
        col(AuditEntry.action) == f"material.{signature.meaning}", col(AuditEntry.entity_type) == ENTITY,
        col(AuditEntry.entity_id) == signature.entity_id)).all()
    reasons = [reason for new, reason in entries if json.loads(new).get("signature_id") == signature.id]
    if material is None or len(reasons) != 1:
        return None
    return decision_content(material=material, status=signature.meaning, reason=reasons[0])


def _decide(
    session: Session, actor: Principal, code: str, data: schemas.MaterialDecision, decision: MaterialStatus
) -> MaterialLot:
    material = get_by_code(session=session, code=code, for_update=True)
    now = utcnow()
    facts = facts_of(material=material)
    verb = "release" if decision == MaterialStatus.RELEASED else "reject"
    reasons = gates.release_refusals(facts, now=now) if verb == "release" else gates.reject_refusals(facts)
    if reasons:
        raise InvalidTransition(
            _("material {code} cannot be released", code=material.code) if verb == "release"
            else _("material {code} cannot be rejected", code=material.code), reasons=reasons,
            audit=AuditedRefusal(actor, f"material.{verb}_refused", ENTITY, material.code,
                                 {"status": material.status}),
        )
    content = decision_content(material=material, status=decision.value, reason=data.reason)
    signature = signatures.sign(session=session, signer=actor, username=data.username, password=data.password,
                                meaning=SignatureMeaning(decision.value), entity_type=ENTITY,
                                entity_id=material.code, content=content)
    old = {"status": material.status, "status_by": material.status_by, "status_at": material.status_at}
    material.status = decision.value
    material.status_by = actor.user_id
    material.status_at = now
    session.add(material)
    audit_service.record(
        session=session, actor=actor, action=f"material.{decision.value}", entity_type=ENTITY,
        entity_id=material.code, old=old,
        new={"status": material.status, "status_by": material.status_by, "status_at": material.status_at,
             "signature_id": signature.id},
        reason=data.reason,
    )
    session.flush()
    return material


def list_materials(
    *, session: Session, offset: int, limit: int, kind: str | None = None, status: str | None = None
) -> tuple[list[MaterialLot], int]:
    """A page of material lots, newest first, optionally of one kind and status, with the total count."""
    query = select(MaterialLot)
    counter = select(func.count()).select_from(MaterialLot)
    if kind:
        query = query.where(col(MaterialLot.kind) == kind)
        counter = counter.where(col(MaterialLot.kind) == kind)
    if status:
        query = query.where(col(MaterialLot.status) == status)
        counter = counter.where(col(MaterialLot.status) == status)
    rows = session.execute(query.order_by(col(MaterialLot.id).desc()).offset(offset).limit(limit)).scalars()
    return list(rows), int(session.execute(counter).scalar_one())


def require_kind(kind: str | None) -> str | None:
    """Refuse a filter on a material kind that does not exist."""
    if kind is not None and kind not in {k.value for k in MaterialKind}:
        raise BadRequest(_("unknown material kind {kind}; known: {known}", kind=repr(kind[:40]),
                           known=", ".join(MaterialKind)),
                         code="material.unknown_kind")
    return kind


def require_status(status: str | None) -> str | None:
    """Refuse a filter on a material status that does not exist."""
    if status is not None and status not in {s.value for s in MaterialStatus}:
        raise BadRequest(_("unknown material status {status}; known: {known}", status=repr(status[:40]),
                           known=", ".join(MaterialStatus)),
                         code="material.unknown_status")
    return status


def to_public_many(*, session: Session, materials: list[MaterialLot]) -> list[schemas.MaterialLotPublic]:
    """Material lots as every role may see them, with the names of who received and decided."""
    people = {m.received_by for m in materials} | {m.status_by for m in materials if m.status_by is not None}
    names = dict(session.execute(select(col(User.id), col(User.full_name)).where(col(User.id).in_(people))).all())
    now = utcnow()
    return [
        schemas.MaterialLotPublic(
            code=m.code, kind=m.kind, description=m.description, supplier=m.supplier, supplier_lot=m.supplier_lot,
            expires_at=m.expires_at, expired=now >= m.expires_at, status=m.status,
            received_by=names.get(m.received_by, "?"), received_at=m.received_at,
            status_by=names.get(m.status_by, "?") if m.status_by is not None else None, status_at=m.status_at,
        )
        for m in materials
    ]


def to_public(*, session: Session, material: MaterialLot) -> schemas.MaterialLotPublic:
    """A material lot as every role may see it."""
    return to_public_many(session=session, materials=[material])[0]


def lots_using(*, session: Session, code: str) -> list[schemas.LotUsingMaterial]:
    """Every lot that consumed the material lot, with the steps that used it and when (a recall's reach)."""
    material = get_by_code(session=session, code=code)
    rows = session.execute(
        core_select(col(Lot.din), col(Therapy.coi), col(Recipient.subject_code), col(Lot.state),
                    col(ProcessStep.step_code), col(MaterialUse.used_at))
        .select_from(MaterialUse)
        .join(Lot, col(Lot.id) == col(MaterialUse.lot_id))
        .join(Therapy, col(Therapy.id) == col(Lot.therapy_id))
        .join(Recipient, col(Recipient.id) == col(Therapy.recipient_id))
        .join(ProcessStep, col(ProcessStep.id) == col(MaterialUse.step_id))
        .where(col(MaterialUse.material_lot_id) == material.id)
        .order_by(col(MaterialUse.used_at), col(MaterialUse.id))
    ).all()
    found: dict[str, schemas.LotUsingMaterial] = {}
    for din, coi, subject_code, state, step_code, used_at in rows:
        lot = found.get(din)
        if lot is None:
            found[din] = schemas.LotUsingMaterial(din=din, therapy_coi=coi, subject_code=subject_code,
                                                  lot_state=state, step_codes=[step_code], first_used_at=used_at,
                                                  last_used_at=used_at)
        else:
            _add_use(lot.step_codes, step_code)
            lot.last_used_at = used_at
    return list(found.values())


def materials_of_lot(*, session: Session, lot: Lot) -> list[schemas.MaterialOfLot]:
    """Every material lot that went into the lot, with the steps that used it and when."""
    rows = session.execute(
        select(MaterialLot, col(ProcessStep.step_code), col(MaterialUse.used_at))
        .select_from(MaterialUse)
        .join(MaterialLot, col(MaterialLot.id) == col(MaterialUse.material_lot_id))
        .join(ProcessStep, col(ProcessStep.id) == col(MaterialUse.step_id))
        .where(col(MaterialUse.lot_id) == lot.id)
        .order_by(col(MaterialUse.used_at), col(MaterialUse.id))
    ).all()
    found: dict[str, schemas.MaterialOfLot] = {}
    for material, step_code, used_at in rows:
        entry = found.get(material.code)
        if entry is None:
            found[material.code] = schemas.MaterialOfLot(
                code=material.code, kind=material.kind, description=material.description,
                supplier=material.supplier, supplier_lot=material.supplier_lot, expires_at=material.expires_at,
                status=material.status, step_codes=[step_code], first_used_at=used_at, last_used_at=used_at)
        else:
            _add_use(entry.step_codes, step_code)
            entry.last_used_at = used_at
    return list(found.values())


def _add_use(step_codes: list[str], step_code: str) -> None:
    if step_code not in step_codes:
        step_codes.append(step_code)
