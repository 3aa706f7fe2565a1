"""Scheduling collections, allocating their DINs, and moving them through their lifecycle."""

from __future__ import annotations

from sqlalchemy.orm import Session
from sqlmodel import col, select

from batchtrack.audit import service as audit_service
from batchtrack.auth.principal import Principal
from batchtrack.collections import schemas, workflow
from batchtrack.collections.workflow import CollectionFacts, CollectionState
from batchtrack.config import Settings
from batchtrack.errors import AuditedRefusal, InvalidTransition, NotFound
from batchtrack.identifiers import din as din_id
from batchtrack.identifiers import service as identifier_service
from batchtrack.lots import service as lot_service
from batchtrack.models.base import utcnow
from batchtrack.models.collection import Collection
from batchtrack.models.container import Container, ContainerKind
from batchtrack.models.lot import Lot, LotCollection
from batchtrack.models.therapy import Therapy
from batchtrack.therapies import service as therapy_service


def schedule(
    *, session: Session, settings: Settings, actor: Principal, data: schemas.CollectionCreate
) -> Collection:
    """Schedule a collection: allocate its DIN and register its aspirate bag."""
    therapy = therapy_service.get_by_coi(session=session, coi=data.therapy_coi)
    assert therapy.id is not None
    din = identifier_service.allocate_din(session=session, fin=settings.facility_fin)
    collection = Collection(din=din.value, therapy_id=therapy.id, scheduled_for=data.scheduled_for)
    session.add(collection)
    session.flush()
    session.add(Container(din=din.value, kind=ContainerKind.ASPIRATE_BAG, collection_id=collection.id))
    audit_service.record(
        session=session, actor=actor, action="collection.scheduled", entity_type="collection",
        entity_id=din.value, new={"din": din.value, "therapy": therapy.coi,
                                  "scheduled_for": data.scheduled_for},
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
        raise NotFound(f"no collection with DIN {compact[:20]}")
    return collection


def transition(
    *, session: Session, actor: Principal, din: str, name: str, data: schemas.CollectionTransition
) -> Collection:
    """Apply the named transition if its guard allows it, with its audit entry; else refuse with reasons."""
    collection = get_by_din(session=session, din=din, for_update=True)
    move = workflow.TRANSITIONS.get(name)
    if move is None:
        raise NotFound(f"collections have no transition {name[:40]!r}; known: {', '.join(workflow.TRANSITIONS)}")
    facts = CollectionFacts(
        state=CollectionState(collection.state), now=utcnow(), actor_roles=actor.roles,
        collected_at=collection.collected_at,
    )
    reasons = move.guard(facts)
    if reasons:
        raise InvalidTransition(
            f"collection {collection.din} cannot be {move.label}", reasons=reasons,
            audit=AuditedRefusal(actor, "collection.transition_refused", "collection", collection.din,
                                 {"transition": name, "state": collection.state}),
        )
    old = {"state": collection.state}
    collection.state = move.target.value
    new: dict[str, object] = {"state": collection.state}
    if move is workflow.COLLECT:
        collection.collected_at = data.occurred_at or facts.now
        collection.volume_ml = data.volume_ml
        new |= {"collected_at": collection.collected_at, "volume_ml": collection.volume_ml}
    session.add(collection)
    audit_service.record(
        session=session, actor=actor, action=f"collection.{name}", entity_type="collection",
        entity_id=collection.din, old=old, new=new, reason=data.reason,
    )
    if move is workflow.ACCEPT:
        lot_service.open_lot(session=session, actor=actor, collection=collection)
    session.flush()
    return collection


def lot_din_of(*, session: Session, collection: Collection) -> str | None:
    """The DIN of the lot made from this collection, if one was opened."""
    row = session.execute(
        select(col(Lot.din)).join(LotCollection, col(LotCollection.lot_id) == col(Lot.id))
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
        collected_at=collection.collected_at, volume_ml=collection.volume_ml,
        lot_din=lot_din_of(session=session, collection=collection), created_at=collection.created_at,
    )


def list_collections(*, session: Session, offset: int, limit: int) -> list[Collection]:
    """A page of collections, newest first."""
    rows = session.execute(
        select(Collection).order_by(col(Collection.id).desc()).offset(offset).limit(limit)
    ).scalars()
    return list(rows)
