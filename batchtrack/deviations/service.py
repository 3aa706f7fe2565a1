"""Deviations: opening one on a lot (which holds it), closing it with QA's signature, and finding them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import case, func
from sqlalchemy.orm import Session
from sqlmodel import col, select
from sqlmodel.sql.expression import SelectOfScalar

from batchtrack.audit import service as audit_service
from batchtrack.auth import signatures
from batchtrack.auth.principal import Principal
from batchtrack.deviations import schemas, workflow
from batchtrack.errors import AuditedRefusal, BadRequest, BatchtrackError, Conflict, Forbidden, NotFound, Reason
from batchtrack.i18n.text import Text, _
from batchtrack.identifiers import din as din_id
from batchtrack.identifiers import service as identifier_service
from batchtrack.lots.workflow import LotState
from batchtrack.models.base import utcnow
from batchtrack.models.deviation import Deviation, DeviationOrigin, DeviationState
from batchtrack.models.lot import Lot
from batchtrack.models.processing import ProcessStep
from batchtrack.models.signature import Signature, SignatureMeaning
from batchtrack.models.user import User
from batchtrack.notifications import events as notification_events

# Deviation numbers run per year across the installation, not per facility; the sequence table keys them by
# kind (eight characters at most) and a scope in place of the FIN.
_SEQUENCE_KIND = "dev"
_SEQUENCE_SCOPE = "*"


def _refusal(message: Text, reasons: list[Reason], audit: AuditedRefusal) -> BatchtrackError:
    """The refusal with the status of its gravest reason: the role (403), the record's state (409), the input."""
    codes = [r.code for r in reasons]
    who = [code for code in codes if code in ("actor.role", "deviation.opener_unknown")]
    if who:
        return Forbidden(message, code=who[0], reasons=reasons, audit=audit)
    if "deviation.closed" in codes:
        return Conflict(message, code="deviation.closed", reasons=reasons, audit=audit)
    return BadRequest(message, code=codes[0], reasons=reasons, audit=audit)


def _allocate_number(session: Session) -> str:
    year = utcnow().year
    number = identifier_service.next_number(session=session, kind=_SEQUENCE_KIND, fin=_SEQUENCE_SCOPE, year=year)
    return f"DEV-{year:04d}-{number:04d}"


def open_deviation(
    *,
    session: Session,
    actor: Principal,
    lot: Lot,
    description: str,
    impact: str = "",
    step_id: int | None = None,
    origin: DeviationOrigin = DeviationOrigin.MANUAL,
) -> Deviation:
    """Record a deviation on `lot` and, while the lot still moves, put it on hold until QA lifts the hold."""
    step = session.get(ProcessStep, step_id) if step_id is not None else None
    facts = workflow.OpenFacts(
        actor_roles=actor.roles, actor_id=actor.user_id, origin=origin, description=description,
        step_of_lot=step_id is None or (step is not None and step.lot_id == lot.id),
    )
    reasons = workflow.guard_open(facts)
    if reasons:
        raise _refusal(_("no deviation can be opened on lot {din}", din=lot.din), reasons,
                       AuditedRefusal(actor, "deviation.open_refused", "lot", lot.din, {"origin": origin.value}))
    # Lock the lot and read its state afresh: a transition running at the same time must not slip past the hold.
    lot = session.execute(
        select(Lot).where(col(Lot.id) == lot.id).with_for_update().execution_options(populate_existing=True)
    ).scalar_one()
    assert lot.id is not None and actor.user_id is not None
    deviation = Deviation(
        number=_allocate_number(session), lot_id=lot.id, step_id=step_id, origin=origin.value,
        description=description.strip(), impact=impact.strip(), opened_by=actor.user_id,
    )
    session.add(deviation)
    session.flush()
    audit_service.record(
        session=session, actor=actor, action="deviation.opened", entity_type="deviation",
        entity_id=deviation.number,
        new={"number": deviation.number, "lot": lot.din, "step_id": step_id, "origin": deviation.origin,
             "description": deviation.description, "impact": deviation.impact, "state": deviation.state},
    )
    notification_events.deviation_opened(session=session, lot=lot, deviation=deviation)
    if workflow.holds_lot(LotState(lot.state)):
        _hold(session, actor, lot, deviation)
    session.flush()
    return deviation


def _hold(session: Session, actor: Principal, lot: Lot, deviation: Deviation) -> None:
    """Put the lot on hold for the deviation: a rule of the system, whatever the role of the person opening it."""
    old = {"state": lot.state, "state_before_hold": lot.state_before_hold}
    lot.state_before_hold = lot.state
    lot.state = LotState.ON_HOLD.value
    lot.updated_at = utcnow()
    session.add(lot)
    audit_service.record(
        session=session, actor=actor, action="lot.hold", entity_type="lot", entity_id=lot.din, old=old,
        new={"state": lot.state, "state_before_hold": lot.state_before_hold},
        reason=f"deviation {deviation.number} opened",
    )


def get_by_number(*, session: Session, number: str, for_update: bool = False) -> Deviation:
    """The deviation with this number; NotFound otherwise."""
    query = select(Deviation).where(col(Deviation.number) == number.strip().upper())
    if for_update:
        query = query.with_for_update()
    deviation = session.execute(query).scalar_one_or_none()
    if deviation is None:
        raise NotFound(_("no deviation {number}", number=repr(number[:20])), code="deviation.unknown")
    return deviation


def closure_content(*, deviation: Deviation, lot_din: str) -> dict[str, Any]:
    """What QA's closing signature covers (pure): the deviation's number, lot, description, impact, closure."""
    return {"number": deviation.number, "lot": lot_din, "description": deviation.description,
            "impact": deviation.impact, "closure": deviation.closure}


def signed_content(*, session: Session, deviation: Deviation) -> dict[str, Any]:
    """What QA's closing signature of `deviation` covers."""
    lot = session.get(Lot, deviation.lot_id)
    assert lot is not None
    return closure_content(deviation=deviation, lot_din=lot.din)


def signed_content_of(*, session: Session, signature: Signature) -> dict[str, Any] | None:
    """What a closing signature covers, rebuilt from the deviation it closed; None if no deviation names it."""
    deviation = session.execute(select(Deviation).where(col(Deviation.closed_signature_id) == signature.id)
                                ).scalars().first()
    return signed_content(session=session, deviation=deviation) if deviation is not None else None


def close_deviation(*, session: Session, actor: Principal, number: str, closure: str, username: str,
                    password: str) -> Deviation:
    """Close the deviation with QA's signature (approved); the lot stays on hold until QA lifts it."""
    deviation = get_by_number(session=session, number=number, for_update=True)
    reasons = workflow.guard_close(workflow.CloseFacts(
        actor_roles=actor.roles, state=DeviationState(deviation.state), closure=closure,
    ))
    if reasons:
        raise _refusal(_("deviation {number} cannot be closed", number=deviation.number), reasons,
                       AuditedRefusal(actor, "deviation.close_refused", "deviation", deviation.number,
                                      {"state": deviation.state}))
    assert actor.user_id is not None
    text = closure.strip()
    signature = signatures.sign(
        session=session, signer=actor, username=username, password=password, meaning=SignatureMeaning.APPROVED,
        entity_type="deviation", entity_id=deviation.number,
        content=signed_content(session=session, deviation=deviation) | {"closure": text},
    )
    deviation.closure = text
    deviation.state = DeviationState.CLOSED.value
    deviation.closed_by = actor.user_id
    deviation.closed_at = signature.signed_at
    deviation.closed_signature_id = signature.id
    session.add(deviation)
    audit_service.record(
        session=session, actor=actor, action="deviation.closed", entity_type="deviation",
        entity_id=deviation.number, old={"state": DeviationState.OPEN.value},
        new={"state": deviation.state, "closure": deviation.closure, "signature_id": signature.id},
    )
    session.flush()
    return deviation


def _open_first(query: SelectOfScalar[Deviation]) -> SelectOfScalar[Deviation]:
    return query.order_by(case((col(Deviation.state) == DeviationState.OPEN.value, 0), else_=1),
                          col(Deviation.id).desc())


def list_deviations(
    *, session: Session, offset: int, limit: int, state: str | None = None, lot_din: str | None = None
) -> tuple[list[Deviation], int]:
    """A page of deviations, open ones first, newest first, with the total count."""
    query = select(Deviation)
    counter = select(func.count()).select_from(Deviation)
    if state:
        query = query.where(col(Deviation.state) == state)
        counter = counter.where(col(Deviation.state) == state)
    if lot_din:
        compact = "".join(lot_din.split()).upper()[: din_id.DIN_LENGTH]
        of_lot = col(Deviation.lot_id).in_(select(col(Lot.id)).where(col(Lot.din) == compact))
        query = query.where(of_lot)
        counter = counter.where(of_lot)
    rows = session.execute(_open_first(query).offset(offset).limit(limit)).scalars()
    return list(rows), int(session.execute(counter).scalar_one())


def open_count(*, session: Session, lot_id: int) -> int:
    """How many deviations of the lot are still open."""
    return int(session.execute(
        select(func.count()).select_from(Deviation)
        .where(col(Deviation.lot_id) == lot_id, col(Deviation.state) == DeviationState.OPEN.value)
    ).scalar_one())


def of_lot(*, session: Session, lot: Lot) -> list[Deviation]:
    """Every deviation of the lot, open ones first, newest first."""
    return list(session.execute(_open_first(select(Deviation).where(col(Deviation.lot_id) == lot.id))).scalars())


def require_state_name(state: str | None) -> str | None:
    """Refuse a filter on a deviation state that does not exist."""
    if state is not None and state not in {s.value for s in DeviationState}:
        raise BadRequest(_("unknown deviation state {state}; known: open, closed", state=repr(state[:40])),
                         code="deviation.unknown_state")
    return state


def to_public(*, session: Session, deviation: Deviation) -> schemas.DeviationPublic:
    """The deviation as the API returns it, with the closing signature and whether it is still intact."""
    lot = session.get(Lot, deviation.lot_id)
    opener = session.get(User, deviation.opened_by)
    closer = session.get(User, deviation.closed_by) if deviation.closed_by is not None else None
    assert lot is not None and opener is not None
    signature = None
    if deviation.closed_signature_id is not None:
        signed = session.get(Signature, deviation.closed_signature_id)
        assert signed is not None
        signature = schemas.SignaturePublic(
            printed_name=signed.printed_name, meaning=signed.meaning, signed_at=signed.signed_at,
            intact=signatures.intact(session=session, signature=signed,
                                     content=signed_content(session=session, deviation=deviation)),
        )
    return schemas.DeviationPublic(
        number=deviation.number, lot_din=lot.din, lot_state=lot.state, step_id=deviation.step_id,
        origin=deviation.origin, state=deviation.state, description=deviation.description,
        impact=deviation.impact, opened_by=opener.full_name, opened_at=deviation.opened_at,
        closure=deviation.closure, closed_by=closer.full_name if closer else None, closed_at=deviation.closed_at,
        closure_signature=signature,
    )
