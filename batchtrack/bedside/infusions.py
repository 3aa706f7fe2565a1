"""The infusion of one bag after a passed bedside check, signed by both clinicians; the lot and the therapy close
when every bag is done."""

from __future__ import annotations

import json
from datetime import UTC, datetime, tzinfo
from typing import Any

from sqlalchemy import func, or_
from sqlalchemy.orm import Session
from sqlmodel import col, select

from batchtrack.audit import service as audit_service
from batchtrack.auth import service as auth_service
from batchtrack.auth import signatures
from batchtrack.auth.principal import Principal
from batchtrack.bedside import gate, records, schemas
from batchtrack.db import checkpoint_after_commit
from batchtrack.errors import AuditedRefusal, GateRefused, NotFound, Reason
from batchtrack.i18n.text import _
from batchtrack.lots import service as lot_service
from batchtrack.lots import workflow
from batchtrack.models.base import utcnow
from batchtrack.models.bedside import Infusion
from batchtrack.models.container import Container, ContainerKind, ContainerStatus
from batchtrack.models.lot import Lot
from batchtrack.models.signature import Signature, SignatureMeaning
from batchtrack.models.therapy import Therapy
from batchtrack.models.user import User
from batchtrack.qualifications import requirements as qualification_requirements
from batchtrack.qualifications import service as qualification_service

THERAPY_COMPLETED = "completed"
_DONE = frozenset({ContainerStatus.INFUSED.value, ContainerStatus.DESTROYED.value})


def _moment(value: datetime) -> datetime:
    return value.astimezone(UTC).replace(microsecond=0)


def infusion_content(*, check_id: int, lot_din: str, division: str, therapy_coi: str, started_at: datetime,
                     ended_at: datetime, volume_ml: float, vital_signs: dict[str, Any],
                     adverse_reactions: str) -> dict[str, Any]:
    """What both clinicians' signatures on an infusion cover (pure)."""
    return {"check_id": check_id, "lot": lot_din, "bag": division, "therapy": therapy_coi,
            "started_at": _moment(started_at), "ended_at": _moment(ended_at), "volume_ml": volume_ml,
            "vital_signs": vital_signs, "adverse_reactions": adverse_reactions}


def _signed_content(session: Session, infusion: Infusion) -> dict[str, Any]:
    lot = session.get(Lot, infusion.lot_id)
    container = session.get(Container, infusion.container_id)
    therapy = session.get(Therapy, infusion.therapy_id)
    assert lot is not None and container is not None and therapy is not None
    return infusion_content(check_id=infusion.check_id, lot_din=lot.din, division=container.division,
                            therapy_coi=therapy.coi, started_at=infusion.started_at, ended_at=infusion.ended_at,
                            volume_ml=infusion.volume_ml, vital_signs=json.loads(infusion.vital_signs),
                            adverse_reactions=infusion.adverse_reactions)


def signed_content_of(*, session: Session, signature: Signature) -> dict[str, Any] | None:
    """What both clinicians' signatures cover, rebuilt from the infusion they signed; None if it is not found."""
    infusion = session.execute(select(Infusion).where(or_(
        col(Infusion.first_signature_id) == signature.id, col(Infusion.second_signature_id) == signature.id))
    ).scalars().first()
    return _signed_content(session, infusion) if infusion is not None else None


def _active_user(session: Session, username: str) -> User | None:
    user = session.execute(select(User).where(col(User.username) == username.strip().lower())).scalar_one_or_none()
    return user if user is not None and user.is_active else None


def _close_lot_if_done(session: Session, actor: Principal, lot: Lot, therapy: Therapy) -> None:
    """Once every final product bag is infused or destroyed, the lot is infused and the therapy completed."""
    left = session.execute(
        select(func.count()).select_from(Container).where(
            col(Container.lot_id) == lot.id, col(Container.kind) == ContainerKind.FINAL_PRODUCT,
            col(Container.status).not_in(_DONE))
    ).scalar_one()
    if left:
        return
    refused = workflow.guard_infuse(lot_service.facts_for(session=session, lot=lot, actor=actor))
    if refused:
        # The infusion happened and stays recorded; the lot waits for QA (on hold, or expired since the start).
        audit_service.record(
            session=session, actor=actor, action="lot.transition_refused", entity_type="lot", entity_id=lot.din,
            new={"transition": "infuse", "state": lot.state, "reasons": [r.as_dict() for r in refused]},
            reason="every final product bag is infused, but the lot cannot be marked infused",
        )
        return
    lot_service.transition(session=session, actor=actor, din=lot.din, name="infuse",
                           reason="every final product bag of the lot is infused or destroyed")
    old = therapy.state
    therapy.state = THERAPY_COMPLETED
    session.add(therapy)
    audit_service.record(session=session, actor=actor, action="therapy.completed", entity_type="therapy",
                         entity_id=therapy.coi, old={"state": old}, new={"state": therapy.state},
                         reason=f"lot {lot.din} infused")


def record_infusion(*, session: Session, actor: Principal, data: schemas.InfusionCreate,
                    zone: tzinfo = UTC) -> Infusion:
    """Record the infusion of the bag a passed check named, signed by both clinicians; close the lot when done
    (a refusal names times in `zone`, the site's)."""
    records.require_clinician(actor)
    check_row = records.get_check(session=session, check_id=data.check_id)
    # The lot is locked first: two bags infused at once must not both see the other still in use.
    lot = session.execute(select(Lot).where(col(Lot.id) == check_row.lot_id).with_for_update()
                          ).scalar_one_or_none() if check_row.lot_id else None
    container = session.get(Container, check_row.container_id) if check_row.container_id else None
    second_user = _active_user(session, data.second_clinician)
    second = auth_service.principal_for(session=session, user=second_user) if second_user else None
    facts = gate.InfusionFacts(
        now=utcnow(), check_ok=check_row.ok and container is not None and lot is not None,
        check_used=records.infusion_of_check(session=session, check_id=data.check_id) is not None,
        checked_at=check_row.checked_at, bag_status=container.status if container else "unknown",
        expires_at=lot.expires_at if lot else None, started_at=_moment(data.started_at),
        ended_at=_moment(data.ended_at), volume_ml=data.volume_ml,
        bag_volume_ml=records.per_bag_value(session=session, lot=lot, name=records.VOLUME)
        if lot else None,
        first=records.clinician_of(actor), second=records.clinician_of(second) if second else None,
        check_clinicians=(check_row.first_clinician_id, check_row.second_clinician_id), zone=zone,
    )
    reasons = gate.infusion_refusals(facts)
    if second is None:
        reasons.insert(0, Reason("infusion.second_unknown",
                                 _("no active user {username}", username=repr(data.second_clinician[:64]))))
    if reasons:
        raise GateRefused(_("the infusion on check {check} cannot be recorded", check=check_row.id), reasons=reasons,
                          audit=AuditedRefusal(actor, "infusion.refused", "bedside_check", str(check_row.id),
                                               {"container_id": check_row.container_id}))
    for person in (actor, second):  # both clinicians sign: both must be qualified
        qualification_service.require(session=session, actor=actor, activity=qualification_requirements.INFUSION,
                                      entity_type="bedside_check", entity_id=check_row.id or 0,
                                      person_id=person.user_id if person is not None else None)
    assert container is not None and lot is not None and second is not None and container.id is not None
    therapy = session.get(Therapy, lot.therapy_id)
    assert therapy is not None and actor.user_id is not None
    vitals = {"before": data.vitals_before.model_dump(), "after": data.vitals_after.model_dump()}
    reactions = data.adverse_reactions.strip()
    content = infusion_content(check_id=data.check_id, lot_din=lot.din, division=container.division,
                               therapy_coi=therapy.coi, started_at=data.started_at, ended_at=data.ended_at,
                               volume_ml=data.volume_ml, vital_signs=vitals, adverse_reactions=reactions)
    entity = f"{lot.din}-{container.division}"
    performed = signatures.sign(session=session, signer=actor, username=data.username, password=data.password,
                                meaning=SignatureMeaning.PERFORMED, entity_type="infusion", entity_id=entity,
                                content=content)
    # The second clinician is not the session's user: the user id they typed (naming them) and their password.
    reviewed = signatures.sign(session=session, signer=second, username=data.second_clinician,
                               password=data.second_password,
                               meaning=SignatureMeaning.REVIEWED, entity_type="infusion", entity_id=entity,
                               content=content)
    infusion = Infusion(
        container_id=container.id, therapy_id=therapy.id or 0, lot_id=lot.id or 0, check_id=data.check_id,
        started_at=facts.started_at, ended_at=facts.ended_at, volume_ml=data.volume_ml,
        vital_signs=json.dumps(vitals), adverse_reactions=reactions, first_signature_id=performed.id or 0,
        second_signature_id=reviewed.id or 0, recorded_by=actor.user_id,
    )
    session.add(infusion)
    container.status = ContainerStatus.INFUSED.value
    session.add(container)
    session.flush()
    audit_service.record(
        session=session, actor=actor, action="infusion.recorded", entity_type="infusion",
        entity_id=infusion.id or 0,
        new={"check_id": data.check_id, "lot": lot.din, "bag": container.division, "therapy": therapy.coi,
             "started_at": infusion.started_at, "ended_at": infusion.ended_at, "volume_ml": data.volume_ml,
             "vital_signs": vitals, "adverse_reactions": reactions, "reviewed_by": second.username},
    )
    audit_service.record(session=session, actor=actor, action="container.infused", entity_type="lot",
                         entity_id=lot.din, old={"container_id": container.id, "status": ContainerStatus.IN_USE.value},
                         new={"container_id": container.id, "status": container.status, "infusion_id": infusion.id})
    _close_lot_if_done(session, actor, lot, therapy)
    session.flush()
    checkpoint_after_commit(session, f"infusion {infusion.id}: lot {lot.din}")
    return infusion


def infusions_of(*, session: Session, coi: str) -> list[Infusion]:
    """The infusions of a therapy, in the order they started."""
    therapy = session.execute(select(Therapy).where(col(Therapy.coi) == coi)).scalar_one_or_none()
    if therapy is None:
        raise NotFound(_("no therapy with COI identifier {coi}", coi=coi[:20]))
    return list(session.execute(
        select(Infusion).where(col(Infusion.therapy_id) == therapy.id)
        .order_by(col(Infusion.started_at), col(Infusion.id))
    ).scalars())


def infusion_public(*, session: Session, infusion: Infusion) -> schemas.InfusionPublic:
    """The infusion as the API returns it, with both signatures and whether they still match the record."""
    lot = session.get(Lot, infusion.lot_id)
    container = session.get(Container, infusion.container_id)
    therapy = session.get(Therapy, infusion.therapy_id)
    recorder = session.get(User, infusion.recorded_by)
    assert lot is not None and container is not None and therapy is not None and recorder is not None
    content = _signed_content(session, infusion)
    signed = []
    for signature_id in (infusion.first_signature_id, infusion.second_signature_id):
        signature = records.signature(session=session, signature_id=signature_id)
        intact = signatures.intact(session=session, signature=signature, content=content)
        signed.append(schemas.SignaturePublic(printed_name=signature.printed_name, meaning=signature.meaning,
                                              signed_at=signature.signed_at, intact=intact))
    vitals = json.loads(infusion.vital_signs)
    assert infusion.id is not None
    return schemas.InfusionPublic(
        id=infusion.id, check_id=infusion.check_id, therapy_coi=therapy.coi, lot_din=lot.din, lot_state=lot.state,
        therapy_state=therapy.state, container_id=infusion.container_id, division=container.division,
        started_at=infusion.started_at, ended_at=infusion.ended_at, volume_ml=infusion.volume_ml,
        vitals_before=schemas.VitalSigns(**vitals["before"]), vitals_after=schemas.VitalSigns(**vitals["after"]),
        adverse_reactions=infusion.adverse_reactions, signatures=signed, recorded_by=recorder.username,
        recorded_at=infusion.recorded_at,
    )
