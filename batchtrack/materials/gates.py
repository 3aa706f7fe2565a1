"""Whether a material lot may be used at a step now (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from batchtrack.errors import Reason

# Spelled as in models.material.MaterialStatus (the tests check), so that this rule imports no table.
QUARANTINE = "quarantine"
RELEASED = "released"
REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class MaterialFacts:
    """A material lot as recorded."""

    code: str
    kind: str
    status: str
    expires_at: datetime


def use_refusals(material: MaterialFacts, *, kinds_needed: tuple[str, ...], now: datetime) -> list[Reason]:
    """A material is used only if the step calls for its kind, QA released it, and it has not expired."""
    reasons: list[Reason] = []
    if material.kind not in kinds_needed:
        needed = ", ".join(kinds_needed) or "no material"
        reasons.append(Reason("material.not_for_step",
                              f"material {material.code} is {material.kind}; this step uses: {needed}"))
    if material.status != RELEASED:
        reasons.append(Reason("material.not_released",
                              f"material {material.code} is {material.status}, not released by QA"))
    if now >= material.expires_at:
        reasons.append(Reason("material.expired",
                              f"material {material.code} expired at {material.expires_at.isoformat()}"))
    return reasons


def release_refusals(material: MaterialFacts, *, now: datetime) -> list[Reason]:
    """QA releases a lot held in quarantine that has not expired; a rejected lot is never released."""
    reasons: list[Reason] = []
    if material.status == REJECTED:
        reasons.append(Reason("material.rejected",
                              f"material {material.code} was rejected; a rejected lot is never released"))
    elif material.status != QUARANTINE:
        reasons.append(Reason("material.not_in_quarantine",
                              f"material {material.code} is {material.status}; only a lot in quarantine is released"))
    if now >= material.expires_at:
        reasons.append(Reason("material.expired",
                              f"material {material.code} expired at {material.expires_at.isoformat()}"))
    return reasons


def reject_refusals(material: MaterialFacts) -> list[Reason]:
    """QA rejects a lot in quarantine, or a released one (which stops its further use); not one already rejected."""
    if material.status == REJECTED:
        return [Reason("material.already_rejected", f"material {material.code} is already rejected")]
    return []
