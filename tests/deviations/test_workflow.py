"""The deviation rules, as pure functions: who opens, who closes, and which lots an open deviation holds."""

from __future__ import annotations

from batchtrack.deviations import workflow
from batchtrack.deviations.workflow import CloseFacts, OpenFacts
from batchtrack.errors import Reason
from batchtrack.lots.workflow import FINAL_STATES, LotState
from batchtrack.models.deviation import DeviationOrigin, DeviationState
from batchtrack.models.user import Role


def codes(reasons: list[Reason]) -> list[str]:
    return [r.code for r in reasons]


def opening(*roles: Role, origin: DeviationOrigin = DeviationOrigin.MANUAL, description: str = "CO2 high",
            actor_id: int | None = 7, step_of_lot: bool = True) -> OpenFacts:
    return OpenFacts(actor_roles=frozenset(roles), actor_id=actor_id, origin=origin, description=description,
                     step_of_lot=step_of_lot)


def closing(*roles: Role, state: DeviationState = DeviationState.OPEN, closure: str = "root cause found") -> CloseFacts:
    return CloseFacts(actor_roles=frozenset(roles), state=state, closure=closure)


def test_everyone_who_works_on_a_lot_or_at_the_bedside_may_open_a_deviation() -> None:
    for role in (Role.OPERATOR, Role.QC_ANALYST, Role.QA, Role.INVESTIGATOR, Role.NURSE, Role.MEDICAL_DIRECTOR):
        assert workflow.guard_open(opening(role)) == [], role


def test_roles_outside_the_lot_cannot_open_a_deviation_by_hand() -> None:
    for role in (Role.ADMIN, Role.COURIER, Role.COLLECTOR):
        reasons = workflow.guard_open(opening(role))
        assert codes(reasons) == ["actor.role"], role
        assert "operator" in reasons[0].message and "qa" in reasons[0].message


def test_an_out_of_limit_value_opens_a_deviation_whoever_entered_it() -> None:
    assert workflow.guard_open(opening(Role.COURIER, origin=DeviationOrigin.OUT_OF_LIMIT)) == []


def test_opening_refused_with_every_reason_at_once() -> None:
    reasons = workflow.guard_open(opening(Role.ADMIN, description="  \n ", step_of_lot=False))
    assert codes(reasons) == ["actor.role", "deviation.description_required", "deviation.step_not_of_lot"]


def test_a_deviation_is_opened_by_a_signed_in_person() -> None:
    reasons = workflow.guard_open(opening(origin=DeviationOrigin.OUT_OF_LIMIT, actor_id=None))
    assert codes(reasons) == ["deviation.opener_unknown"]


def test_only_qa_closes_a_deviation() -> None:
    assert workflow.guard_close(closing(Role.QA)) == []
    for role in set(Role) - {Role.QA}:
        assert codes(workflow.guard_close(closing(role))) == ["actor.role"], role


def test_closure_needs_a_text_and_an_open_deviation() -> None:
    assert codes(workflow.guard_close(closing(Role.QA, closure="   "))) == ["deviation.closure_required"]
    assert codes(workflow.guard_close(closing(Role.QA, state=DeviationState.CLOSED))) == ["deviation.closed"]


def test_an_open_deviation_holds_a_moving_lot_but_not_a_final_or_held_one() -> None:
    for state in (LotState.IN_PROCESS, LotState.IN_QC, LotState.RELEASED, LotState.SHIPPED, LotState.AT_CLINIC):
        assert workflow.holds_lot(state), state
    for state in (*FINAL_STATES, LotState.ON_HOLD):
        assert not workflow.holds_lot(state), state


def test_every_guard_says_when_it_allows() -> None:
    for guard in (workflow.guard_open, workflow.guard_close, workflow.holds_lot):
        assert guard.__doc__
