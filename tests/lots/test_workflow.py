"""The lot lifecycle guards, as pure functions: each returns every reason it refuses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from batchtrack.lots import workflow
from batchtrack.lots.workflow import LotFacts, LotState
from batchtrack.models.user import Role

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def facts(state: LotState, *roles: Role, **extra: object) -> LotFacts:
    return LotFacts(state=state, now=NOW, actor_roles=frozenset(roles), actor_id=7, **extra)  # type: ignore[arg-type]


def codes(reasons: list[workflow.Reason]) -> list[str]:
    return [r.code for r in reasons]


def test_harvest_allowed_for_operator_on_a_lot_in_process() -> None:
    assert workflow.guard_harvest(facts(LotState.IN_PROCESS, Role.OPERATOR)) == []


def test_harvest_refused_with_every_reason_at_once() -> None:
    reasons = workflow.guard_harvest(facts(LotState.IN_QC, Role.QA, expires_at=NOW - timedelta(minutes=1)))
    assert codes(reasons) == ["lot.wrong_state", "actor.role", "lot.expired"]
    assert "in qc" in reasons[0].message and "in process" in reasons[0].message


def test_a_lot_on_hold_says_so_rather_than_wrong_state() -> None:
    reasons = workflow.guard_formulate(facts(LotState.ON_HOLD, Role.OPERATOR))
    assert codes(reasons) == ["lot.on_hold"]


def test_release_refused_to_a_qa_person_who_performed_a_step() -> None:
    reasons = workflow.guard_release(facts(LotState.IN_QC, Role.QA, performers=frozenset({7}),
                                           signed_decision=True))
    assert codes(reasons) == ["release.four_eyes"]


def test_release_refused_with_an_open_deviation() -> None:
    assert codes(workflow.guard_release(facts(LotState.IN_QC, Role.QA, open_deviations=2,
                                              signed_decision=True))) == ["lot.open_deviation"]


def test_release_and_rejection_happen_only_as_signed_decisions() -> None:
    for guard in (workflow.guard_release, workflow.guard_release_pending_sterility, workflow.guard_reject):
        assert codes(guard(facts(LotState.IN_QC, Role.QA))) == ["lot.signed_decision"]
        assert guard(facts(LotState.IN_QC, Role.QA, signed_decision=True)) == []


def test_submit_to_qc_needs_an_effective_specification() -> None:
    assert codes(workflow.guard_submit_to_qc(facts(LotState.FORMULATED, Role.OPERATOR))) == ["lot.no_specification"]
    assert workflow.guard_submit_to_qc(facts(LotState.FORMULATED, Role.OPERATOR, effective_specification=True)) == []


def test_expiry_is_by_time_not_date() -> None:
    just_before = facts(LotState.RELEASED, Role.OPERATOR, expires_at=NOW + timedelta(minutes=1))
    just_after = facts(LotState.RELEASED, Role.OPERATOR, expires_at=NOW - timedelta(minutes=1))
    assert workflow.guard_ship(just_before) == []
    assert codes(workflow.guard_ship(just_after)) == ["lot.expired"]


def test_lifting_a_hold_returns_to_the_state_before_it() -> None:
    held = facts(LotState.ON_HOLD, Role.QA, state_before_hold=LotState.HARVESTED, signed_decision=True,
                 reason="deviation closed, no impact")
    assert workflow.guard_lift_hold(held) == []
    assert workflow.target_state(workflow.LIFT_HOLD, held) == LotState.HARVESTED


def test_only_qa_lifts_a_hold() -> None:
    held = facts(LotState.ON_HOLD, Role.OPERATOR, state_before_hold=LotState.HARVESTED, signed_decision=True,
                 reason="checked")
    assert codes(workflow.guard_lift_hold(held)) == ["actor.role"]


def test_a_hold_is_lifted_only_by_a_signed_decision_with_a_reason() -> None:
    held = facts(LotState.ON_HOLD, Role.QA, state_before_hold=LotState.HARVESTED)
    assert codes(workflow.guard_lift_hold(held)) == ["lot.signed_decision"]
    unexplained = facts(LotState.ON_HOLD, Role.QA, state_before_hold=LotState.HARVESTED, signed_decision=True,
                        reason="  ")
    assert codes(workflow.guard_lift_hold(unexplained)) == ["reason.required"]
    assert workflow.may_offer_lift_hold(held)  # the form asks for the signature and the reason


def test_a_hold_is_not_lifted_while_a_deviation_is_open() -> None:
    held = facts(LotState.ON_HOLD, Role.QA, state_before_hold=LotState.HARVESTED, open_deviations=1,
                 signed_decision=True, reason="checked")
    assert codes(workflow.guard_lift_hold(held)) == ["lot.open_deviation"]
    assert not workflow.may_offer_lift_hold(held)
    assert not workflow.may_offer_lift_hold(facts(LotState.HARVESTED, Role.QA))
    assert not workflow.may_offer_lift_hold(facts(LotState.ON_HOLD, Role.OPERATOR,
                                                  state_before_hold=LotState.HARVESTED))


def test_final_states_allow_no_further_move_but_destroy_where_meaningful() -> None:
    for state in (LotState.INFUSED, LotState.DESTROYED):
        every = [t.name for t in workflow.available(facts(state, *Role))]
        assert every == []
    assert [t.name for t in workflow.available(facts(LotState.REJECTED, *Role))] == ["destroy"]


def test_every_transition_has_a_guard_with_a_docstring() -> None:
    for transition in workflow.TRANSITIONS.values():
        assert transition.guard.__doc__, transition.name
