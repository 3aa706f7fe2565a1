"""Scheduling and recording collections, their DINs, their lifecycle, and receipt at the lab."""

from __future__ import annotations

import gettext
import json

from sqlalchemy import func
from sqlalchemy.orm import Session
from sqlmodel import col, select

from batchtrack.audit import service as audit_service
from batchtrack.auth.principal import Principal
from batchtrack.collections import gates, schemas, workflow
from batchtrack.collections.workflow import CollectionFacts, CollectionState
from batchtrack.config import Settings
from batchtrack.enrolment import service as enrolment_service
from batchtrack.errors import AuditedRefusal, GateRefused, IdentityMismatch, InvalidTransition, NotFound, Reason
from batchtrack.i18n.text import ENGLISH, _
from batchtrack.identifiers import din as din_id
from batchtrack.identifiers import service as identifier_service
from batchtrack.lots import service as lot_service
from batchtrack.models.base import utcnow
from batchtrack.models.collection import Collection, ReceiptRecord
from batchtrack.models.container import Container, ContainerKind
from batchtrack.models.label import Label, LabelStatus
from batchtrack.models.lot import Lot, LotCollection
from batchtrack.models.party import Recipient
from batchtrack.models.therapy import Therapy
from batchtrack.protocols import definition, eligibility
from batchtrack.scanning import service as scan_service
from batchtrack.therapies import service as therapy_service


def standing_of(*, session: Session, therapy: Therapy) -> gates.SubjectStanding:
    """The therapy's state and the subject's eligibility, consent and pen/strep allergies, as collection needs them."""
    recipient = session.get(Recipient, therapy.recipient_id)
    assert recipient is not None
    assessment = enrolment_service.latest_assessment(session=session, recipient=recipient)
    allergies = enrolment_service.allergies_of(session=session, recipient=recipient)
    hypersensitive: tuple[str, ...] = ()
    if recipient.protocol_id:
        hypersensitive = tuple(eligibility.pen_strep_allergies(definition.load(recipient.protocol_id), allergies))
    return gates.SubjectStanding(
        subject_code=recipient.subject_code, eligible=assessment.eligible if assessment else None,
        consent_withdrawn=recipient.consent_withdrawn_at is not None, therapy_coi=therapy.coi,
        therapy_state=therapy.state, pen_strep_allergies=hypersensitive,
    )


def aspirate_bag(*, session: Session, collection: Collection) -> Container:
    """The collection's aspirate bag."""
    return session.execute(select(Container).where(
        col(Container.collection_id) == collection.id, col(Container.kind) == ContainerKind.ASPIRATE_BAG,
    )).scalar_one()


def bag_labels_of(*, session: Session, collection: Collection) -> gates.BagLabels:
    """How many labels of the bag are applied and scan-verified, and how many are still outstanding."""
    bag = aspirate_bag(session=session, collection=collection)
    rows = dict(session.execute(
        select(Label.status, func.count()).where(col(Label.container_id) == bag.id, col(Label.verified_at).is_not(None))
        .group_by(col(Label.status))
    ).all())
    outstanding = session.execute(select(func.count()).select_from(Label).where(
        col(Label.container_id) == bag.id, col(Label.status) == LabelStatus.PRINTED)).scalar_one()
    return gates.BagLabels(verified=int(rows.get(LabelStatus.APPLIED, 0)), outstanding=int(outstanding))


def schedule(
    *, session: Session, settings: Settings, actor: Principal, data: schemas.CollectionCreate
) -> Collection:
    """Schedule a collection for an eligible, consenting subject: allocate its DIN and register its bag."""
    therapy = therapy_service.get_by_coi(session=session, coi=data.therapy_coi)
    assert therapy.id is not None
    refusals = gates.collection_allowed(standing_of(session=session, therapy=therapy))
    if refusals:
        raise GateRefused(_("no collection can be scheduled for therapy {coi}", coi=therapy.coi), reasons=refusals,
                          audit=AuditedRefusal(actor, "collection.schedule_refused", "therapy", therapy.coi))
    din = identifier_service.allocate_din(session=session, fin=settings.facility_fin)
    collection = Collection(din=din.value, therapy_id=therapy.id, scheduled_for=data.scheduled_for)
    session.add(collection)
    session.flush()
    # Every container carries the therapy's product code: the bag is then found by any barcode on its label.
    bag = Container(din=din.value, kind=ContainerKind.ASPIRATE_BAG, product_code=therapy.product_code[:6],
                    collection_id=collection.id)
    session.add(bag)
    session.flush()
    # The entry records the states both records start in (the bag's too): `audit verify` compares them.
    audit_service.record(
        session=session, actor=actor, action="collection.scheduled", entity_type="collection",
        entity_id=din.value, new={"din": din.value, "therapy": therapy.coi, "scheduled_for": data.scheduled_for,
                                  "state": collection.state, "bag_id": bag.id, "bag_status": bag.status},
    )
    session.flush()
    return collection


def get_by_din(*, session: Session, din: str, for_update: bool = False) -> Collection:
    """The collection with this DIN (eye-readable form accepted); NotFound otherwise."""
    compact = "".join(din.split()).upper()[: din_id.DIN_LENGTH]
    query = select(Collection).where(col(Collection.din) == compact)
    if for_update:
        query = query.with_for_update()
    collection = session.execute(query).scalar_one_or_none()
    if collection is None:
        raise NotFound(_("no collection with DIN {din}", din=compact[:20]))
    return collection


def _facts(
    session: Session, collection: Collection, actor: Principal, name: str, reason: str,
    receipt: gates.ReceiptFacts | None,
) -> CollectionFacts:
    therapy = session.get(Therapy, collection.therapy_id)
    assert therapy is not None
    return CollectionFacts(
        state=CollectionState(collection.state), now=utcnow(), actor_roles=actor.roles,
        collected_at=collection.collected_at,
        standing=standing_of(session=session, therapy=therapy) if name == "collect" else None,
        bag_labels=bag_labels_of(session=session, collection=collection) if name == "dispatch" else None,
        receipt=receipt, reason=reason,
    )


def transition(
    *, session: Session, actor: Principal, din: str, name: str, data: schemas.CollectionTransition,
    receipt: gates.ReceiptFacts | None = None,
) -> Collection:
    """Apply the named transition if its guard allows it, with its audit entry; else refuse with reasons."""
    collection = get_by_din(session=session, din=din, for_update=True)
    move = workflow.TRANSITIONS.get(name)
    if move is None:
        raise NotFound(_("collections have no transition {name}; known: {known}", name=repr(name[:40]),
                         known=", ".join(workflow.TRANSITIONS)))
    facts = _facts(session, collection, actor, name, data.reason, receipt)
    reasons = move.guard(facts)
    if reasons:
        raise InvalidTransition(
            _("collection {din} cannot be {target}", din=collection.din, target=move.label), reasons=reasons,
            audit=AuditedRefusal(actor, "collection.transition_refused", "collection", collection.din,
                                 {"transition": name, "state": collection.state}),
        )
    old = {"state": collection.state}
    collection.state = move.target.value
    new: dict[str, object] = {"state": collection.state}
    if move is workflow.COLLECT:
        collection.collected_at = data.occurred_at or facts.now
        collection.started_at = data.started_at
        collection.volume_ml = data.volume_ml
        collection.anticoagulant = data.anticoagulant
        collection.site = data.site
        collection.collector_id = actor.user_id
        new |= {"started_at": collection.started_at, "collected_at": collection.collected_at,
                "volume_ml": collection.volume_ml, "anticoagulant": collection.anticoagulant, "site": collection.site}
    session.add(collection)
    audit_service.record(
        session=session, actor=actor, action=f"collection.{name}", entity_type="collection",
        entity_id=collection.din, old=old, new=new, reason=data.reason,
    )
    if move is workflow.ACCEPT:
        lot_service.open_lot(session=session, actor=actor, collection=collection)
    session.flush()
    return collection


def _scanned_bag(session: Session, actor: Principal, data: schemas.ReceiptCreate) -> Collection:
    found, unreadable = scan_service.scanned_container(session=session, raw=data.scan)
    audit = AuditedRefusal(actor, "receipt.refused", "station", data.station,
                           {"expected": data.expected_din, "decision": data.decision})
    if unreadable:
        raise GateRefused(_("the scan could not be read"), reasons=unreadable, audit=audit)
    if found is None or found.kind != ContainerKind.ASPIRATE_BAG:
        raise GateRefused(_("the scan is not the label of an aspirate bag recorded here"),
                          reasons=[Reason("receipt.not_a_bag", _("scan the aspirate bag's own label"))], audit=audit)
    if data.expected_din is not None and found.din != data.expected_din:
        raise IdentityMismatch(
            _("bag {din} is not the expected bag {expected}", din=found.din, expected=data.expected_din),
            reasons=[Reason("receipt.wrong_bag", _(
                "scanned bag {din} (therapy {coi}) is not the expected bag {expected}: do not receive it here",
                din=found.din, coi=found.therapy_coi, expected=data.expected_din))],
            audit=audit,
        )
    return get_by_din(session=session, din=found.din)


def receive(
    *, session: Session, actor: Principal, data: schemas.ReceiptCreate,
    translations: gettext.NullTranslations = ENGLISH,
) -> schemas.ReceiptPublic:
    """Receive a bag at the lab: scan, time and temperature against the protocol, inspection, decision; the
    reasons it could not be accepted are recorded in English and answered in the language of `translations`."""
    collection = _scanned_bag(session, actor, data)
    therapy = session.get(Therapy, collection.therapy_id)
    recipient = session.get(Recipient, therapy.recipient_id) if therapy else None
    assert therapy is not None and recipient is not None and collection.id is not None
    limits = definition.load(recipient.protocol_id or "KCT0004337").limits
    now = utcnow()
    hours = (now - collection.collected_at).total_seconds() / 3600 if collection.collected_at else None
    facts = gates.ReceiptFacts(
        hours_since_collection=hours, temperature_c=data.temperature_c,
        max_hours=limits.max_hours_collection_to_receipt, min_temperature_c=limits.transport_temperature_min_c,
        max_temperature_c=limits.transport_temperature_max_c, checklist=data.inspection.model_dump(),
    )
    refusals = gates.acceptance_refusals(facts)
    transition(session=session, actor=actor, din=collection.din, name=data.decision,
               data=schemas.CollectionTransition(reason=data.reason), receipt=facts)
    assert actor.user_id is not None
    session.add(ReceiptRecord(
        collection_id=collection.id, decision=data.decision, temperature_c=data.temperature_c,
        hours_since_collection=round(hours or 0.0, 3), checklist=json.dumps(data.inspection.model_dump()),
        reasons=json.dumps([r.as_dict() for r in refusals]), note=data.reason, received_by=actor.user_id,
    ))
    session.flush()
    return schemas.ReceiptPublic(
        collection=to_public(session=session, collection=collection), decision=data.decision,
        temperature_c=data.temperature_c, hours_since_collection=round(hours or 0.0, 2),
        refusals_at_receipt=[r.as_dict(translations) for r in refusals],
    )


def lot_din_of(*, session: Session, collection: Collection) -> str | None:
    """The DIN of the lot made from this collection, if one was opened."""
    row = session.execute(
        select(Lot.din).join(LotCollection, col(LotCollection.lot_id) == col(Lot.id))
        .where(col(LotCollection.collection_id) == collection.id)
    ).first()
    return row[0] if row else None


def to_public(*, session: Session, collection: Collection) -> schemas.CollectionPublic:
    """The collection as the API returns it."""
    therapy = session.get(Therapy, collection.therapy_id)
    assert therapy is not None
    parsed = din_id.parse(collection.din)
    return schemas.CollectionPublic(
        din=collection.din, din_check=parsed.check, din_eye_readable=din_id.eye_readable(parsed),
        therapy_coi=therapy.coi, state=collection.state, scheduled_for=collection.scheduled_for,
        started_at=collection.started_at, collected_at=collection.collected_at, volume_ml=collection.volume_ml,
        anticoagulant=collection.anticoagulant, site=collection.site,
        lot_din=lot_din_of(session=session, collection=collection), created_at=collection.created_at,
    )


def list_collections(*, session: Session, offset: int, limit: int) -> list[Collection]:
    """A page of collections, newest first."""
    rows = session.execute(
        select(Collection).order_by(col(Collection.id).desc()).offset(offset).limit(limit)
    ).scalars()
    return list(rows)


def of_therapy(*, session: Session, therapy: Therapy) -> list[Collection]:
    """The collections of a therapy, in the order they were scheduled."""
    return list(session.execute(
        select(Collection).where(col(Collection.therapy_id) == therapy.id).order_by(col(Collection.id))
    ).scalars())
