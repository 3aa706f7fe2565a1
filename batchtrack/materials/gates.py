"""Whether a material lot may be used at a step now (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from batchtrack.errors import Reason
from batchtrack.i18n.text import _

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
        needed = ", ".join(kinds_needed) or _("no material")
        reasons.append(Reason("material.not_for_step", _("material {code} is {kind}; this step uses: {needed}",
                                                         code=material.code, kind=material.kind, needed=needed)))
    if material.status != RELEASED:
        reasons.append(Reason("material.not_released",
                              _("material {code} is {status}, not released by QA", code=material.code,
                                status=material.status)))
    if now >= material.expires_at:
        reasons.append(_expired(material))
    return reasons


def _expired(material: MaterialFacts) -> Reason:
    return Reason("material.expired", _("material {code} expired at {time}", code=material.code,
                                        time=material.expires_at.isoformat()))


def release_refusals(material: MaterialFacts, *, now: datetime) -> list[Reason]:
    """QA releases a lot held in quarantine that has not expired; a rejected lot is never released."""
    reasons: list[Reason] = []
    if material.status == REJECTED:
        reasons.append(Reason("material.rejected",
                              _("material {code} was rejected; a rejected lot is never released",
                                code=material.code)))
    elif material.status != QUARANTINE:
        reasons.append(Reason("material.not_in_quarantine",
                              _("material {code} is {status}; only a lot in quarantine is released",
                                code=material.code, status=material.status)))
    if now >= material.expires_at:
        reasons.append(_expired(material))
    return reasons


def reject_refusals(material: MaterialFacts) -> list[Reason]:
    """QA rejects a lot in quarantine, or a released one (which stops its further use); not one already rejected."""
    if material.status == REJECTED:
        return [Reason("material.already_rejected", _("material {code} is already rejected", code=material.code))]
    return []
