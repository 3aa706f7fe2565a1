"""Refusals of the lot lifecycle read in Korean for a Korean reader, in English for the audit trail and the API's
default, with the same codes; a transition offered on a page keeps its English in the body and its Korean for the
page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from batchtrack.i18n import catalogs
from batchtrack.lots import schemas, state_names, workflow
from batchtrack.lots.workflow import LotFacts, LotState
from batchtrack.models.user import Role

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
KOREAN = catalogs.translations("ko")


def facts(state: LotState, *roles: Role, **extra: object) -> LotFacts:
    return LotFacts(state=state, now=NOW, actor_roles=frozenset(roles), actor_id=7, **extra)  # type: ignore[arg-type]


def test_a_refused_harvest_says_why_in_korean_naming_the_states_in_korean() -> None:
    reasons = workflow.guard_harvest(facts(LotState.IN_QC, Role.QA, expires_at=NOW - timedelta(minutes=1)))

    assert [r.code for r in reasons] == ["lot.wrong_state", "actor.role", "lot.expired"]
    assert reasons[0].message == "the lot is in qc; it can be harvested only from: in process"
    assert reasons[0].text.shown_in(KOREAN) == (
        "로트가 'QC 진행 중' 상태입니다. '수확 완료' 상태로는 다음 상태에서만 바꿀 수 있습니다: 제조 중")
    assert reasons[1].text.shown_in(KOREAN) == (
        "로트를 '수확 완료'(으)로 표시하려면 다음 역할 중 하나가 필요합니다: operator")
    assert reasons[2].as_dict(KOREAN) == {
        "code": "lot.expired", "message": "로트의 유효기한이 2026-12-07T11:59:00+00:00에 지났습니다"}


def test_a_lot_on_hold_says_in_korean_that_qa_must_lift_the_hold() -> None:
    (reason,) = workflow.guard_formulate(facts(LotState.ON_HOLD, Role.OPERATOR))

    assert reason.message == "the lot is on hold; QA must lift the hold before it can be formulated"
    assert reason.text.shown_in(KOREAN) == (
        "로트가 보류 중입니다. '제형화 완료' 상태로 바꾸려면 먼저 QA가 보류를 해제해야 합니다")


def test_a_transition_offered_keeps_its_english_in_the_body_and_its_korean_for_the_page() -> None:
    move = workflow.HARVEST
    reasons = move.guard(facts(LotState.IN_QC, Role.OPERATOR))

    option = schemas.TransitionOption.of(name=move.name, label=move.label, button=move.button, reasons=reasons)

    assert option.model_dump() == {
        "name": "harvest", "label": "harvested", "button": "Mark harvested", "allowed": False,
        "reasons": [{"code": "lot.wrong_state",
                     "message": "the lot is in qc; it can be harvested only from: in process"}],
    }
    assert option.label_text.shown_in(KOREAN) == "수확 완료"
    assert option.button_text.shown_in(KOREAN) == "'수확 완료'(으)로 표시"
    assert option.reasons[0].text.shown_in(KOREAN).startswith("로트가 'QC 진행 중' 상태입니다")


def test_every_lot_state_has_a_name_for_people_and_an_unknown_code_is_shown_as_it_is() -> None:
    assert {state.value for state in LotState} == set(state_names.LOT_STATES)
    assert all(str(state_names.lot_state(s.value)) == s.value.replace("_", " ") for s in LotState)
    assert state_names.lot_state("in_{limbo}").shown_in(KOREAN) == "in {limbo}"
    assert state_names.step_state(None).shown_in(KOREAN) == "시작 전"
