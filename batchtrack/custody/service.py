"""Recording custody hand-overs (append-only) and reading them back."""

from __future__ import annotations

from sqlalchemy.orm import Session
from sqlmodel import col, select

from batchtrack.audit import service as audit_service
from batchtrack.auth.principal import Principal
from batchtrack.custody import schemas
from batchtrack.errors import AuditedRefusal, BadRequest, Conflict, GateRefused, Reason
from batchtrack.i18n.text import _
from batchtrack.models.base import utcnow
from batchtrack.models.collection import Collection
from batchtrack.models.container import Container, ContainerStatus
from batchtrack.models.custody import CustodyEvent
from batchtrack.models.lot import Lot
from batchtrack.models.therapy import Therapy
from batchtrack.models.user import User
from batchtrack.scanning import expectations, verdict
from batchtrack.scanning import service as scan_service


def _active_user(session: Session, username: str) -> User:
    user = session.execute(select(User).where(col(User.username) == username.lower())).scalar_one_or_none()
    if user is None or not user.is_active:
        raise BadRequest(_("no active user {username}", username=repr(username[:64])), code="custody.unknown_person")
    return user


def _therapy_id_of(session: Session, container: Container) -> int:
    if container.lot_id is not None:
        lot = session.get(Lot, container.lot_id)
        assert lot is not None
        return lot.therapy_id
    collection = session.get(Collection, container.collection_id) if container.collection_id else None
    if collection is None:
        raise Conflict(_("the container belongs to no collection or lot"), code="custody.orphan_container")
    return collection.therapy_id


def _scanned_container(session: Session, actor: Principal, raw: str) -> Container:
    found, unreadable = scan_service.scanned_container(session=session, raw=raw)
    audit = AuditedRefusal(actor, "custody.refused", "station", "custody",
                           {"raw_escaped": verdict.escape_raw(raw)})
    if unreadable:
        raise GateRefused(_("the scan could not be read: the hand-over is not recorded"), reasons=unreadable,
                          audit=audit)
    if found is None:
        raise GateRefused(_("the scan is not the label of a recorded container: the hand-over is not recorded"),
                          reasons=[Reason("custody.not_a_container",
                                          _("scan the label on the container handed over"))],
                          audit=audit)
    container = session.get(Container, found.container_id)
    assert container is not None
    return container


def record(*, session: Session, actor: Principal, data: schemas.CustodyEventCreate) -> CustodyEvent:
    """Record a hand-over confirmed by scanning the container, between two different named people."""
    container = _scanned_container(session, actor, data.scan)
    if container.status != ContainerStatus.IN_USE:
        raise Conflict(_("container {number} is {status}; it cannot change hands", number=container.id,
                         status=expectations.STATUS_NAMES.get(container.status) or container.status),
                       code="custody.container_status")
    giver = _active_user(session, data.handed_over_by)
    receiver = _active_user(session, data.received_by)
    if giver.id == receiver.id:
        raise BadRequest(_("a hand-over needs two different people"), code="custody.same_person")
    assert giver.id is not None and receiver.id is not None and actor.user_id is not None
    occurred_at = data.occurred_at or utcnow()
    if occurred_at > utcnow():
        raise BadRequest(_("a hand-over cannot be recorded in the future"), code="custody.future")
    event = CustodyEvent(
        container_id=container.id or 0, therapy_id=_therapy_id_of(session, container),
        handed_over_by=giver.id, received_by=receiver.id, location=data.location,
        temperature_c=data.temperature_c, occurred_at=occurred_at, recorded_by=actor.user_id, note=data.note,
    )
    session.add(event)
    session.flush()
    audit_service.record(
        session=session, actor=actor, action="custody.handed_over", entity_type="container",
        entity_id=container.id or 0,
        new={"event_id": event.id, "from": giver.username, "to": receiver.username, "location": data.location,
             "temperature_c": data.temperature_c, "occurred_at": occurred_at},
    )
    return event


def to_public(*, session: Session, event: CustodyEvent) -> schemas.CustodyEventPublic:
    """The event as the API returns it, with people by user name."""
    names = dict(session.execute(
        select(col(User.id), col(User.username)).where(
            col(User.id).in_([event.handed_over_by, event.received_by, event.recorded_by])
        )
    ).all())
    therapy = session.get(Therapy, event.therapy_id)
    assert therapy is not None and event.id is not None
    return schemas.CustodyEventPublic(
        id=event.id, container_id=event.container_id, therapy_coi=therapy.coi,
        handed_over_by=names.get(event.handed_over_by, "?"), received_by=names.get(event.received_by, "?"),
        location=event.location, temperature_c=event.temperature_c, occurred_at=event.occurred_at,
        recorded_at=event.recorded_at, recorded_by=names.get(event.recorded_by, "?"), note=event.note,
    )


def for_containers(*, session: Session, container_ids: list[int]) -> list[CustodyEvent]:
    """Hand-overs of the given containers, in time order."""
    if not container_ids:
        return []
    return list(session.execute(
        select(CustodyEvent).where(col(CustodyEvent.container_id).in_(container_ids))
        .order_by(col(CustodyEvent.occurred_at), col(CustodyEvent.id))
    ).scalars())


def list_events(*, session: Session, offset: int, limit: int) -> list[CustodyEvent]:
    """A page of hand-overs, newest first."""
    return list(session.execute(
        select(CustodyEvent).order_by(col(CustodyEvent.id).desc()).offset(offset).limit(limit)
    ).scalars())
