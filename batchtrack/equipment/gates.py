"""Whether an instrument may be used at a step now (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from batchtrack.errors import Reason


@dataclass(frozen=True, slots=True)
class EquipmentFacts:
    """An instrument as recorded."""

    code: str
    kind: str
    active: bool
    calibration_due: datetime


def use_refusals(equipment: EquipmentFacts, *, kinds_needed: tuple[str, ...], now: datetime) -> list[Reason]:
    """An instrument is used only if the step calls for its kind, it is in service, and calibration is not due."""
    reasons: list[Reason] = []
    if equipment.kind not in kinds_needed:
        needed = ", ".join(kinds_needed) or "no instrument"
        reasons.append(Reason("equipment.not_for_step",
                              f"instrument {equipment.code} is a {equipment.kind}; this step uses: {needed}"))
    if not equipment.active:
        reasons.append(Reason("equipment.retired", f"instrument {equipment.code} is out of service"))
    if now >= equipment.calibration_due:
        reasons.append(Reason("equipment.calibration_overdue",
                              f"instrument {equipment.code} was due for calibration at "
                              f"{equipment.calibration_due.isoformat()}"))
    return reasons
