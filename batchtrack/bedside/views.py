"""What the bedside and the clinic pages show (reads only): the recipient a wristband names, a check with its
infusion, a lot's bags for shipment."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session
from sqlmodel import col, select

from batchtrack.bedside import gate, identity, records, schemas, vocabulary
from batchtrack.bedside import service as bedside_service
from batchtrack.bedside.identity import NONE_RECORDED as NONE_SHOWN
from batchtrack.bedside.identity import Compared, RecipientView
from batchtrack.errors import Reason
from batchtrack.i18n import moments
from batchtrack.i18n.numbers import Quantity, shown
from batchtrack.i18n.text import Text, _
from batchtrack.lots import service as lot_service
from batchtrack.lots import state_names
from batchtrack.models.container import Container, ContainerKind
from batchtrack.models.lot import Lot
from batchtrack.models.party import Recipient
from batchtrack.models.therapy import Therapy
from batchtrack.scanning import verdict


def recipient_of(*, session: Session, therapy_id: int) -> RecipientView:
    """The recipient of a therapy: their names as written and romanised, date of birth, subject and therapy."""
    therapy = session.get(Therapy, therapy_id)
    assert therapy is not None
    recipient = session.get(Recipient, therapy.recipient_id)
    assert recipient is not None
    return identity.recipient(coi=therapy.coi, subject_code=recipient.subject_code, family=recipient.family_name,
                              given=recipient.given_name, family_latin=recipient.family_name_latin,
                              given_latin=recipient.given_name_latin, date_of_birth=recipient.date_of_birth)


def wristband(*, session: Session, raw: str) -> tuple[RecipientView | None, list[Reason]]:
    """The recipient a wristband scan names, or why it names none."""
    _coi, therapy_id, problems = bedside_service.read_wristband(session=session, raw=raw)
    if therapy_id is None:
        return None, list(problems) or [Reason("bedside.wristband_unknown", _("the wristband names no therapy"))]
    return recipient_of(session=session, therapy_id=therapy_id), []


def label_recipient(*, session: Session, bag: gate.Bag | None) -> RecipientView | None:
    """The recipient the bag's label names: the recipient of the therapy its lot was made for."""
    if bag is None or bag.therapy_coi is None:
        return None
    therapy_id = session.execute(select(col(Therapy.id)).where(col(Therapy.coi) == bag.therapy_coi)).scalar()
    return recipient_of(session=session, therapy_id=therapy_id) if therapy_id is not None else None


def comparison(wristband_of: RecipientView | None, label_of: RecipientView | None) -> list[Compared]:
    """The wristband's identity and the bag label's side by side (empty unless both are known)."""
    if wristband_of is None or label_of is None:
        return []
    return identity.compare(wristband_of, label_of)


Shown = str | Text


@dataclass(frozen=True, slots=True)
class MatchRow:
    """One field of the match screen: what the wristband's recipient is due, what the bag is, and the gate's mark."""

    key: str
    field: Text
    wristband: tuple[Shown, ...]
    bag: tuple[Shown, ...]
    ok: bool
    reasons: tuple[Reason, ...]


_FIELD_NAMES: dict[str, Text] = {
    "recipient": _("Recipient"), "coi": _("COI identifier"), "din": _("DIN (lot and bag)"), "product": _("Product"),
    "expiry": _("Expiry"), "dose": _("Dose"), "release": _("Release"),
}


def _person(person: RecipientView | None) -> tuple[Shown, ...]:
    if person is None:
        return (NONE_SHOWN,)
    return tuple(line for line in (person.name, person.name_latin,
                                   _("born {date}, subject {code}", date=person.born, code=person.subject_code))
                 if line)


def _lot_dins(session: Session, coi: str | None) -> str:
    if coi is None:
        return NONE_SHOWN
    dins = session.execute(select(col(Lot.din)).join(Therapy, col(Therapy.id) == col(Lot.therapy_id))
                           .where(col(Therapy.coi) == coi).order_by(col(Lot.din))).scalars().all()
    return ", ".join(dins) or NONE_SHOWN


def _cells(value: float | None) -> Shown:
    return NONE_SHOWN if value is None else _("{cells} viable cells", cells=shown(value, Quantity.CELL_COUNT))


def _prescribed(dose: gate.Dose | None) -> Shown:
    if dose is None or dose.target is None:
        return NONE_SHOWN
    return _("{target} ({per_kg}/kg \u00d7 {weight} kg)", target=shown(dose.target, Quantity.CELL_COUNT),
             per_kg=shown(dose.prescribed_cells_per_kg, Quantity.CELL_COUNT),
             weight=shown(dose.weight_kg, Quantity.MASS))


def match_rows(*, session: Session, pre: bedside_service.Precheck, wristband_of: RecipientView | None,
               label_of: RecipientView | None) -> list[MatchRow]:
    """The wristband and the bag side by side, field by field, each ticked or crossed out by the bedside gate."""
    bag, facts = pre.bag, pre.facts
    if bag is None:
        return []
    container = session.get(Container, bag.container_id)
    division = container.division if container is not None else ""
    state = state_names.lot_state(bag.lot_state) if bag.lot_state else NONE_SHOWN
    values: dict[str, tuple[tuple[Shown, ...], tuple[Shown, ...]]] = {
        "recipient": (_person(wristband_of), _person(label_of)),
        "coi": ((pre.wristband_coi or NONE_SHOWN,), (bag.therapy_coi or NONE_SHOWN,)),
        "din": ((_lot_dins(session, pre.wristband_coi),), (f"{bag.lot_din or NONE_SHOWN} {division}".strip(),)),
        "product": ((vocabulary.container_kind(ContainerKind.FINAL_PRODUCT),),
                    (vocabulary.container_kind(bag.kind), vocabulary.container_status(bag.status))),
        "expiry": ((_("now {moment}", moment=moments.minute(facts.now, facts.zone)),),
                   (moments.minute(bag.expires_at, facts.zone) if bag.expires_at else NONE_SHOWN,)),
        "dose": ((_prescribed(facts.dose),), (_cells(facts.dose.viable_cells if facts.dose else None),)),
        "release": ((_("released by QA"),),
                    (state, _("released before its final sterility result")) if facts.pending_sterility
                    else (state,)),
    }
    return [MatchRow(m.key, _FIELD_NAMES[m.key], *values[m.key], ok=m.ok, reasons=m.reasons) for m in pre.matches]


def escaped(raw: str) -> str:
    """A scan as the page echoes it: printable ASCII, control characters as escapes, bounded."""
    return verdict.escape_raw(raw) if raw else ""


def describe_bag(bag: gate.Bag | None) -> Text | None:
    """How the page names a scanned bag."""
    if bag is None:
        return None
    state = state_names.lot_state(bag.lot_state) if bag.lot_state else _("unknown")
    return _("{kind} of lot {din} ({state}), therapy {coi}", kind=vocabulary.container_kind(bag.kind),
             din=bag.lot_din, state=state, coi=bag.therapy_coi)


@dataclass(frozen=True, slots=True)
class SignedView:
    """One signature of a recorded infusion as the check page shows it."""

    meaning: Text
    printed_name: str
    signed_at: datetime
    intact: bool


@dataclass(frozen=True, slots=True)
class InfusionView:
    """A recorded infusion as the check page shows it: the record, and the states and signatures named for people."""

    record: schemas.InfusionPublic
    lot_state: Text
    therapy_state: Text
    signatures: list[SignedView]


def _infusion_view(infusion: schemas.InfusionPublic) -> InfusionView:
    return InfusionView(infusion, state_names.lot_state(infusion.lot_state),
                        vocabulary.therapy_state(infusion.therapy_state),
                        [SignedView(vocabulary.signature_meaning(s.meaning), s.printed_name, s.signed_at, s.intact)
                         for s in infusion.signatures])


@dataclass(frozen=True, slots=True)
class CheckView:
    """A recorded check, whom it was for, and its infusion (or what the infusion form needs)."""

    check: schemas.CheckPublic
    recipient: RecipientView | None
    comparison: list[Compared]  # the wristband's recipient and the bag label's, when both are known
    bag_volume_ml: float | None
    infusion: InfusionView | None
    valid_until: datetime
    may_infuse: bool


def check(*, session: Session, check_id: int) -> CheckView:
    """The check page's contents."""
    row = bedside_service.get_check(session=session, check_id=check_id)
    public = bedside_service.check_public(session=session, check=row)
    lot = session.get(Lot, row.lot_id) if row.lot_id else None
    recorded = bedside_service.infusion_of_check(session=session, check_id=check_id)
    infusion = _infusion_view(bedside_service.infusion_public(session=session, infusion=recorded)) if recorded else None
    # The check records the scan as read (escaped); a wristband that named a therapy reads the same again.
    _coi, wristband_therapy, _problems = bedside_service.read_wristband(session=session, raw=row.wristband_scan)
    return CheckView(
        check=public,
        recipient=recipient_of(session=session, therapy_id=row.therapy_id) if row.therapy_id else None,
        comparison=comparison(
            recipient_of(session=session, therapy_id=wristband_therapy) if wristband_therapy else None,
            recipient_of(session=session, therapy_id=lot.therapy_id) if lot else None),
        bag_volume_ml=records.per_bag_value(session=session, lot=lot, name=records.VOLUME) if lot else None,
        infusion=infusion, valid_until=row.checked_at + gate.CHECK_VALID_FOR,
        may_infuse=row.ok and infusion is None,
    )


@dataclass(frozen=True, slots=True)
class ShipmentView:
    """A lot on the shipment page: its state and the bags that must be scanned."""

    din: str
    state: str
    therapy_coi: str
    bags: list[str]  # divisions of the final product bags in use
    expires_at: datetime | None


def shipment(*, session: Session, din: str) -> ShipmentView:
    """The lot and its bags still in use, for the shipment page (identifiers only)."""
    lot = lot_service.get_by_din(session=session, din=din)
    therapy = session.get(Therapy, lot.therapy_id)
    assert therapy is not None
    bags = [c.division for c in lot_service.containers_of(session=session, lot=lot)
            if c.kind == ContainerKind.FINAL_PRODUCT and c.status == "in_use"]
    return ShipmentView(lot.din, lot.state, therapy.coi, bags, lot.expires_at)
