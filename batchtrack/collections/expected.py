"""The bags the lab's receiving station expects: collected or in transit, not yet received, each with what is left
of its receipt window (the protocol's hours from collection to receipt).

`receipt_window` and `expected_din_of` are pure rules; `expected_bags` reads them in one bounded query.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select  # six columns: more than sqlmodel's select is typed for
from sqlalchemy.orm import Session
from sqlmodel import col

from batchtrack.collections.workflow import STATE_NAMES, CollectionState
from batchtrack.i18n.text import Text, _
from batchtrack.identifiers import checkchar
from batchtrack.identifiers import din as din_id
from batchtrack.identifiers.din import IdentifierError
from batchtrack.models.collection import Collection
from batchtrack.models.party import Recipient
from batchtrack.models.therapy import Therapy
from batchtrack.protocols import definition
from batchtrack.scanning import parser

# The most bags the station lists (the oldest first: their windows close first).
MOST_LISTED = 100
DEFAULT_PROTOCOL = "KCT0004337"
EXPECTED_STATES = (CollectionState.COLLECTED, CollectionState.IN_TRANSIT)


@dataclass(frozen=True, slots=True)
class ExpectedBag:
    """A bag on its way to the lab."""

    din: str
    din_eye_readable: str
    therapy_coi: str
    subject_code: str
    state: str
    state_name: Text
    collected_at: datetime | None
    receive_by: datetime | None  # when the protocol's receipt window closes
    hours_left: float | None  # negative: the window has closed


def receipt_window(collected_at: datetime | None, max_hours: float, now: datetime) -> tuple[datetime | None,
                                                                                             float | None]:
    """When a bag collected at `collected_at` must be received by, and the hours left until then (one decimal)."""
    if collected_at is None:
        return None, None
    receive_by = collected_at + timedelta(hours=max_hours)
    return receive_by, round((receive_by - now).total_seconds() / 3600, 1)


def expected_din_of(text: str) -> tuple[str | None, Text | None]:
    """The DIN of the bag a person picked by typing its DIN (with or without its check character) or scanning its
    label: (DIN, None), (None, why not), or (None, None) for nothing typed."""
    compact = "".join(text.split()).upper()
    if not compact:
        return None, None
    if len(compact) in (din_id.DIN_LENGTH, din_id.DIN_LENGTH + 1) and compact[0] not in "=&":
        try:
            found = din_id.parse(compact[: din_id.DIN_LENGTH])
        except IdentifierError:
            return None, _("{text} is not a DIN: type the 13 characters from the bag's label, or scan the label.",
                           text=compact[:20])
        check = compact[din_id.DIN_LENGTH:]
        if check and check != checkchar.check_character(found.value):
            return None, _("The check character {check} does not match DIN {din}: read it again from the label.",
                           check=check, din=found.value)
        return found.value, None
    parsed = parser.parse_scan(text)
    if isinstance(parsed, parser.ScanRefusal):
        why = parsed.reasons[0].text if parsed.reasons else _("it holds nothing")
        return None, _("The barcode cannot be read: {why}.", why=why)
    identity = parser.identity_of(parsed)
    if identity.din is None:
        return None, _("That barcode holds no DIN: scan the DIN barcode on the bag's label.")
    return identity.din, None


def expected_bags(*, session: Session, now: datetime) -> list[ExpectedBag]:
    """The bags collected or in transit, the oldest collection first, with their receipt windows."""
    rows = session.execute(
        select(col(Collection.din), col(Collection.state), col(Collection.collected_at), col(Therapy.coi),
               col(Recipient.subject_code), col(Recipient.protocol_id))
        .join(Therapy, col(Therapy.id) == col(Collection.therapy_id))
        .join(Recipient, col(Recipient.id) == col(Therapy.recipient_id))
        .where(col(Collection.state).in_([state.value for state in EXPECTED_STATES]))
        .order_by(col(Collection.collected_at), col(Collection.id)).limit(MOST_LISTED)
    ).all()
    bags = []
    for din, state, collected_at, coi, subject_code, protocol in rows:
        limits = definition.load(protocol or DEFAULT_PROTOCOL).limits
        receive_by, hours_left = receipt_window(collected_at, limits.max_hours_collection_to_receipt, now)
        bags.append(ExpectedBag(din, din_id.eye_readable(din_id.parse(din)), coi, subject_code, state,
                                STATE_NAMES[CollectionState(state)], collected_at, receive_by, hours_left))
    return bags
