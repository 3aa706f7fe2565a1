"""Whether an instrument may be used at a step now (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from batchtrack.errors import Reason
from batchtrack.i18n.text import _


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
        needed = ", ".join(kinds_needed) or _("no instrument")
        reasons.append(Reason("equipment.not_for_step",
                              _("instrument {code} is a {kind}; this step uses: {needed}", code=equipment.code,
                                kind=equipment.kind, needed=needed)))
    if not equipment.active:
        reasons.append(_out_of_service(equipment))
    if now >= equipment.calibration_due:
        reasons.append(Reason("equipment.calibration_overdue",
                              _("instrument {code} was due for calibration at {time}", code=equipment.code,
                                time=equipment.calibration_due.isoformat())))
    return reasons


def _out_of_service(equipment: EquipmentFacts) -> Reason:
    return Reason("equipment.retired", _("instrument {code} is out of service", code=equipment.code))


def calibration_overdue(equipment: EquipmentFacts, *, now: datetime) -> bool:
    """True once the calibration due time is reached: from then on the instrument is not used."""
    return now >= equipment.calibration_due


def calibration_refusals(equipment: EquipmentFacts, *, due: datetime, now: datetime) -> list[Reason]:
    """A calibration is recorded for an instrument in service, and sets a next due time in the future."""
    reasons: list[Reason] = []
    if not equipment.active:
        reasons.append(_out_of_service(equipment))
    if due <= now:
        reasons.append(Reason("calibration.due_not_future",
                              _("the next calibration due time {time} is not in the future", time=due.isoformat())))
    return reasons


def retire_refusals(equipment: EquipmentFacts) -> list[Reason]:
    """An instrument in service can be taken out of service; once out, it stays out."""
    if not equipment.active:
        return [Reason("equipment.retired", _("instrument {code} is already out of service", code=equipment.code))]
    return []
