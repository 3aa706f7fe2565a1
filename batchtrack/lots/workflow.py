"""The lot lifecycle (DESIGN.md section 3): states, transitions, and one pure guard per transition.

A guard takes the facts about the lot and the actor and returns every reason the transition is refused;
an empty list means it is allowed. Guards do no I/O: the service gathers the facts, and the API and the
pages both go through the service.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum

from batchtrack.errors import Reason
from batchtrack.i18n.text import Text, _
from batchtrack.lots import state_names
from batchtrack.models.user import Role


class LotState(StrEnum):
    """Where a lot is in its life."""

    IN_PROCESS = "in_process"
    HARVESTED = "harvested"
    FORMULATED = "formulated"
    IN_QC = "in_qc"
    RELEASED = "released"
    RELEASED_PENDING_STERILITY = "released_pending_sterility"
    REJECTED = "rejected"
    SHIPPED = "shipped"
    AT_CLINIC = "at_clinic"
    INFUSED = "infused"
    EXPIRED = "expired"
    DESTROYED = "destroyed"
    ON_HOLD = "on_hold"


FINAL_STATES = frozenset({LotState.INFUSED, LotState.EXPIRED, LotState.DESTROYED, LotState.REJECTED})
RELEASED_STATES = frozenset({LotState.RELEASED, LotState.RELEASED_PENDING_STERILITY})


@dataclass(frozen=True, slots=True)
class LotFacts:
    """What the guards need to know about a lot at the moment of a transition."""

    state: LotState
    now: datetime
    actor_roles: frozenset[Role]
    actor_id: int | None
    expires_at: datetime | None = None
    state_before_hold: LotState | None = None
    open_deviations: int = 0
    performers: frozenset[int] = field(default_factory=frozenset)
    containers_in_use: int = 0
    effective_specification: bool = False  # a QA-approved specification exists to test the lot against
    signed_decision: bool = False  # the move comes from QA's signed decision (batchtrack.release, lots.holds)
    reason: str = ""  # the reason given with the move


Guard = Callable[[LotFacts], list[Reason]]


@dataclass(frozen=True, slots=True)
class Transition:
    """A named move from one of `sources` to `target`, allowed to `roles`, checked by `guard`."""

    name: str
    sources: frozenset[LotState]
    target: LotState | None  # None: the target depends on the facts (lifting a hold)
    roles: frozenset[Role]
    guard: Guard
    label: Text
    action: Text | None = None

    @property
    def button(self) -> Text:
        """What a person presses to apply it."""
        return self.action or _("Mark {state}", state=self.label)


def _state_is(facts: LotFacts, sources: frozenset[LotState], name: Text) -> list[Reason]:
    if facts.state in sources:
        return []
    if facts.state == LotState.ON_HOLD:
        return [Reason("lot.on_hold", _("the lot is on hold; QA must lift the hold before it can be {name}",
                                        name=name))]
    allowed = state_names.joined([state_names.lot_state(s) for s in sorted(sources, key=_english)])
    return [Reason("lot.wrong_state", _("the lot is {state}; it can be {name} only from: {allowed}",
                                        state=state_names.lot_state(facts.state), name=name, allowed=allowed))]


def _english(state: LotState) -> str:
    return str(state_names.lot_state(state))


def _role_in(facts: LotFacts, roles: frozenset[Role], name: Text) -> list[Reason]:
    if facts.actor_roles & roles:
        return []
    needed = ", ".join(sorted(r.value for r in roles))
    return [Reason("actor.role", _("to mark a lot {name} you need one of the roles: {roles}", name=name,
                                   roles=needed))]


def _not_expired(facts: LotFacts) -> list[Reason]:
    if facts.expires_at is not None and facts.now >= facts.expires_at:
        return [Reason("lot.expired", _("the lot expired at {time}", time=facts.expires_at.isoformat()))]
    return []


def _no_open_deviation(facts: LotFacts) -> list[Reason]:
    if facts.open_deviations:
        return [Reason("lot.open_deviation", _("{count} deviation(s) still open on the lot",
                                               count=facts.open_deviations))]
    return []


def _basic(facts: LotFacts, transition: Transition) -> list[Reason]:
    return _state_is(facts, transition.sources, transition.label) + _role_in(facts, transition.roles, transition.label)


def guard_harvest(facts: LotFacts) -> list[Reason]:
    """Harvest: allowed from in process, to an operator, while the lot is not expired."""
    return _basic(facts, HARVEST) + _not_expired(facts)


def guard_formulate(facts: LotFacts) -> list[Reason]:
    """Formulate into final containers: allowed from harvested, to an operator, while not expired."""
    return _basic(facts, FORMULATE) + _not_expired(facts)


def _signed(facts: LotFacts, name: Text) -> list[Reason]:
    if facts.signed_decision:
        return []
    return [Reason("lot.signed_decision", _("a lot is {name} only by QA's signed decision on its release page, "
                                            "after the release gate's checks", name=name))]


def guard_submit_to_qc(facts: LotFacts) -> list[Reason]:
    """Submit to QC: allowed from formulated, to an operator or QC analyst, once a specification is effective."""
    reasons = _basic(facts, SUBMIT_TO_QC)
    if not facts.effective_specification:
        reasons.append(Reason("lot.no_specification",
                              _("no release specification is effective: QA must approve one before lots go to QC")))
    return reasons


def guard_release(facts: LotFacts) -> list[Reason]:
    """Release: from in QC, by QA who performed no step of the lot, no open deviation, not expired, and only as
    a signed decision that passed the release gate (batchtrack.release.gate)."""
    reasons = (_basic(facts, RELEASE) + _no_open_deviation(facts) + _not_expired(facts)
               + _signed(facts, RELEASE.label))
    if facts.actor_id is not None and facts.actor_id in facts.performers:
        reasons.append(_four_eyes())
    return reasons


def guard_release_pending_sterility(facts: LotFacts) -> list[Reason]:
    """Release pending sterility: as a release, signed; the release gate adds its own conditions."""
    reasons = (_basic(facts, RELEASE_PENDING_STERILITY) + _no_open_deviation(facts) + _not_expired(facts)
               + _signed(facts, RELEASE_PENDING_STERILITY.label))
    if facts.actor_id is not None and facts.actor_id in facts.performers:
        reasons.append(_four_eyes())
    return reasons


def _four_eyes() -> Reason:
    return Reason("release.four_eyes", _("the releasing QA person performed a step of this lot"))


def guard_reject(facts: LotFacts) -> list[Reason]:
    """Reject: QA may reject a lot that is in QC, as a signed decision."""
    return _basic(facts, REJECT) + _signed(facts, REJECT.label)


def guard_ship(facts: LotFacts) -> list[Reason]:
    """Ship to the clinic: only a released lot (or one released pending sterility), not expired."""
    return _basic(facts, SHIP) + _not_expired(facts)


def guard_receive_at_clinic(facts: LotFacts) -> list[Reason]:
    """Receive at the clinic: a shipped lot, by a clinician or courier."""
    return _basic(facts, RECEIVE_AT_CLINIC)


def guard_infuse(facts: LotFacts) -> list[Reason]:
    """Mark infused: a lot at the clinic, by a clinician, not expired."""
    return _basic(facts, INFUSE) + _not_expired(facts)


def guard_expire(facts: LotFacts) -> list[Reason]:
    """Expire: a lot not yet infused whose expiry time has passed."""
    reasons = _basic(facts, EXPIRE)
    if facts.expires_at is None or facts.now < facts.expires_at:
        reasons.append(Reason("lot.not_expired", _("the lot has not reached its expiry time")))
    return reasons


def guard_destroy(facts: LotFacts) -> list[Reason]:
    """Destroy: QA may destroy any lot not infused or already destroyed."""
    return _basic(facts, DESTROY)


def guard_hold(facts: LotFacts) -> list[Reason]:
    """Put on hold: any lot still moving through the chain."""
    return _basic(facts, HOLD)


def guard_lift_hold(facts: LotFacts) -> list[Reason]:
    """Lift a hold: QA only, as a signed decision with a reason, with no deviation left open, back to the state
    before the hold. Closing a deviation never lifts it: QA decides that the lot may go on (batchtrack.lots.holds)."""
    reasons = _basic(facts, LIFT_HOLD) + _no_open_deviation(facts)
    if facts.state == LotState.ON_HOLD and facts.state_before_hold is None:
        reasons.append(Reason("lot.hold_origin_unknown", _("the state before the hold is not recorded")))
    if not facts.signed_decision:
        reasons.append(Reason("lot.signed_decision",
                              _("QA lifts a hold only by a signed decision with a reason: the form on the lot's "
                                "page or its deviation's page (API: POST {path})",
                                path="/api/v1/lots/{din}/hold/lift")))
    elif not facts.reason.strip():
        reasons.append(Reason("reason.required", _("say why the lot may go on: lifting a hold needs a reason")))
    return reasons


def may_offer_lift_hold(facts: LotFacts) -> bool:
    """Whether to offer QA the signed form that lifts the hold: all holds but the signature and reason it asks."""
    return not guard_lift_hold(replace(facts, signed_decision=True, reason="given with the signature"))


_OPERATOR = frozenset({Role.OPERATOR})
_QA = frozenset({Role.QA})
_CLINIC = frozenset({Role.INVESTIGATOR, Role.NURSE})
_MOVING = frozenset(LotState) - FINAL_STATES - {LotState.ON_HOLD}

HARVEST = Transition("harvest", frozenset({LotState.IN_PROCESS}), LotState.HARVESTED, _OPERATOR,
                     guard_harvest, _("harvested"))
FORMULATE = Transition("formulate", frozenset({LotState.HARVESTED}), LotState.FORMULATED, _OPERATOR,
                       guard_formulate, _("formulated"))
SUBMIT_TO_QC = Transition("submit_to_qc", frozenset({LotState.FORMULATED}), LotState.IN_QC,
                          frozenset({Role.OPERATOR, Role.QC_ANALYST}), guard_submit_to_qc, _("in QC"),
                          _("Submit to QC"))
RELEASE = Transition("release", frozenset({LotState.IN_QC}), LotState.RELEASED, _QA, guard_release, _("released"),
                     _("Release"))
RELEASE_PENDING_STERILITY = Transition(
    "release_pending_sterility", frozenset({LotState.IN_QC}), LotState.RELEASED_PENDING_STERILITY, _QA,
    guard_release_pending_sterility, _("released pending sterility"), _("Release pending sterility"))
REJECT = Transition("reject", frozenset({LotState.IN_QC}), LotState.REJECTED, _QA, guard_reject, _("rejected"),
                    _("Reject"))
SHIP = Transition("ship", RELEASED_STATES, LotState.SHIPPED, frozenset({Role.OPERATOR, Role.COURIER}),
                  guard_ship, _("shipped"), _("Ship"))
RECEIVE_AT_CLINIC = Transition("receive_at_clinic", frozenset({LotState.SHIPPED}), LotState.AT_CLINIC,
                               _CLINIC | {Role.COURIER}, guard_receive_at_clinic, _("received at the clinic"),
                               _("Receive at the clinic"))
INFUSE = Transition("infuse", frozenset({LotState.AT_CLINIC}), LotState.INFUSED, _CLINIC, guard_infuse,
                    _("infused"))
EXPIRE = Transition("expire", _MOVING | {LotState.ON_HOLD}, LotState.EXPIRED, _QA, guard_expire, _("expired"))
DESTROY = Transition("destroy", _MOVING | {LotState.ON_HOLD, LotState.REJECTED, LotState.EXPIRED},
                     LotState.DESTROYED, _QA, guard_destroy, _("destroyed"), _("Destroy"))
HOLD = Transition("hold", _MOVING, LotState.ON_HOLD, _QA | _OPERATOR | {Role.QC_ANALYST}, guard_hold,
                  _("put on hold"), _("Put on hold"))
LIFT_HOLD = Transition("lift_hold", frozenset({LotState.ON_HOLD}), None, _QA, guard_lift_hold,
                       _("released from hold"), _("Lift the hold"))

TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in (HARVEST, FORMULATE, SUBMIT_TO_QC, RELEASE, RELEASE_PENDING_STERILITY, REJECT, SHIP,
              RECEIVE_AT_CLINIC, INFUSE, EXPIRE, DESTROY, HOLD, LIFT_HOLD)
}


def target_state(transition: Transition, facts: LotFacts) -> LotState:
    """The state the lot moves to (for lifting a hold: the state it was in before)."""
    if transition.target is not None:
        return transition.target
    assert facts.state_before_hold is not None
    return facts.state_before_hold


def available(facts: LotFacts) -> list[Transition]:
    """The transitions whose guards allow them now, for offering on a page."""
    return [t for t in TRANSITIONS.values() if not t.guard(facts)]
