"""Whether a material lot may be used at a step now (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from batchtrack.errors import Reason

# Spelled as in models.material.MaterialStatus (the tests check), so that this rule imports no table.
RELEASED = "released"


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
