"""An open deviation puts the lot on hold; only QA lifts it, and only once every deviation is closed."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.deviations import service as deviation_service
from batchtrack.errors import BadRequest, Forbidden
from batchtrack.lots import service as lot_service
from batchtrack.lots.workflow import LotState
from batchtrack.models.deviation import DeviationOrigin
from batchtrack.models.processing import ProcessStep
from batchtrack.models.user import Role

from builders import UserHandle, make_user, seed_lot
from deviation_builders import DESCRIPTION, IMPACT, entries, lot_state, open_deviation, set_lot_state

ClientFactory = Callable[..., tuple[TestClient, UserHandle]]


def _close(qa: TestClient, signer: UserHandle, number: str) -> None:
    closed = qa.post(f"/api/v1/deviations/{number}/close",
                     json={"closure": "Sensor recalibrated; viability 94 %.", **signer.credentials})
    assert closed.status_code == 200, closed.text


def test_opening_a_deviation_puts_the_lot_on_hold_and_records_why(
    database: Database, settings: Settings, as_role: ClientFactory
) -> None:
    lot = seed_lot(database, settings)
    operator, user = as_role(Role.OPERATOR)
    response = operator.post(f"/api/v1/lots/{lot.din}/deviations",
                             json={"description": DESCRIPTION, "impact": IMPACT})
    assert response.status_code == 201, response.text
    body = response.json()
    number = body["number"]
    assert number.startswith("DEV-") and len(number) == len("DEV-2026-0001")
    assert (body["state"], body["lot_din"], body["lot_state"], body["origin"]) == (
        "open", lot.din, "on_hold", "manual")
    assert body["description"] == DESCRIPTION and body["impact"] == IMPACT
    assert body["opened_by"] == f"Test {user.username.title()}"
    assert lot_state(database, lot.din) == ("on_hold", "in_process")

    opened = entries(database, "deviation", number)
    assert [e.action for e in opened] == ["deviation.opened"]
    assert json.loads(opened[0].new_values)["lot"] == lot.din
    hold = entries(database, "lot", lot.din)[-1]
    assert hold.action == "lot.hold" and number in hold.reason
    assert json.loads(hold.old_values)["state"] == "in_process"
    assert json.loads(hold.new_values) == {"state": "on_hold", "state_before_hold": "in_process"}


def test_deviation_numbers_follow_each_other(database: Database, settings: Settings) -> None:
    lot = seed_lot(database, settings)
    operator = make_user(database, Role.OPERATOR)
    first = open_deviation(database, lot.din, operator)
    second = open_deviation(database, lot.din, operator)
    assert first[:9] == second[:9] and int(second[9:]) == int(first[9:]) + 1


def test_a_second_deviation_leaves_the_held_lot_on_hold_from_where_it_was(
    database: Database, settings: Settings
) -> None:
    lot = seed_lot(database, settings)
    operator = make_user(database, Role.OPERATOR)
    open_deviation(database, lot.din, operator)
    holds = len([e for e in entries(database, "lot", lot.din) if e.action == "lot.hold"])
    open_deviation(database, lot.din, operator, description="Label smudged on the culture flask.")
    assert lot_state(database, lot.din) == ("on_hold", "in_process")
    assert len([e for e in entries(database, "lot", lot.din) if e.action == "lot.hold"]) == holds == 1


def test_a_nurse_opening_a_deviation_still_holds_the_lot(database: Database, settings: Settings) -> None:
    lot = seed_lot(database, settings)
    set_lot_state(database, lot.din, LotState.AT_CLINIC)
    nurse = make_user(database, Role.NURSE)
    open_deviation(database, lot.din, nurse, description="Wristband and bag did not match at the bedside.")
    assert lot_state(database, lot.din) == ("on_hold", "at_clinic")


def test_an_out_of_limit_value_opens_a_deviation_that_holds_the_lot(database: Database, settings: Settings) -> None:
    lot = seed_lot(database, settings)
    analyst = make_user(database, Role.QC_ANALYST)
    number = open_deviation(database, lot.din, analyst, origin=DeviationOrigin.OUT_OF_LIMIT,
                            description="Viability 61 % (limit >= 70 %).")
    assert lot_state(database, lot.din)[0] == "on_hold"
    assert json.loads(entries(database, "deviation", number)[0].new_values)["origin"] == "out_of_limit"


def test_a_role_outside_the_lot_cannot_open_one_and_nothing_changes(
    database: Database, settings: Settings, as_role: ClientFactory
) -> None:
    lot = seed_lot(database, settings)
    courier = make_user(database, Role.COURIER)
    with pytest.raises(Forbidden):
        open_deviation(database, lot.din, courier)
    client, _ = as_role(Role.ADMIN)
    assert client.post(f"/api/v1/lots/{lot.din}/deviations", json={"description": "x"}).status_code == 403
    assert lot_state(database, lot.din) == ("in_process", None)


@pytest.mark.parametrize("state", sorted(s.value for s in (LotState.INFUSED, LotState.EXPIRED, LotState.DESTROYED,
                                                           LotState.REJECTED)))
def test_a_deviation_on_a_lot_in_a_final_state_is_recorded_without_a_hold(
    state: str, database: Database, settings: Settings, as_role: ClientFactory
) -> None:
    lot = seed_lot(database, settings)
    set_lot_state(database, lot.din, state)
    investigator, _ = as_role(Role.INVESTIGATOR)
    response = investigator.post(f"/api/v1/lots/{lot.din}/deviations",
                                 json={"description": "Infusion started 40 minutes late."})
    assert response.status_code == 201, response.text
    assert response.json()["state"] == "open"
    assert lot_state(database, lot.din) == (state, None)
    assert "lot.hold" not in [e.action for e in entries(database, "lot", lot.din)]


def test_release_is_refused_while_a_deviation_is_open(
    database: Database, settings: Settings, as_role: ClientFactory
) -> None:
    lot = seed_lot(database, settings)
    set_lot_state(database, lot.din, LotState.IN_QC)
    qa, _ = as_role(Role.QA)
    open_deviation(database, lot.din, make_user(database, Role.QC_ANALYST), description="Gram stain repeated.")
    assert lot_state(database, lot.din) == ("on_hold", "in_qc")
    held = qa.post(f"/api/v1/lots/{lot.din}/transitions/release", json={"reason": "all results in"})
    assert held.status_code == 409
    assert {r["code"] for r in held.json()["reasons"]} == {"lot.on_hold", "lot.open_deviation",
                                                           "lot.signed_decision"}

    # Even a lot back in QC with the hold gone is not released while the deviation stays open.
    set_lot_state(database, lot.din, LotState.IN_QC)
    refused = qa.post(f"/api/v1/lots/{lot.din}/transitions/release", json={"reason": "all results in"})
    assert refused.status_code == 409
    assert [r["code"] for r in refused.json()["reasons"]] == ["lot.open_deviation", "lot.signed_decision"]
    options = {o["name"]: o for o in qa.get(f"/api/v1/lots/{lot.din}/transitions").json()}
    assert options["release"]["allowed"] is False
    assert lot_state(database, lot.din)[0] == "in_qc"


def test_the_hold_is_lifted_only_by_qa_and_only_after_closure(
    database: Database, settings: Settings, as_role: ClientFactory
) -> None:
    lot = seed_lot(database, settings)
    qa, qa_user = as_role(Role.QA)
    operator, _ = as_role(Role.OPERATOR)
    first = open_deviation(database, lot.din, make_user(database, Role.OPERATOR))
    second = open_deviation(database, lot.din, make_user(database, Role.NURSE), description="Second finding.")

    signed = {"reason": "checked", **qa_user.credentials}
    refused = qa.post(f"/api/v1/lots/{lot.din}/hold/lift", json=signed)
    assert refused.status_code == 409
    assert [r["code"] for r in refused.json()["reasons"]] == ["lot.open_deviation"]
    assert "2 deviation(s)" in refused.json()["reasons"][0]["message"]

    _close(qa, qa_user, first)
    assert lot_state(database, lot.din)[0] == "on_hold"  # closing lifts nothing by itself
    still = qa.post(f"/api/v1/lots/{lot.din}/hold/lift", json=signed)
    assert still.status_code == 409 and "1 deviation(s)" in still.json()["reasons"][0]["message"]

    _close(qa, qa_user, second)
    assert operator.post(f"/api/v1/lots/{lot.din}/transitions/lift_hold", json={}).status_code == 409
    assert operator.post(f"/api/v1/lots/{lot.din}/hold/lift", json=signed).status_code == 403
    lifted = qa.post(f"/api/v1/lots/{lot.din}/hold/lift",
                     json={"reason": f"{first}, {second} closed", **qa_user.credentials})
    assert lifted.status_code == 200, lifted.text
    assert lot_state(database, lot.din) == ("in_process", None)


def test_a_deviation_may_name_a_step_of_its_own_lot_only(database: Database, settings: Settings) -> None:
    mine = seed_lot(database, settings)
    other = seed_lot(database, settings, subject="S-002", mrn="MRN-2")
    operator = make_user(database, Role.OPERATOR)
    assert operator.principal.user_id is not None
    with database.transaction() as session:
        other_lot = lot_service.get_by_din(session=session, din=other.din)
        assert other_lot.id is not None
        step = ProcessStep(lot_id=other_lot.id, process_code="BM-MSC-EXP", process_version=1, step_code="SEED",
                           step_type="seeding", ordinal=1, title="Seeding", station="BSC-1",
                           started_by=operator.principal.user_id)
        session.add(step)
        session.flush()
        step_id = step.id
    with pytest.raises(BadRequest) as refusal, database.transaction() as session:
        deviation_service.open_deviation(session=session, actor=operator.principal, description=DESCRIPTION,
                                         lot=lot_service.get_by_din(session=session, din=mine.din), step_id=step_id)
    assert refusal.value.code == "deviation.step_not_of_lot"
    assert lot_state(database, mine.din) == ("in_process", None)
    with database.transaction() as session:
        deviation = deviation_service.open_deviation(
            session=session, actor=operator.principal, description=DESCRIPTION, step_id=step_id,
            lot=lot_service.get_by_din(session=session, din=other.din))
        assert deviation.step_id == step_id
    assert lot_state(database, other.din) == ("on_hold", "in_process")
