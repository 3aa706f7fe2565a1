"""Loading a therapy's journey rows: a fixed number of queries, whatever the number of lots on record."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session
from sqlmodel import col, select

from batchtrack.models.audit import AuditEntry
from batchtrack.models.bedside import BedsideCheck, Infusion
from batchtrack.models.collection import Collection, ReceiptRecord
from batchtrack.models.custody import CustodyEvent
from batchtrack.models.enrolment import EligibilityAssessment
from batchtrack.models.lot import Lot
from batchtrack.models.party import Recipient
from batchtrack.models.processing import ProcessStep, StepValue
from batchtrack.models.quality import ReleaseDecision, ReleaseDecisionKind
from batchtrack.models.therapy import Therapy
from batchtrack.protocols import definition
from batchtrack.therapies import journey

DEFAULT_PROTOCOL = "KCT0004337"
# The cell count the growth curve follows: cells harvested at each passage and at the harvest.
COUNT_NAME = "cells_harvested"
# How many of the product's earlier lots make the range the growth curve is read against.
EARLIER_LOTS = 20
_MILESTONE_TRANSITIONS = ("harvest", "formulate", "submit_to_qc", "release", "release_pending_sterility", "ship",
                          "receive_at_clinic", "infuse")


def _counts(session: Session, lot_ids: Sequence[int]) -> dict[int, list[journey.CountRow]]:
    """The current cell counts of the lots' steps, by lot (a corrected value replaces the one it corrects)."""
    if not lot_ids:
        return {}
    steps = {s.id: s for s in session.execute(
        select(ProcessStep).where(col(ProcessStep.lot_id).in_(lot_ids))).scalars()}
    started: dict[int, datetime] = {}
    for step in steps.values():
        started[step.lot_id] = min(started.get(step.lot_id, step.started_at), step.started_at)
    values = list(session.execute(
        select(StepValue).where(col(StepValue.step_id).in_(list(steps)), col(StepValue.name) == COUNT_NAME)
    ).scalars())
    replaced = {v.replaces_id for v in values if v.replaces_id is not None}
    counts: dict[int, list[journey.CountRow]] = {}
    for value in values:
        if value.id in replaced:
            continue
        step = steps[value.step_id]
        counts.setdefault(step.lot_id, []).append(
            journey.CountRow(step.step_code, step.started_at, value.value, started[step.lot_id]))
    return counts


def load(*, session: Session, therapy: Therapy) -> journey.JourneyRows:
    """The rows of the therapy's journey: its enrolment, first collection and lot, hand-overs and bedside."""
    recipient = session.get(Recipient, therapy.recipient_id)
    limits = definition.load((recipient.protocol_id if recipient else "") or DEFAULT_PROTOCOL).limits
    assessment = session.execute(
        select(EligibilityAssessment).where(col(EligibilityAssessment.recipient_id) == therapy.recipient_id)
        .order_by(col(EligibilityAssessment.assessed_at).desc()).limit(1)).scalar_one_or_none()
    collection = session.execute(
        select(Collection).where(col(Collection.therapy_id) == therapy.id)
        .order_by(col(Collection.collected_at), col(Collection.id)).limit(1)).scalar_one_or_none()
    receipt = None if collection is None else session.execute(
        select(ReceiptRecord).where(col(ReceiptRecord.collection_id) == collection.id)
        .order_by(col(ReceiptRecord.received_at)).limit(1)).scalar_one_or_none()
    lot = session.execute(select(Lot).where(col(Lot.therapy_id) == therapy.id).order_by(col(Lot.id)).limit(1)
                          ).scalar_one_or_none()
    steps: list[journey.StepRow] = []
    transitions: dict[str, datetime] = {}
    counts: list[journey.CountRow] = []
    released_at: datetime | None = None
    earlier: list[list[journey.CountRow]] = []
    if lot is not None and lot.id is not None:
        steps = [journey.StepRow(s.step_code, s.step_type, s.title, s.started_at, s.completed_at)
                 for s in session.execute(select(ProcessStep).where(col(ProcessStep.lot_id) == lot.id)
                                          .order_by(col(ProcessStep.started_at))).scalars()]
        for action, at in session.execute(
            select(col(AuditEntry.action), col(AuditEntry.occurred_at)).where(
                col(AuditEntry.entity_type) == "lot", col(AuditEntry.entity_id) == lot.din,
                col(AuditEntry.action).in_([f"lot.{name}" for name in _MILESTONE_TRANSITIONS]))
            .order_by(col(AuditEntry.seq))
        ).all():
            transitions.setdefault(action.removeprefix("lot."), at)
        released_at = session.execute(
            select(col(ReleaseDecision.decided_at)).where(
                col(ReleaseDecision.lot_id) == lot.id,
                col(ReleaseDecision.decision).in_([ReleaseDecisionKind.RELEASED,
                                                   ReleaseDecisionKind.RELEASED_PENDING_STERILITY]))
            .order_by(col(ReleaseDecision.decided_at)).limit(1)).scalar_one_or_none()
        earlier_ids = [i for i in session.execute(
            select(col(Lot.id)).where(col(Lot.product_code) == lot.product_code, col(Lot.id) < lot.id)
            .order_by(col(Lot.id).desc()).limit(EARLIER_LOTS)).scalars() if i is not None]
        by_lot = _counts(session, [lot.id, *earlier_ids])
        counts = by_lot.get(lot.id, [])
        earlier = [by_lot[i] for i in earlier_ids if i in by_lot]
    hand_overs = [journey.HandOverRow(e.occurred_at, e.location, e.temperature_c) for e in session.execute(
        select(CustodyEvent).where(col(CustodyEvent.therapy_id) == therapy.id)
        .order_by(col(CustodyEvent.occurred_at))).scalars()]
    checked_at = session.execute(
        select(col(BedsideCheck.checked_at)).where(col(BedsideCheck.therapy_id) == therapy.id,
                                                   col(BedsideCheck.ok).is_(True))
        .order_by(col(BedsideCheck.checked_at)).limit(1)).scalar_one_or_none()
    infused_at = session.execute(
        select(col(Infusion.started_at)).where(col(Infusion.therapy_id) == therapy.id)
        .order_by(col(Infusion.started_at)).limit(1)).scalar_one_or_none()
    return journey.JourneyRows(
        limits=limits, enrolled_at=recipient.created_at if recipient else None,
        eligibility_at=assessment.assessed_at if assessment else None,
        eligible=assessment.eligible if assessment else None,
        collected_at=collection.collected_at if collection else None,
        received_at=receipt.received_at if receipt else None,
        receipt_temperature_c=receipt.temperature_c if receipt else None,
        steps=steps, transitions=transitions, released_at=released_at, expires_at=lot.expires_at if lot else None,
        hand_overs=hand_overs, bedside_checked_at=checked_at, infused_at=infused_at,
        counts=counts, earlier_counts=earlier,
    )
