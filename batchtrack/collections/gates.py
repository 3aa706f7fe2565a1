"""Pure gates of the front half of the chain: may this subject be collected, may this bag be accepted.

Each returns every reason it refuses; an empty list means allowed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from batchtrack.errors import Reason
from batchtrack.i18n.text import Text, _
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
        reasons.append(Reason("subject.consent_withdrawn", _(
            "subject {subject} withdrew consent: no collection may be taken", subject=standing.subject_code)))
    if standing.eligible is None:
        reasons.append(Reason("subject.not_assessed", _("subject {subject} has no signed eligibility",
                                                        subject=standing.subject_code)))
    elif not standing.eligible:
        reasons.append(Reason("subject.not_eligible", _(
            "subject {subject} is not eligible (see the signed assessment)", subject=standing.subject_code)))
    if standing.pen_strep_allergies:
        reasons.append(Reason("subject.pen_strep_hypersensitivity", _(
            "subject {subject} is hypersensitive to {allergies}; penicillin and streptomycin are used in "
            "manufacture", subject=standing.subject_code, allergies=", ".join(standing.pen_strep_allergies))))
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
                              _("the bag has no label applied and verified by scan; print, apply and scan it first")))
    if labels.outstanding:
        reasons.append(Reason("collection.labels_outstanding", _(
            "{count} printed label(s) not yet applied, voided or destroyed", count=labels.outstanding)))
    return reasons


CHECKLIST: dict[str, Text] = {
    "bag_intact": _("the bag is intact, with no leak"),
    "seal_intact": _("the transport container's seal is intact"),
    "label_legible": _("the label is legible and firmly attached"),
    "no_clots": _("no visible clots or haemolysis"),
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
        reasons.append(Reason("receipt.no_collection_time", _("the collection time is not recorded")))
    elif facts.hours_since_collection > facts.max_hours:
        reasons.append(Reason("receipt.too_late", _(
            "{hours} h since collection; the protocol allows {most} h",
            hours=f"{facts.hours_since_collection:.1f}", most=f"{facts.max_hours:g}")))
    elif facts.hours_since_collection < 0:
        reasons.append(Reason("receipt.time_inconsistent", _("the bag is received before its recorded collection")))
    if not facts.min_temperature_c <= facts.temperature_c <= facts.max_temperature_c:
        reasons.append(Reason("receipt.temperature", _(
            "transport temperature {temperature} °C is outside {low}-{high} °C",
            temperature=f"{facts.temperature_c:g}", low=f"{facts.min_temperature_c:g}",
            high=f"{facts.max_temperature_c:g}")))
    for item, text in CHECKLIST.items():
        if not facts.checklist.get(item, False):
            reasons.append(Reason(f"receipt.inspection.{item}", _("inspection failed or not done: {item}", item=text)))
    return reasons
