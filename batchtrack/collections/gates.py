"""Pure gates of the front half of the chain: may this subject be collected, may this bag be accepted.

Each returns every reason it refuses; an empty list means allowed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from batchtrack.errors import Reason
from batchtrack.therapies import workflow as therapy_workflow


@dataclass(frozen=True, slots=True)
class SubjectStanding:
    """What collection depends on: an open therapy, a signed eligible assessment, consent still given, no pen/strep
    allergy."""

    subject_code: str
    eligible: bool | None  # None: never assessed
    consent_withdrawn: bool
    therapy_coi: str
    therapy_state: str
    pen_strep_allergies: tuple[str, ...] = ()


def collection_allowed(standing: SubjectStanding) -> list[Reason]:
    """Whether a collection may be scheduled or recorded for this subject's therapy now."""
    reasons = therapy_workflow.collection_refusals(coi=standing.therapy_coi, state=standing.therapy_state)
    if standing.consent_withdrawn:
        reasons.append(Reason("subject.consent_withdrawn",
                              f"subject {standing.subject_code} withdrew consent: no collection may be taken"))
    if standing.eligible is None:
        reasons.append(Reason("subject.not_assessed", f"subject {standing.subject_code} has no signed eligibility"))
    elif not standing.eligible:
        reasons.append(Reason("subject.not_eligible",
                              f"subject {standing.subject_code} is not eligible (see the signed assessment)"))
    if standing.pen_strep_allergies:
        reasons.append(Reason(
            "subject.pen_strep_hypersensitivity",
            f"subject {standing.subject_code} is hypersensitive to {', '.join(standing.pen_strep_allergies)}; "
            "penicillin and streptomycin are used in manufacture",
        ))
    return reasons


@dataclass(frozen=True, slots=True)
class BagLabels:
    """The aspirate bag's labels: how many are applied and verified by scan, how many are still outstanding."""

    verified: int
    outstanding: int


def labels_ready_to_leave(labels: BagLabels) -> list[Reason]:
    """A bag leaves the collection site only with its labels applied and each verified by a scan."""
    reasons: list[Reason] = []
    if labels.verified == 0:
        reasons.append(Reason("collection.labels_unverified",
                              "the bag has no label applied and verified by scan; print, apply and scan it first"))
    if labels.outstanding:
        reasons.append(Reason("collection.labels_outstanding",
                              f"{labels.outstanding} printed label(s) not yet applied, voided or destroyed"))
    return reasons


CHECKLIST = {
    "bag_intact": "the bag is intact, with no leak",
    "seal_intact": "the transport container's seal is intact",
    "label_legible": "the label is legible and firmly attached",
    "no_clots": "no visible clots or haemolysis",
}


@dataclass(frozen=True, slots=True)
class ReceiptFacts:
    """What is measured and seen when the bag arrives at the lab, with the protocol's limits."""

    hours_since_collection: float | None
    temperature_c: float
    max_hours: float
    min_temperature_c: float
    max_temperature_c: float
    checklist: dict[str, bool] = field(default_factory=dict)


def acceptance_refusals(facts: ReceiptFacts) -> list[Reason]:
    """Why the bag may not be accepted (it may still be quarantined or rejected, with a reason)."""
    reasons: list[Reason] = []
    if facts.hours_since_collection is None:
        reasons.append(Reason("receipt.no_collection_time", "the collection time is not recorded"))
    elif facts.hours_since_collection > facts.max_hours:
        reasons.append(Reason(
            "receipt.too_late",
            f"{facts.hours_since_collection:.1f} h since collection; the protocol allows {facts.max_hours:g} h",
        ))
    elif facts.hours_since_collection < 0:
        reasons.append(Reason("receipt.time_inconsistent", "the bag is received before its recorded collection"))
    if not facts.min_temperature_c <= facts.temperature_c <= facts.max_temperature_c:
        reasons.append(Reason(
            "receipt.temperature",
            f"transport temperature {facts.temperature_c:g} °C is outside "
            f"{facts.min_temperature_c:g}-{facts.max_temperature_c:g} °C",
        ))
    for item, text in CHECKLIST.items():
        if not facts.checklist.get(item, False):
            reasons.append(Reason(f"receipt.inspection.{item}", f"inspection failed or not done: {text}"))
    return reasons
