"""The deviation rules (DESIGN.md sections 3 and 4): who opens one, who closes it, and what it does to the lot.

Each guard takes plain facts and returns every reason it refuses (empty: allowed); it does no I/O. The service
gathers the facts, and the API and the pages both go through the service.
"""

from __future__ import annotations

from dataclasses import dataclass

from batchtrack.errors import Reason
from batchtrack.i18n.text import _
from batchtrack.lots.workflow import FINAL_STATES, LotState
from batchtrack.models.deviation import DeviationOrigin, DeviationState
from batchtrack.models.user import Role

# Everyone who works on a lot or at the bedside may report what went wrong; only QA closes.
OPENERS = frozenset({Role.OPERATOR, Role.QC_ANALYST, Role.QA, Role.INVESTIGATOR, Role.NURSE,
                     Role.MEDICAL_DIRECTOR})
CLOSERS = frozenset({Role.QA})


@dataclass(frozen=True, slots=True)
class OpenFacts:
    """What the opening guard needs to know: who opens it, why, and with what description."""

    actor_roles: frozenset[Role]
    actor_id: int | None
    origin: DeviationOrigin
    description: str
    step_of_lot: bool = True


@dataclass(frozen=True, slots=True)
class CloseFacts:
    """What the closing guard needs to know: who closes it, the deviation's state and the closure text."""

    actor_roles: frozenset[Role]
    state: DeviationState
    closure: str


def _roles(roles: frozenset[Role]) -> str:
    return ", ".join(sorted(r.value for r in roles))


def guard_open(facts: OpenFacts) -> list[Reason]:
    """Open: a signed-in person describes it; by hand only in a role that works on lots or at the bedside.

    A deviation raised by an out-of-limit value is never refused for the role of whoever entered the value:
    the rule found it, and losing it would be worse than recording it.
    """
    reasons = []
    if facts.actor_id is None:
        reasons.append(Reason("deviation.opener_unknown", _("a deviation is opened by a signed-in person")))
    elif facts.origin == DeviationOrigin.MANUAL and not facts.actor_roles & OPENERS:
        reasons.append(Reason("actor.role", _("to open a deviation you need one of the roles: {roles}",
                                                roles=_roles(OPENERS))))
    if not facts.description.strip():
        reasons.append(Reason("deviation.description_required", _("describe what deviated")))
    if not facts.step_of_lot:
        reasons.append(Reason("deviation.step_not_of_lot", _("the step named is not a step of this lot")))
    return reasons


def guard_close(facts: CloseFacts) -> list[Reason]:
    """Close: QA only, an open deviation, with a closure text (investigation, root cause, actions)."""
    reasons = []
    if not facts.actor_roles & CLOSERS:
        reasons.append(Reason("actor.role", _("to close a deviation you need one of the roles: {roles}",
                                                roles=_roles(CLOSERS))))
    if facts.state != DeviationState.OPEN:
        reasons.append(Reason("deviation.closed", _("the deviation is already closed")))
    if not facts.closure.strip():
        reasons.append(Reason("deviation.closure_required",
                              _("say how the deviation was investigated and resolved before closing it")))
    return reasons


def holds_lot(state: LotState) -> bool:
    """An open deviation puts a lot on hold while it still moves; a final or already held lot stays as it is."""
    return state not in FINAL_STATES and state != LotState.ON_HOLD
