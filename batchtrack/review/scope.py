"""Which audit entries are about a lot or a therapy: every record of it that the trail names.

The lot's timeline (lots.timeline) gathers the lot, its collections and its containers; a review needs every
record of the lot: also its process steps' signatures, deviations, holds, QC alerts, bedside checks, infusions and
record reviews, so a refusal or signature recorded against any of them is found under the lot.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement, false, or_
from sqlalchemy.orm import Session
from sqlmodel import col, select

from batchtrack.models.audit import AuditEntry
from batchtrack.models.bedside import BedsideCheck, Infusion
from batchtrack.models.collection import Collection
from batchtrack.models.container import Container
from batchtrack.models.deviation import Deviation
from batchtrack.models.lot import Lot, LotCollection
from batchtrack.models.party import Recipient
from batchtrack.models.processing import ProcessStep
from batchtrack.models.quality import Alert
from batchtrack.models.therapy import Therapy

# Records by entity type: the `entity_type` and `entity_id` values the trail names them by.
Subjects = Mapping[str, Sequence[str]]


def _ids(session: Session, column: Any, where: ColumnElement[bool]) -> list[str]:
    return [str(value) for value in session.execute(select(column).where(where)).scalars()]


def lot_subjects(*, session: Session, lot: Lot) -> dict[str, list[str]]:
    """Every record of the lot by entity type, as its audit entries name them."""
    assert lot.id is not None
    collections = _ids(session, col(Collection.din), col(Collection.id).in_(
        select(col(LotCollection.collection_id)).where(col(LotCollection.lot_id) == lot.id)))
    return {
        "lot": [lot.din],
        "lot_hold": [lot.din],
        "collection": collections,
        "container": _ids(session, col(Container.id), col(Container.lot_id) == lot.id),
        "process_step": _ids(session, col(ProcessStep.id), col(ProcessStep.lot_id) == lot.id),
        "deviation": _ids(session, col(Deviation.number), col(Deviation.lot_id) == lot.id),
        "alert": _ids(session, col(Alert.id), col(Alert.lot_id) == lot.id),
        "bedside_check": _ids(session, col(BedsideCheck.id), col(BedsideCheck.lot_id) == lot.id),
        "infusion": _ids(session, col(Infusion.id), col(Infusion.lot_id) == lot.id),
        "lot_record_review": [lot.din],
    }


def therapy_subjects(*, session: Session, therapy: Therapy) -> dict[str, list[str]]:
    """Every record of the therapy by entity type: itself, its recipient, its collections and each of its lots'."""
    found: dict[str, list[str]] = {
        "therapy": [therapy.coi],
        "recipient": _ids(session, col(Recipient.subject_code), col(Recipient.id) == therapy.recipient_id),
        "collection": _ids(session, col(Collection.din), col(Collection.therapy_id) == therapy.id),
    }
    for lot in session.execute(select(Lot).where(col(Lot.therapy_id) == therapy.id)).scalars():
        for entity_type, ids in lot_subjects(session=session, lot=lot).items():
            found[entity_type] = sorted({*found.get(entity_type, []), *ids})
    return found


def condition(subjects: Subjects) -> ColumnElement[bool]:
    """The WHERE condition for the entries about these records (one index range per entity type)."""
    terms = [(col(AuditEntry.entity_type) == entity_type) & col(AuditEntry.entity_id).in_(list(ids))
             for entity_type, ids in subjects.items() if ids]
    return or_(*terms) if terms else false()
