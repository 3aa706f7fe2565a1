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
from batchtrack.bedside import records, schemas, vocabulary
from batchtrack.custody import schemas as custody_schemas
from batchtrack.custody import service as custody_service
from batchtrack.errors import AuditedRefusal, BatchtrackError, GateRefused, IdentityMismatch, NotFound, Reason
from batchtrack.i18n.text import Text, _
from batchtrack.lots import service as lot_service
from batchtrack.lots import state_names
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

    name: str  # as the audit trail records it
    title: Text  # as people read it
    transition: str
    givers: frozenset[Role]
    receivers: frozenset[Role]
    giver_word: Text
    receiver_word: Text
    from_states: frozenset[str]


SHIPMENT = _Leg("shipment", _("shipment"), "ship", frozenset({Role.OPERATOR}), frozenset({Role.COURIER}),
                _("a GMP operator"), _("a courier"), frozenset(s.value for s in RELEASED_STATES))
RECEIPT = _Leg("clinic receipt", _("clinic receipt"), "receive_at_clinic", frozenset({Role.COURIER}), CLINICIANS,
               _("a courier"), _("an investigator or a nurse"), frozenset({LotState.SHIPPED.value}))
HANDING_OVER = _("handing over")
RECEIVING = _("receiving")


@dataclass(frozen=True, slots=True)
class HandOver:
    """The lot after the hand-over, and the custody events recorded (one per bag)."""

    lot: Lot
    events: list[CustodyEvent]


def _either(names: list[Text]) -> Text:
    """"a", "a or b", "a or b or c", each name in the reader's language."""
    either = names[0]
    for name in names[1:]:
        either = _("{first} or {second}", first=either, second=name)
    return either


def _person(session: Session, username: str, roles: frozenset[Role], word: Text,
            what: Text) -> tuple[User | None, list[Reason]]:
    user = session.execute(select(User).where(col(User.username) == username.strip().lower())).scalar_one_or_none()
    if user is None or not user.is_active or user.id is None:
        return None, [Reason("handover.unknown_person", _("no active user {username} ({what})",
                                                          username=repr(username[:64]), what=what))]
    held = auth_service.roles_of(session=session, user_id=user.id)
    if not held & roles:
        return user, [Reason("handover.role", _("{name} ({what}) is not {role}", name=user.full_name, what=what,
                                                role=word))]
    return user, []


def _temperature(session: Session, lot: Lot, celsius: float) -> list[Reason]:
    therapy = session.get(Therapy, lot.therapy_id)
    recipient = session.get(Recipient, therapy.recipient_id) if therapy else None
    if recipient is None or not recipient.protocol_id:
        return [Reason("handover.no_protocol",
                       _("the lot's subject is on no protocol: no transport limits to check"))]
    limits = definition.load(recipient.protocol_id).limits
    low, high = limits.transport_temperature_min_c, limits.transport_temperature_max_c
    if low <= celsius <= high:
        return []
    return [Reason("handover.temperature", _("{celsius} °C is outside the protocol's transport range {low}-{high} °C: "
                                             "the product may be damaged", celsius=format(celsius, "g"),
                                             low=format(low, "g"), high=format(high, "g")))]


def _bags(session: Session, lot: Lot, scans: list[str]) -> tuple[list[tuple[Container, str]], list[Reason], set[str]]:
    """The lot's bags the scans name, every problem with them, and the other lots whose bags were scanned."""
    found: list[tuple[Container, str]] = []
    reasons: list[Reason] = []
    others: set[str] = set()
    seen: set[int] = set()
    for number, raw in enumerate(scans, start=1):
        resolved, unreadable = scan_service.scanned_container(session=session, raw=raw)
        if unreadable:
            reasons += [Reason(r.code, _("scan {number}: {why}", number=number, why=r.text)) for r in unreadable]
            continue
        if resolved is None:
            reasons.append(Reason("handover.not_a_container", _("scan {number} is not the label of a recorded "
                                                                "container: scan the 2-D code on each product bag",
                                                                number=number)))
            continue
        if resolved.lot_id != lot.id:
            others.add(resolved.lot_din or resolved.din)
            reasons.append(Reason("handover.bag_of_another_lot",
                                  _("scan {number} is a {kind} of lot {other}, not of lot {din}: it must not travel "
                                    "with this lot", number=number, kind=vocabulary.container_kind(resolved.kind),
                                    other=resolved.lot_din or resolved.din, din=lot.din)))
            continue
        container = session.get(Container, resolved.container_id)
        assert container is not None and container.id is not None
        if container.kind != ContainerKind.FINAL_PRODUCT:
            reasons.append(Reason("handover.not_a_product_bag", _("scan {number} is a {kind}, not a final product bag",
                                                                  number=number,
                                                                  kind=vocabulary.container_kind(container.kind))))
        elif container.id in seen:
            reasons.append(Reason("handover.scanned_twice",
                                  _("bag {division} was scanned twice", division=container.division)))
        elif container.status != ContainerStatus.IN_USE:
            reasons.append(Reason("handover.bag_status", _("bag {division} is {status}", division=container.division,
                                                           status=vocabulary.container_status(container.status))))
        else:
            seen.add(container.id)
            found.append((container, raw))
    missing = [c.division for c in lot_service.containers_of(session=session, lot=lot)
               if c.kind == ContainerKind.FINAL_PRODUCT and c.status == ContainerStatus.IN_USE and c.id not in seen]
    if missing:
        reasons.append(Reason("handover.bag_missing", _("bag(s) {divisions} of lot {din} were not scanned: every bag "
                                                        "travels with the lot and is scanned",
                                                        divisions=", ".join(missing), din=lot.din)))
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
            reasons.append(Reason("custody.gap", _("bag {division} was not last received by {name}: the chain of "
                                                   "custody has a gap", division=container.division,
                                                   name=giver.full_name)))
    return reasons


def _hand_over(session: Session, actor: Principal, din: str, data: schemas.BagsHandOver, leg: _Leg) -> HandOver:
    lot = lot_service.get_by_din(session=session, din=din, for_update=True)
    giver_name = data.handed_over_by or actor.username
    receiver_name = data.received_by or actor.username
    reasons: list[Reason] = []
    if lot.state not in leg.from_states:
        allowed = _either([state_names.lot_state(s) for s in sorted(leg.from_states)])
        reasons.append(Reason(f"{leg.transition}.lot_state", _("lot {din} is {state}; the {leg} needs it {allowed}",
                                                               din=lot.din, state=state_names.lot_state(lot.state),
                                                               leg=leg.title, allowed=allowed)))
    if leg is SHIPMENT and not records.release_state(session=session, lot=lot).released:
        reasons.append(Reason("ship.not_released",
                              _("lot {din} has no QA release decision: it cannot leave", din=lot.din)))
    giver, problems = _person(session, giver_name, leg.givers, leg.giver_word, HANDING_OVER)
    reasons += problems
    receiver, problems = _person(session, receiver_name, leg.receivers, leg.receiver_word, RECEIVING)
    reasons += problems
    if giver is not None and receiver is not None and giver.id == receiver.id:
        reasons.append(Reason("handover.same_person", _("a hand-over needs two different people")))
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
            error = IdentityMismatch(_("a bag of lot {others} was scanned with lot {din}: the {leg} is not recorded",
                                       others=", ".join(sorted(others)), din=lot.din, leg=leg.title),
                                     reasons=reasons, audit=audit)
        else:
            error = GateRefused(_("the {leg} of lot {din} is not recorded", leg=leg.title, din=lot.din),
                                reasons=reasons, audit=audit)
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
    raise NotFound(_("no scan names a bag of a recorded lot: scan the 2-D code on each product bag"),
                   code="handover.no_lot")


def public(*, session: Session, outcome: HandOver) -> schemas.HandOverPublic:
    """The hand-over as the API returns it."""
    return schemas.HandOverPublic(
        din=outcome.lot.din, state=outcome.lot.state,
        events=[custody_service.to_public(session=session, event=e) for e in outcome.events])
