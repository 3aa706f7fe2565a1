"""Finding a record from any identifier a person types or scans, or, for those who see patient identity, a name."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session
from sqlmodel import col, select

from batchtrack.i18n.text import Text, _
from batchtrack.identifiers import coi as coi_id
from batchtrack.identifiers import din as din_id
from batchtrack.models.collection import Collection
from batchtrack.models.lot import Lot
from batchtrack.models.party import Recipient
from batchtrack.models.therapy import Therapy
from batchtrack.people import matching

MAX_QUERY = 64


@dataclass(frozen=True, slots=True)
class Hit:
    """Where a search leads: a lot, therapy or subject page, the subjects a name matches, or nowhere with a reason."""

    kind: str  # "lot", "therapy", "subject" (key: subject code), "subjects" (key: the name typed) or "none"
    key: str
    message: str | Text = ""


def _strip_data_identifier(text: str) -> str:
    for prefix in ("&/", "=<", "="):
        if text.startswith(prefix):
            return text[len(prefix):]
    return text


def find(*, session: Session, query: str, sees_identity: bool = False) -> Hit:
    """Resolve a DIN, COI identifier (with or without check character or data identifier) or subject code; for a
    reader who sees patient identity, also a recipient's name as written or romanised (`sees_identity`)."""
    text = _strip_data_identifier("".join(query.split()).upper())[:MAX_QUERY]
    if not text:
        return Hit("none", "", _("Type or scan a DIN, COI identifier or subject code."))
    if text.startswith(coi_id.PREFIX) and len(text) in (coi_id.COI_LENGTH, coi_id.COI_LENGTH + 1):
        coi = text[: coi_id.COI_LENGTH]
        if len(text) == coi_id.COI_LENGTH + 1:
            try:
                coi_id.parse(coi, check=text[-1])
            except din_id.IdentifierError as exc:
                return Hit("none", "", exc.message)
        if session.execute(select(col(Therapy.id)).where(col(Therapy.coi) == coi)).first():
            return Hit("therapy", coi)
        return Hit("none", "", _("No therapy has COI identifier {coi}.", coi=coi))
    if len(text) in (din_id.DIN_LENGTH, din_id.DIN_LENGTH + 1, din_id.DIN_LENGTH + 2):
        din = text[: din_id.DIN_LENGTH]
        if len(text) == din_id.DIN_LENGTH + 1:
            try:
                din_id.parse(din, check=text[-1])
            except din_id.IdentifierError as exc:
                return Hit("none", "", exc.message)
        if session.execute(select(col(Lot.id)).where(col(Lot.din) == din)).first():
            return Hit("lot", din)
        collection = session.execute(select(Collection).where(col(Collection.din) == din)).scalar_one_or_none()
        if collection is not None:
            therapy = session.get(Therapy, collection.therapy_id)
            assert therapy is not None
            return Hit("therapy", therapy.coi)
    row = session.execute(
        select(col(Therapy.coi)).join(Recipient, col(Recipient.id) == col(Therapy.recipient_id))
        .where(col(Recipient.subject_code) == query.strip()[:MAX_QUERY])
    ).first()
    if row:
        return Hit("therapy", row[0])
    if sees_identity:
        return _find_by_name(session=session, query=query)
    return Hit("none", "", _("Nothing matches that identifier."))


def _find_by_name(*, session: Session, query: str) -> Hit:
    """The subject whose name was typed, the list when several have it, or nowhere."""
    subjects = session.execute(
        select(col(Recipient.subject_code)).where(matching.recipient_named(query))
        .order_by(col(Recipient.id)).limit(2)
    ).scalars().all()
    if len(subjects) == 1:
        return Hit("subject", subjects[0])
    if subjects:
        return Hit("subjects", " ".join(query.split())[:matching.MAX_NAME_QUERY])
    return Hit("none", "", _("Nothing matches that identifier or name."))
