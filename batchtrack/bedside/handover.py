"""Shipment to the clinic and receipt there: every final product bag scanned as it changes hands.

Shipment: the GMP operator hands the bags of a released lot to the courier. Receipt: the courier hands them to a
clinician. Each bag's hand-over is a custody event (batchtrack.custody), then the lot moves by its transition.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session
from sqlmodel import col, select

from batchtrack.auth import service as auth_service
from batchtrack.auth.principal import Principal
from batchtrack.bedside import records, schemas
from batchtrack.custody import schemas as custody_schemas
from batchtrack.custody import service as custody_service
from batchtrack.errors import AuditedRefusal, BatchtrackError, GateRefused, IdentityMismatch, NotFound, Reason
from batchtrack.lots import service as lot_service
from batchtrack.lots.workflow import RELEASED_STATES, LotState
from batchtrack.models.container import Container, ContainerKind, ContainerStatus
from batchtrack.models.custody import CustodyEvent
from batchtrack.models.lot import Lot
from batchtrack.models.party import Recipient
from batchtrack.models.therapy import Therapy
from batchtrack.models.user import Role, User
from batchtrack.protocols import definition
from batchtrack.scanning import service as scan_service
from batchtrack.scanning import verdict

CLINICIANS = frozenset({Role.INVESTIGATOR, Role.NURSE})


@dataclass(frozen=True, slots=True)
class _Leg:
    """One leg of the journey: who hands over, who receives, from which lot states, by which transition."""

    name: str
    transition: str
    givers: frozenset[Role]
    receivers: frozenset[Role]
    giver_word: str
    receiver_word: str
    from_states: frozenset[str]


SHIPMENT = _Leg("shipment", "ship", frozenset({Role.OPERATOR}), frozenset({Role.COURIER}), "a GMP operator",
                "a courier", frozenset(s.value for s in RELEASED_STATES))
RECEIPT = _Leg("clinic receipt", "receive_at_clinic", frozenset({Role.COURIER}), CLINICIANS, "a courier",
               "an investigator or a nurse", frozenset({LotState.SHIPPED.value}))


@dataclass(frozen=True, slots=True)
class HandOver:
    """The lot after the hand-over, and the custody events recorded (one per bag)."""

    lot: Lot
    events: list[CustodyEvent]


def _person(session: Session, username: str, roles: frozenset[Role], word: str,
            what: str) -> tuple[User | None, list[Reason]]:
    user = session.execute(select(User).where(col(User.username) == username.strip().lower())).scalar_one_or_none()
    if user is None or not user.is_active or user.id is None:
        return None, [Reason("handover.unknown_person", f"no active user {username[:64]!r} ({what})")]
    held = auth_service.roles_of(session=session, user_id=user.id)
    if not held & roles:
        return user, [Reason("handover.role", f"{user.full_name} ({what}) is not {word}")]
    return user, []


def _temperature(session: Session, lot: Lot, celsius: float) -> list[Reason]:
    therapy = session.get(Therapy, lot.therapy_id)
    recipient = session.get(Recipient, therapy.recipient_id) if therapy else None
    if recipient is None or not recipient.protocol_id:
        return [Reason("handover.no_protocol", "the lot's subject is on no protocol: no transport limits to check")]
    limits = definition.load(recipient.protocol_id).limits
    low, high = limits.transport_temperature_min_c, limits.transport_temperature_max_c
    if low <= celsius <= high:
        return []
    return [Reason("handover.temperature", f"{celsius:g} °C is outside the protocol's transport range "
                                           f"{low:g}-{high:g} °C: the product may be damaged")]


def _bags(session: Session, lot: Lot, scans: list[str]) -> tuple[list[tuple[Container, str]], list[Reason], set[str]]:
    """The lot's bags the scans name, every problem with them, and the other lots whose bags were scanned."""
    found: list[tuple[Container, str]] = []
    reasons: list[Reason] = []
    others: set[str] = set()
    seen: set[int] = set()
    for number, raw in enumerate(scans, start=1):
        resolved, unreadable = scan_service.scanned_container(session=session, raw=raw)
        if unreadable:
            reasons += [Reason(r.code, f"scan {number}: {r.message}") for r in unreadable]
            continue
        if resolved is None:
            reasons.append(Reason("handover.not_a_container", f"scan {number} is not the label of a recorded "
                                                              "container: scan the 2-D code on each product bag"))
            continue
        if resolved.lot_id != lot.id:
            others.add(resolved.lot_din or resolved.din)
            reasons.append(Reason("handover.bag_of_another_lot",
                                  f"scan {number} is a {resolved.kind.replace('_', ' ')} of lot "
                                  f"{resolved.lot_din or resolved.din}, not of lot {lot.din}: it must not travel "
                                  "with this lot"))
            continue
        container = session.get(Container, resolved.container_id)
        assert container is not None and container.id is not None
        if container.kind != ContainerKind.FINAL_PRODUCT:
            reasons.append(Reason("handover.not_a_product_bag", f"scan {number} is a "
                                  f"{container.kind.replace('_', ' ')}, not a final product bag"))
        elif container.id in seen:
            reasons.append(Reason("handover.scanned_twice", f"bag {container.division} was scanned twice"))
        elif container.status != ContainerStatus.IN_USE:
            reasons.append(Reason("handover.bag_status", f"bag {container.division} is {container.status}"))
        else:
            seen.add(container.id)
            found.append((container, raw))
    missing = [c.division for c in lot_service.containers_of(session=session, lot=lot)
               if c.kind == ContainerKind.FINAL_PRODUCT and c.status == ContainerStatus.IN_USE and c.id not in seen]
    if missing:
        reasons.append(Reason("handover.bag_missing", f"bag(s) {', '.join(missing)} of lot {lot.din} were not "
                                                      "scanned: every bag travels with the lot and is scanned"))
    return found, reasons, others


def _custody_gaps(session: Session, bags: list[tuple[Container, str]], giver: User) -> list[Reason]:
    """Each bag must be handed over by the person who last received it."""
    reasons = []
    for container, _raw in bags:
        last = session.execute(
            select(CustodyEvent).where(col(CustodyEvent.container_id) == container.id)
            .order_by(col(CustodyEvent.occurred_at).desc(), col(CustodyEvent.id).desc()).limit(1)
        ).scalar_one_or_none()
        if last is None or last.received_by != giver.id:
            reasons.append(Reason("custody.gap", f"bag {container.division} was not last received by "
                                                 f"{giver.full_name}: the chain of custody has a gap"))
    return reasons


def _hand_over(session: Session, actor: Principal, din: str, data: schemas.BagsHandOver, leg: _Leg) -> HandOver:
    lot = lot_service.get_by_din(session=session, din=din, for_update=True)
    giver_name = data.handed_over_by or actor.username
    receiver_name = data.received_by or actor.username
    reasons: list[Reason] = []
    if lot.state not in leg.from_states:
        allowed = " or ".join(sorted(s.replace("_", " ") for s in leg.from_states))
        reasons.append(Reason(f"{leg.transition}.lot_state", f"lot {lot.din} is {lot.state.replace('_', ' ')}; "
                                                             f"the {leg.name} needs it {allowed}"))
    if leg is SHIPMENT and not records.release_state(session=session, lot=lot).released:
        reasons.append(Reason("ship.not_released", f"lot {lot.din} has no QA release decision: it cannot leave"))
    giver, problems = _person(session, giver_name, leg.givers, leg.giver_word, "handing over")
    reasons += problems
    receiver, problems = _person(session, receiver_name, leg.receivers, leg.receiver_word, "receiving")
    reasons += problems
    if giver is not None and receiver is not None and giver.id == receiver.id:
        reasons.append(Reason("handover.same_person", "a hand-over needs two different people"))
    reasons += _temperature(session, lot, data.temperature_c)
    bags, problems, others = _bags(session, lot, data.scans)
    reasons += problems
    if leg is RECEIPT and giver is not None:
        reasons += _custody_gaps(session, bags, giver)
    if reasons:
        audit = AuditedRefusal(actor, f"lot.{leg.transition}_refused", "lot", lot.din,
                               {"scans_escaped": [verdict.escape_raw(s) for s in data.scans],
                                "temperature_c": data.temperature_c})
        error: BatchtrackError
        if others:
            error = IdentityMismatch(f"a bag of lot {', '.join(sorted(others))} was scanned with lot {lot.din}: "
                                     f"the {leg.name} is not recorded", reasons=reasons, audit=audit)
        else:
            error = GateRefused(f"the {leg.name} of lot {lot.din} is not recorded", reasons=reasons, audit=audit)
        raise error
    assert giver is not None and receiver is not None
    events = [custody_service.record(session=session, actor=actor, data=custody_schemas.CustodyEventCreate(
        scan=raw, handed_over_by=giver.username, received_by=receiver.username, location=data.location,
        temperature_c=data.temperature_c, note=data.note)) for _container, raw in bags]
    lot = lot_service.transition(session=session, actor=actor, din=lot.din, name=leg.transition,
                                 reason=f"{leg.name}: {len(bags)} bag(s) from {giver.username} to "
                                        f"{receiver.username} at {data.temperature_c:g} °C")
    return HandOver(lot, events)


def ship(*, session: Session, actor: Principal, din: str, data: schemas.BagsHandOver) -> HandOver:
    """Ship a released lot: every bag scanned from the GMP operator to the courier, at transport temperature."""
    return _hand_over(session, actor, din, data, SHIPMENT)


def receive_at_clinic(*, session: Session, actor: Principal, din: str, data: schemas.BagsHandOver) -> HandOver:
    """Receive a shipped lot at the clinic: every bag scanned from the courier to a clinician."""
    return _hand_over(session, actor, din, data, RECEIPT)


def lot_din_named_by(*, session: Session, scans: list[str]) -> str:
    """The lot whose bag the first readable scan names (the receipt page starts from a scan, not a DIN)."""
    for raw in scans:
        resolved, _unreadable = scan_service.scanned_container(session=session, raw=raw)
        if resolved is not None and resolved.lot_din is not None:
            return resolved.lot_din
    raise NotFound("no scan names a bag of a recorded lot: scan the 2-D code on each product bag",
                   code="handover.no_lot")


def public(*, session: Session, outcome: HandOver) -> schemas.HandOverPublic:
    """The hand-over as the API returns it."""
    return schemas.HandOverPublic(
        din=outcome.lot.din, state=outcome.lot.state,
        events=[custody_service.to_public(session=session, event=e) for e in outcome.events])
