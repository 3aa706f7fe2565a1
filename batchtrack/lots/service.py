"""Lots: opening them from accepted collections, their lifecycle, containers and timeline."""

from __future__ import annotations

from sqlalchemy import func
from sqlalchemy.orm import Session
from sqlmodel import col, select

from batchtrack.audit import service as audit_service
from batchtrack.auth.principal import Principal
from batchtrack.deviations import service as deviation_service
from batchtrack.errors import AuditedRefusal, BadRequest, Conflict, InvalidTransition, NotFound
from batchtrack.i18n.text import _
from batchtrack.identifiers import din as din_id
from batchtrack.identifiers import isbt
from batchtrack.lots import schemas, state_names, workflow
from batchtrack.lots.workflow import LotFacts, LotState
from batchtrack.models.audit import AuditEntry
from batchtrack.models.base import utcnow
from batchtrack.models.collection import Collection
from batchtrack.models.container import Container, ContainerKind, ContainerStatus
from batchtrack.models.lot import Lot, LotCollection
from batchtrack.models.party import Recipient
from batchtrack.models.quality import Specification, SpecificationStatus
from batchtrack.models.therapy import Therapy

# Who performed any processing of the lot (the releasing QA person must not have): these audit actions.
PROCESSING_ACTIONS = ("lot.harvest", "lot.formulate", "lot.submit_to_qc", "container.registered", "step.started",
                      "step.completed", "step.value_recorded", "step.vessel_scanned", "step.material_used",
                      "step.equipment_used", "step.vessels_added")
_DIVISIONS = [f"{letter}0" for letter in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"]


def open_lot(*, session: Session, actor: Principal, collection: Collection) -> Lot:
    """Open the lot made from an accepted collection; it carries the collection's DIN and therapy."""
    therapy = session.get(Therapy, collection.therapy_id)
    assert therapy is not None and collection.id is not None
    lot = Lot(din=collection.din, therapy_id=collection.therapy_id, product_code=therapy.product_code)
    session.add(lot)
    session.flush()
    assert lot.id is not None
    session.add(LotCollection(lot_id=lot.id, collection_id=collection.id))
    bag = session.execute(
        select(Container).where(col(Container.collection_id) == collection.id,
                                col(Container.kind) == ContainerKind.ASPIRATE_BAG)
    ).scalar_one_or_none()
    if bag is not None:
        bag.lot_id = lot.id
        session.add(bag)
    audit_service.record(
        session=session, actor=actor, action="lot.opened", entity_type="lot", entity_id=lot.din,
        new={"din": lot.din, "therapy": therapy.coi, "state": lot.state, "state_before_hold": lot.state_before_hold,
             "collection": collection.din},
    )
    session.flush()
    return lot


def get_by_din(*, session: Session, din: str, for_update: bool = False) -> Lot:
    """The lot with this DIN (eye-readable form accepted); NotFound otherwise."""
    compact = "".join(din.split()).upper()[: din_id.DIN_LENGTH]
    query = select(Lot).where(col(Lot.din) == compact)
    if for_update:
        query = query.with_for_update()
    lot = session.execute(query).scalar_one_or_none()
    if lot is None:
        raise NotFound(_("no lot with DIN {din}", din=compact[:20]))
    return lot


def effective_specification_id(*, session: Session) -> int | None:
    """The release specification QA last made effective (lots submitted to QC are tested against it)."""
    return session.execute(
        select(col(Specification.id)).where(col(Specification.status) == SpecificationStatus.EFFECTIVE)
        .order_by(col(Specification.effective_at).desc(), col(Specification.id).desc()).limit(1)
    ).scalar_one_or_none()


def facts_for(*, session: Session, lot: Lot, actor: Principal, signed_decision: bool = False,
              reason: str = "") -> LotFacts:
    """Gather what the guards need to judge a transition of `lot` by `actor` now, with the reason given."""
    performers = session.execute(
        select(col(AuditEntry.actor_id)).where(
            col(AuditEntry.entity_type) == "lot",
            col(AuditEntry.entity_id) == lot.din,
            col(AuditEntry.action).in_(PROCESSING_ACTIONS),
        )
    ).scalars()
    in_use = session.execute(
        select(func.count()).select_from(Container)
        .where(col(Container.lot_id) == lot.id, col(Container.status) == ContainerStatus.IN_USE)
    ).scalar_one()
    assert lot.id is not None
    return LotFacts(
        state=LotState(lot.state), now=utcnow(), actor_roles=actor.roles, actor_id=actor.user_id,
        expires_at=lot.expires_at,
        state_before_hold=LotState(lot.state_before_hold) if lot.state_before_hold else None,
        open_deviations=deviation_service.open_count(session=session, lot_id=lot.id),
        performers=frozenset(p for p in performers if p is not None), containers_in_use=int(in_use),
        effective_specification=(lot.specification_id is not None
                                 or effective_specification_id(session=session) is not None),
        signed_decision=signed_decision, reason=reason,
    )


def options(*, session: Session, lot: Lot, actor: Principal) -> list[schemas.TransitionOption]:
    """Every transition with whether `actor` may apply it now, and why not."""
    facts = facts_for(session=session, lot=lot, actor=actor)
    result = []
    for move in workflow.TRANSITIONS.values():
        reasons = move.guard(facts)
        result.append(schemas.TransitionOption.of(name=move.name, label=move.label, button=move.button,
                                                  reasons=reasons))
    return result


def transition(*, session: Session, actor: Principal, din: str, name: str, reason: str,
               signed_decision: bool = False) -> Lot:
    """Apply the named transition if its guard allows it, with its audit entry; else refuse with reasons.

    `signed_decision` is set only by a service that had QA sign the decision first (release, lifting a hold).
    """
    lot = get_by_din(session=session, din=din, for_update=True)
    move = workflow.TRANSITIONS.get(name)
    if move is None:
        raise NotFound(_("lots have no transition {name}; known: {known}", name=repr(name[:40]),
                         known=", ".join(workflow.TRANSITIONS)))
    facts = facts_for(session=session, lot=lot, actor=actor, signed_decision=signed_decision, reason=reason)
    reasons = move.guard(facts)
    if reasons:
        raise InvalidTransition(
            _("lot {din} cannot be {name}", din=lot.din, name=move.label), reasons=reasons,
            audit=AuditedRefusal(actor, "lot.transition_refused", "lot", lot.din,
                                 {"transition": name, "state": lot.state}),
        )
    old = {"state": lot.state, "state_before_hold": lot.state_before_hold}
    target = workflow.target_state(move, facts)
    lot.state_before_hold = lot.state if target == LotState.ON_HOLD else None
    lot.state = target.value
    lot.updated_at = facts.now
    if move is workflow.SUBMIT_TO_QC and lot.specification_id is None:
        # The lot is tested against the specification effective now, whatever QA approves later.
        lot.specification_id = effective_specification_id(session=session)
    session.add(lot)
    audit_service.record(
        session=session, actor=actor, action=f"lot.{name}", entity_type="lot", entity_id=lot.din, old=old,
        new={"state": lot.state, "state_before_hold": lot.state_before_hold,
             "specification_id": lot.specification_id}, reason=reason,
    )
    session.flush()
    return lot


def set_expiry(*, session: Session, actor: Principal, din: str, data: schemas.ExpirySet) -> Lot:
    """Record the lot's expiry; changing a recorded expiry is a correction and needs a reason."""
    lot = get_by_din(session=session, din=din, for_update=True)
    if LotState(lot.state) in workflow.FINAL_STATES:
        raise Conflict(_("lot {din} is {state}; its expiry can no longer change", din=lot.din,
                         state=state_names.lot_state(lot.state)), code="lot.final")
    try:
        # The product labels carry the expiry as an ISBT 128 structure: it must be one they can encode.
        isbt.expiry_datetime_structure(data.expires_at)
    except din_id.IdentifierError as exc:
        raise BadRequest(_("an expiry in the year {year} cannot be printed on a label ({why})",
                           year=data.expires_at.year, why=exc.message), code="lot.expiry_range") from exc
    old = {"expires_at": lot.expires_at}
    lot.expires_at = data.expires_at
    lot.updated_at = utcnow()
    session.add(lot)
    if old["expires_at"] is None:
        audit_service.record(session=session, actor=actor, action="lot.expiry_set", entity_type="lot",
                             entity_id=lot.din, old=old, new={"expires_at": lot.expires_at}, reason=data.reason)
    else:
        audit_service.record_correction(session=session, actor=actor, entity_type="lot", entity_id=lot.din,
                                        old=old, new={"expires_at": lot.expires_at}, reason=data.reason)
    session.flush()
    return lot


def add_containers(
    *, session: Session, actor: Principal, din: str, data: schemas.ContainerCreate
) -> list[Container]:
    """Register containers of a lot, each with the next free division (product bags) or flag (others)."""
    lot = get_by_din(session=session, din=din, for_update=True)
    if LotState(lot.state) in workflow.FINAL_STATES or lot.state == LotState.ON_HOLD:
        raise Conflict(_("lot {din} is {state}: no containers can be added", din=lot.din,
                         state=state_names.lot_state(lot.state)), code="lot.not_open")
    existing = list(session.execute(select(Container).where(col(Container.din) == lot.din)).scalars())
    created: list[Container] = []
    for _number in range(data.count):
        if data.kind == ContainerKind.FINAL_PRODUCT.value:
            used = {c.division for c in existing if c.kind == ContainerKind.FINAL_PRODUCT}
            free = [d for d in _DIVISIONS if d not in used]
            if not free:
                raise Conflict(_("all 26 product divisions of this lot are in use"), code="lot.divisions_full")
            container = Container(din=lot.din, kind=data.kind, product_code=lot.product_code[:6],
                                  division=free[0], lot_id=lot.id)
        else:
            used = {c.sample_flag for c in existing}
            flags = [f"{n:02d}" for n in range(1, 60) if f"{n:02d}" not in used]
            if not flags:
                raise Conflict(_("all 59 container flags of this lot are in use"), code="lot.flags_full")
            container = Container(din=lot.din, kind=data.kind, product_code=lot.product_code[:6],
                                  sample_flag=flags[0], lot_id=lot.id)
        session.add(container)
        session.flush()
        existing.append(container)
        created.append(container)
        audit_service.record(
            session=session, actor=actor, action="container.registered", entity_type="lot", entity_id=lot.din,
            new={"container_id": container.id, "kind": container.kind, "division": container.division,
                 "flag": container.sample_flag, "status": container.status},
        )
    return created


def containers_of(*, session: Session, lot: Lot) -> list[Container]:
    """Every container of a lot, in the order they were registered."""
    return list(session.execute(
        select(Container).where(col(Container.lot_id) == lot.id).order_by(col(Container.id))
    ).scalars())


def get_container(*, session: Session, container_id: int) -> Container:
    """One container by id; NotFound otherwise."""
    container = session.get(Container, container_id)
    if container is None:
        raise NotFound(_("no container {id}", id=container_id))
    return container


def container_public(*, session: Session, container: Container) -> schemas.ContainerPublic:
    """The container as the API returns it."""
    lot = session.get(Lot, container.lot_id) if container.lot_id else None
    assert container.id is not None
    return schemas.ContainerPublic(
        id=container.id, din=container.din, kind=container.kind, product_code=container.product_code,
        division=container.division, sample_flag=container.sample_flag, status=container.status,
        lot_din=lot.din if lot else None, created_at=container.created_at,
    )


def to_public(*, session: Session, lot: Lot) -> schemas.LotPublic:
    """The lot as the API returns it (identifiers and subject code, never patient identity)."""
    therapy = session.get(Therapy, lot.therapy_id)
    assert therapy is not None
    recipient = session.get(Recipient, therapy.recipient_id)
    assert recipient is not None
    collections = session.execute(
        select(col(Collection.din)).join(LotCollection, col(LotCollection.collection_id) == col(Collection.id))
        .where(col(LotCollection.lot_id) == lot.id)
    ).scalars()
    parsed = din_id.parse(lot.din)
    return schemas.LotPublic(
        din=lot.din, din_check=parsed.check, din_eye_readable=din_id.eye_readable(parsed),
        therapy_coi=therapy.coi, subject_code=recipient.subject_code, product_code=lot.product_code,
        state=lot.state, state_before_hold=lot.state_before_hold, expires_at=lot.expires_at,
        created_at=lot.created_at, updated_at=lot.updated_at, collections=list(collections),
    )


def list_lots(
    *, session: Session, offset: int, limit: int, state: str | None = None
) -> tuple[list[Lot], int]:
    """A page of lots, newest first, with the total count."""
    query = select(Lot)
    counter = select(func.count()).select_from(Lot)
    if state:
        query = query.where(col(Lot.state) == state)
        counter = counter.where(col(Lot.state) == state)
    rows = session.execute(query.order_by(col(Lot.id).desc()).offset(offset).limit(limit)).scalars()
    return list(rows), int(session.execute(counter).scalar_one())


def counts_by_state(*, session: Session) -> dict[str, int]:
    """How many lots are in each state."""
    rows = session.execute(select(col(Lot.state), func.count()).group_by(col(Lot.state))).all()
    return {state: int(count) for state, count in rows}


def require_state_name(state: str | None) -> str | None:
    """Refuse a filter on a state that does not exist."""
    if state is not None and state not in {s.value for s in LotState}:
        raise BadRequest(_("unknown lot state {state}", state=repr(state[:40])), code="lot.unknown_state")
    return state
