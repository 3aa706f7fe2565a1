"""Finding a record from any identifier a person types or scans, or, for those who see patient identity, a name.

Each term the text may be (search_terms.read) is looked up in turn by a unique or indexed column, one row or two at
most; the first that finds a record answers.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_
from sqlalchemy.orm import Session
from sqlmodel import col, select

from batchtrack.dashboard import search_terms
from batchtrack.dashboard.search_terms import Kind, Term
from batchtrack.i18n.text import Text, _
from batchtrack.models.collection import Collection
from batchtrack.models.container import Container
from batchtrack.models.lot import Lot
from batchtrack.models.party import Donor, Recipient
from batchtrack.models.therapy import Therapy
from batchtrack.people import matching

MAX_QUERY = search_terms.MAX_QUERY


@dataclass(frozen=True, slots=True)
class Hit:
    """Where a search leads: a lot, therapy or subject page, the subjects a name matches, or nowhere with a reason."""

    kind: str  # "lot", "therapy", "subject" (key: subject code), "subjects" (key: the name typed) or "none"
    key: str
    message: str | Text = ""


def _lot_or_collection(session: Session, din: str) -> Hit | None:
    """The lot with this DIN, else the therapy of the collection with it."""
    if session.execute(select(col(Lot.id)).where(col(Lot.din) == din)).first():
        return Hit("lot", din)
    row = session.execute(
        select(col(Therapy.coi)).join(Collection, col(Collection.therapy_id) == col(Therapy.id))
        .where(col(Collection.din) == din)
    ).first()
    return Hit("therapy", row[0]) if row else None


def _container(session: Session, term: Term) -> Hit | None:
    """The lot of the container a label names (by its DIN's index), else the therapy of its collection."""
    query = select(col(Container.lot_id), col(Container.collection_id)).where(
        col(Container.din) == term.value, col(Container.division) == term.division,
        col(Container.sample_flag) == term.sample_flag)
    if term.product_code is not None:
        query = query.where(col(Container.product_code) == term.product_code)
    row = session.execute(query.limit(1)).first()
    if row is None:
        return None
    lot_id, collection_id = row
    if lot_id is not None:
        lot = session.get(Lot, lot_id)
        return Hit("lot", lot.din) if lot is not None else None
    coi = session.execute(
        select(col(Therapy.coi)).join(Collection, col(Collection.therapy_id) == col(Therapy.id))
        .where(col(Collection.id) == collection_id)
    ).scalar_one_or_none()
    return Hit("therapy", coi) if coi is not None else None


def _subject(session: Session, code: str) -> Hit | None:
    """The subject's therapy when there is one, the subject's page when there are none or several. Codes are
    recorded as typed at enrolment; upper and lower case are tried too (each through the unique index)."""
    recipient_id = session.execute(
        select(col(Recipient.id)).where(col(Recipient.subject_code).in_({code, code.upper(), code.lower()}))
        .order_by(col(Recipient.subject_code) != code).limit(1)
    ).scalar_one_or_none()
    if recipient_id is None:
        return None
    therapies = session.execute(
        select(col(Therapy.coi)).where(col(Therapy.recipient_id) == recipient_id).limit(2)
    ).scalars().all()
    if len(therapies) == 1:
        return Hit("therapy", therapies[0])
    recipient = session.get(Recipient, recipient_id)
    assert recipient is not None
    return Hit("subject", recipient.subject_code)


def _named(session: Session, name: str) -> Hit | None:
    """The subject whose name (or whose directed donor's name) was typed, the list when several have it."""
    donated_to = select(col(Donor.directed_to_id)).where(matching.donor_named(name))
    subjects = session.execute(
        select(col(Recipient.subject_code))
        .where(or_(matching.recipient_named(name), col(Recipient.id).in_(donated_to)))
        .order_by(col(Recipient.id)).limit(2)
    ).scalars().all()
    if len(subjects) == 1:
        return Hit("subject", subjects[0])
    if subjects:
        return Hit("subjects", name[: matching.MAX_NAME_QUERY])
    return None


def _look_up(session: Session, term: Term) -> Hit | None:
    if term.kind is Kind.COI:
        found = session.execute(select(col(Therapy.id)).where(col(Therapy.coi) == term.value)).first()
        return Hit("therapy", term.value) if found else None
    if term.kind is Kind.DIN:
        return _lot_or_collection(session, term.value)
    if term.kind is Kind.CONTAINER:
        return _container(session, term)
    if term.kind is Kind.SUBJECT_CODE:
        return _subject(session, term.value)
    return _named(session, term.value)


def not_found(reading: search_terms.Reading, *, names: bool) -> Text:
    """Why nothing was found: what the text was taken for, or that it is none of what the box finds."""
    if reading.refusal is not None:
        return reading.refusal
    kinds = reading.kinds()
    if Kind.COI in kinds:
        return _("No therapy has this COI identifier.")
    if Kind.DIN in kinds:
        return _("No lot or collection has this DIN.")
    if Kind.CONTAINER in kinds:
        return _("No container recorded here has this label.")
    if kinds == {Kind.SUBJECT_CODE, Kind.NAME}:
        return _("No subject has this code or name.")
    if Kind.SUBJECT_CODE in kinds:
        return _("No subject has this code.")
    if Kind.NAME in kinds:
        return _("No subject has this name.")
    if names:
        return _("This is not a DIN, COI identifier, container label, subject code or name.")
    return _("This is not a DIN, COI identifier, container label or subject code.")


def find(*, session: Session, query: str, sees_identity: bool = False) -> Hit:
    """Resolve a COI identifier or DIN (with or without its check character), a container's label as scanned, or
    a subject code; for a reader who sees patient identity (`sees_identity`), also a recipient's name as written or
    romanised."""
    reading = search_terms.read(query, names=sees_identity)
    if not query.strip():
        if sees_identity:
            return Hit("none", "", _("Type or scan a DIN, COI identifier or container label, or type a subject code "
                                     "or name."))
        return Hit("none", "", _("Type or scan a DIN, COI identifier or container label, or type a subject code."))
    for term in reading.terms:
        hit = _look_up(session, term)
        if hit is not None:
            return hit
    return Hit("none", "", not_found(reading, names=sees_identity))
