"""Everything the chain-of-identity report is built from, read in a fixed handful of queries.

The number of queries does not grow with the number of collections, containers, hand-overs, labels, checks or
signatures. The recipient's name and date of birth are read only for a viewer whose role may see them; the
medical record number, and the scans recorded at the bedside (a wristband may carry it), are never read.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, false, or_
from sqlalchemy.orm import QueryableAttribute, Session, defer
from sqlmodel import col, select

from batchtrack.auth.principal import Principal
from batchtrack.models.bedside import BedsideCheck, Infusion
from batchtrack.models.collection import Collection, ReceiptRecord
from batchtrack.models.container import Container
from batchtrack.models.custody import CustodyEvent
from batchtrack.models.deviation import Deviation
from batchtrack.models.enrolment import EligibilityAssessment
from batchtrack.models.label import Label, LabelPrint
from batchtrack.models.lot import Lot, LotCollection
from batchtrack.models.party import Donor, Recipient
from batchtrack.models.processing import ProcessStep
from batchtrack.models.quality import ReleaseApproval, ReleaseDecision, Specification
from batchtrack.models.signature import Signature
from batchtrack.models.therapy import Therapy
from batchtrack.models.user import User

LOT_SIGNATURE_ENTITY = "lot"


@dataclass(frozen=True, slots=True)
class RecipientRow:
    """The recipient as the report may read it: name and date of birth only for a viewer who may see them."""

    subject_code: str
    family_name: str | None = None
    given_name: str | None = None
    date_of_birth: date | None = None
    family_name_latin: str = ""
    given_name_latin: str = ""


@dataclass(frozen=True, slots=True)
class Rows:
    """Everything the report is built from, loaded in a fixed number of queries."""

    donor: Donor
    recipient: RecipientRow
    eligibility: EligibilityAssessment | None
    collections: list[Collection]
    receipts: list[ReceiptRecord]
    lots: list[tuple[Lot, str | None, int | None]]  # the lot, its specification's code and version
    lot_collections: list[LotCollection]
    containers: list[Container]
    foreign_containers: list[Container]  # scanned at a bedside check of this therapy, of another therapy
    custody: list[CustodyEvent]
    prints: list[LabelPrint]
    labels: list[Label]
    steps: list[ProcessStep]
    deviations: list[Deviation]
    decisions: list[ReleaseDecision]
    approvals: list[ReleaseApproval]
    checks: list[BedsideCheck]
    infusions: list[Infusion]
    signatures: dict[int, Signature]
    names: dict[int, str]

    def name(self, user_id: int | None) -> str:
        """The full name of a user ('' for nobody)."""
        return "" if user_id is None else self.names.get(user_id, f"user {user_id}")


def _in(column: Any, ids: Iterable[object]) -> ColumnElement[bool]:
    """`column IN ids`, or a condition that is false when there are none (no empty IN list is sent)."""
    wanted = sorted({i for i in ids if i is not None}, key=str)
    return col(column).in_(wanted) if wanted else false()


def _attribute(column: Any) -> QueryableAttribute[Any]:
    """A table's column as the ORM attribute it is at run time (SQLModel types it as the plain value)."""
    assert isinstance(column, QueryableAttribute)
    return column


def _recipient(session: Session, therapy: Therapy, viewer: Principal) -> tuple[Donor, RecipientRow]:
    """The donor and the recipient; name and date of birth are read only when the viewer may see them."""
    base = select(Donor).select_from(Therapy).join(Donor, col(Donor.id) == col(Therapy.donor_id)).join(
        Recipient, col(Recipient.id) == col(Therapy.recipient_id)).where(col(Therapy.id) == therapy.id)
    if viewer.sees_patient_identity:
        donor, code, family, given, born, family_latin, given_latin = session.execute(base.add_columns(
            col(Recipient.subject_code), col(Recipient.family_name), col(Recipient.given_name),
            col(Recipient.date_of_birth), col(Recipient.family_name_latin), col(Recipient.given_name_latin))).one()
        return donor, RecipientRow(str(code), str(family), str(given), born, str(family_latin or ""),
                                   str(given_latin or ""))
    donor, code = session.execute(base.add_columns(col(Recipient.subject_code))).one()
    return donor, RecipientRow(str(code))


def _names(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = session.execute(select(col(User.id), col(User.full_name)).where(col(User.id).in_(wanted))).all()
    return {user_id: name for user_id, name in rows if user_id is not None}


def load(*, session: Session, therapy: Therapy, viewer: Principal) -> Rows:
    """Every row the report of `therapy` is built from, in a fixed number of queries."""
    donor, recipient = _recipient(session, therapy, viewer)
    eligibility = session.execute(
        select(EligibilityAssessment).where(
            col(EligibilityAssessment.recipient_id) == therapy.recipient_id,
            col(EligibilityAssessment.eligible).is_(True),
            col(EligibilityAssessment.assessed_at) <= therapy.created_at,
        ).order_by(col(EligibilityAssessment.assessed_at).desc(), col(EligibilityAssessment.id).desc()).limit(1)
    ).scalar_one_or_none()
    collections = list(session.execute(
        select(Collection).where(col(Collection.therapy_id) == therapy.id)
        .order_by(col(Collection.created_at), col(Collection.id))).scalars())
    collection_ids = [c.id for c in collections]
    receipts = list(session.execute(
        select(ReceiptRecord).where(_in(ReceiptRecord.collection_id, collection_ids))
        .order_by(col(ReceiptRecord.received_at), col(ReceiptRecord.id))).scalars()) if collection_ids else []
    lots: list[tuple[Lot, str | None, int | None]] = [(lot, code, version) for lot, code, version in session.execute(
        select(Lot, col(Specification.code), col(Specification.version))
        .outerjoin(Specification, col(Specification.id) == col(Lot.specification_id))
        .where(col(Lot.therapy_id) == therapy.id).order_by(col(Lot.created_at), col(Lot.id))).all()]
    lot_ids = [lot.id for lot, _, _ in lots]
    lot_collections = list(session.execute(
        select(LotCollection).where(_in(LotCollection.lot_id, lot_ids))).scalars()) if lot_ids else []
    containers = list(session.execute(
        select(Container).where(or_(_in(Container.lot_id, lot_ids), _in(Container.collection_id, collection_ids)))
        .order_by(col(Container.id))).scalars()) if lot_ids or collection_ids else []
    container_ids = [c.id for c in containers]
    custody = list(session.execute(
        select(CustodyEvent).where(col(CustodyEvent.therapy_id) == therapy.id)
        .order_by(col(CustodyEvent.occurred_at), col(CustodyEvent.id))).scalars())
    prints = list(session.execute(
        select(LabelPrint).where(col(LabelPrint.therapy_id) == therapy.id)
        .order_by(col(LabelPrint.printed_at), col(LabelPrint.id))).scalars())
    # What a label's barcodes encode is not part of the report: it is not read.
    labels = list(session.execute(
        select(Label).options(defer(_attribute(Label.barcode_data)))
        .where(_in(Label.print_id, [p.id for p in prints])).order_by(col(Label.id))
    ).scalars()) if prints else []
    steps, deviations, decisions, approvals = _lot_rows(session, lot_ids)
    of_therapy = [col(BedsideCheck.therapy_id) == therapy.id, _in(BedsideCheck.lot_id, lot_ids),
                  _in(BedsideCheck.container_id, container_ids)]
    # The scans as read at the bedside are never read: a wristband may carry the medical record number.
    checks = list(session.execute(
        select(BedsideCheck).options(defer(_attribute(BedsideCheck.wristband_scan)),
                                      defer(_attribute(BedsideCheck.bag_scan)))
        .where(or_(*of_therapy)).order_by(col(BedsideCheck.checked_at), col(BedsideCheck.id))
    ).scalars())
    infusions = list(session.execute(
        select(Infusion).where(or_(col(Infusion.therapy_id) == therapy.id, _in(Infusion.lot_id, lot_ids),
                                   _in(Infusion.container_id, container_ids)))
        .order_by(col(Infusion.started_at), col(Infusion.id))).scalars())
    known = set(container_ids)
    foreign_ids = {c.container_id for c in checks if c.container_id is not None and c.container_id not in known}
    foreign = list(session.execute(
        select(Container).where(_in(Container.id, foreign_ids))).scalars()) if foreign_ids else []
    signature_ids = {eligibility.signature_id} if eligibility is not None else set()
    signature_ids |= {i for s in steps for i in (s.performed_signature_id, s.verified_signature_id) if i is not None}
    signature_ids |= {d.closed_signature_id for d in deviations if d.closed_signature_id is not None}
    signature_ids |= {d.signature_id for d in decisions} | {a.signature_id for a in approvals}
    signature_ids |= {i for f in infusions for i in (f.first_signature_id, f.second_signature_id)}
    lot_dins = [lot.din for lot, _, _ in lots]
    signatures = {row.id: row for row in session.execute(
        select(Signature).where(or_(
            _in(Signature.id, signature_ids),
            and_(col(Signature.entity_type) == LOT_SIGNATURE_ENTITY, _in(Signature.entity_id, lot_dins)),
        )).order_by(col(Signature.signed_at), col(Signature.id))).scalars() if row.id is not None}
    names = _names(session, [
        therapy.created_by, *(c.collector_id for c in collections), *(r.received_by for r in receipts),
        *(i for e in custody for i in (e.handed_over_by, e.received_by, e.recorded_by)),
        *(p.printed_by for p in prints), *(label.applied_by for label in labels),
        *(i for s in steps for i in (s.started_by, s.completed_by, s.verified_by)),
        *(i for d in deviations for i in (d.opened_by, d.closed_by)),
        *(d.decided_by for d in decisions), *(a.signed_by for a in approvals),
        *(i for c in checks for i in (c.first_clinician_id, c.second_clinician_id)),
        *(f.recorded_by for f in infusions), eligibility.assessed_by if eligibility is not None else None,
    ])
    return Rows(donor, recipient, eligibility, collections, receipts, lots, lot_collections, containers, foreign,
                 custody, prints, labels, steps, deviations, decisions, approvals, checks, infusions, signatures,
                 names)


def _lot_rows(session: Session, lot_ids: list[int | None]) -> tuple[
    list[ProcessStep], list[Deviation], list[ReleaseDecision], list[ReleaseApproval]
]:
    """The steps, deviations, QA decisions and co-signatures of the lots (nothing is read for no lot)."""
    if not lot_ids:
        return [], [], [], []
    steps = list(session.execute(
        select(ProcessStep).where(_in(ProcessStep.lot_id, lot_ids))
        .order_by(col(ProcessStep.lot_id), col(ProcessStep.ordinal), col(ProcessStep.id))).scalars())
    deviations = list(session.execute(
        select(Deviation).where(_in(Deviation.lot_id, lot_ids))
        .order_by(col(Deviation.opened_at), col(Deviation.id))).scalars())
    decisions = list(session.execute(
        select(ReleaseDecision).where(_in(ReleaseDecision.lot_id, lot_ids))).scalars())
    approvals = list(session.execute(
        select(ReleaseApproval).where(_in(ReleaseApproval.lot_id, lot_ids))
        .order_by(col(ReleaseApproval.signed_at), col(ReleaseApproval.id))).scalars())
    return steps, deviations, decisions, approvals
