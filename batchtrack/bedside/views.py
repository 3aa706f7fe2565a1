"""What the bedside and the clinic pages show (reads only): the recipient a wristband names, a check with its
infusion, a lot's bags for shipment."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm import Session

from batchtrack.bedside import gate, records, schemas
from batchtrack.bedside import service as bedside_service
from batchtrack.errors import Reason
from batchtrack.labels.content import format_recipient_name
from batchtrack.lots import service as lot_service
from batchtrack.models.container import ContainerKind
from batchtrack.models.lot import Lot
from batchtrack.models.party import Recipient
from batchtrack.models.therapy import Therapy
from batchtrack.scanning import verdict


@dataclass(frozen=True, slots=True)
class RecipientView:
    """The recipient as the clinicians at the bedside confirm them (clinical roles only)."""

    coi: str
    subject_code: str
    name: str  # "LAST, First"
    date_of_birth: date


def recipient_of(*, session: Session, therapy_id: int) -> RecipientView:
    """The recipient of a therapy, with the identity printed on the product's label."""
    therapy = session.get(Therapy, therapy_id)
    assert therapy is not None
    recipient = session.get(Recipient, therapy.recipient_id)
    assert recipient is not None
    return RecipientView(therapy.coi, recipient.subject_code,
                         format_recipient_name(family=recipient.family_name, given=recipient.given_name),
                         recipient.date_of_birth)


def wristband(*, session: Session, raw: str) -> tuple[RecipientView | None, list[Reason]]:
    """The recipient a wristband scan names, or why it names none."""
    _coi, therapy_id, problems = bedside_service.read_wristband(session=session, raw=raw)
    if therapy_id is None:
        return None, list(problems) or [Reason("bedside.wristband_unknown", "the wristband names no therapy")]
    return recipient_of(session=session, therapy_id=therapy_id), []


def escaped(raw: str) -> str:
    """A scan as the page echoes it: printable ASCII, control characters as escapes, bounded."""
    return verdict.escape_raw(raw) if raw else ""


def describe_bag(bag: gate.Bag | None) -> str:
    """How the page names a scanned bag."""
    if bag is None:
        return ""
    state = (bag.lot_state or "unknown").replace("_", " ")
    return f"{bag.kind.replace('_', ' ')} of lot {bag.lot_din} ({state}), therapy {bag.therapy_coi}"


@dataclass(frozen=True, slots=True)
class CheckView:
    """A recorded check, whom it was for, and its infusion (or what the infusion form needs)."""

    check: schemas.CheckPublic
    recipient: RecipientView | None
    bag_volume_ml: float | None
    infusion: schemas.InfusionPublic | None
    valid_until: datetime
    may_infuse: bool


def check(*, session: Session, check_id: int) -> CheckView:
    """The check page's contents."""
    row = bedside_service.get_check(session=session, check_id=check_id)
    public = bedside_service.check_public(session=session, check=row)
    lot = session.get(Lot, row.lot_id) if row.lot_id else None
    recorded = bedside_service.infusion_of_check(session=session, check_id=check_id)
    infusion = bedside_service.infusion_public(session=session, infusion=recorded) if recorded else None
    return CheckView(
        check=public,
        recipient=recipient_of(session=session, therapy_id=row.therapy_id) if row.therapy_id else None,
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
