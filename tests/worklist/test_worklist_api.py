"""GET /api/v1/me/worklist: each role's work, with its deadlines from the same limits the chain enforces."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import pytest
from conftest import api_client
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import event

from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.lots import service as lot_service
from batchtrack.models.user import Role
from batchtrack.protocols import definition
from batchtrack.release import gate
from batchtrack.release import service as release_service
from batchtrack.worklist import service as worklist_service

from bedside_builders import released_lot
from builders import PROTOCOL, UserHandle, collected_bag, enrol_eligible, make_user, seed_lot
from deviation_builders import open_deviation, set_lot_state
from material_builders import executed_step, received_material, registered_instrument
from quality_builders import enter, lot_in_qc
from release_builders import co_sign, enter_result, raise_alert, ready_lot

Client = Callable[..., tuple[TestClient, UserHandle]]


def _section(body: dict[str, Any], kind: str) -> dict[str, Any]:
    [section] = [s for s in body["sections"] if s["kind"] == kind]
    return section


def test_qa_sees_the_open_deviation_the_preliminary_sterility_and_the_release_gates_reasons(
        app: FastAPI, database: Database, settings: Settings) -> None:
    qc = lot_in_qc(database, settings)
    enter(database, qc, "sterility", text="no growth", status="preliminary", day=7)
    number = open_deviation(database, qc.din, qc.analyst)
    client = api_client(app, qc.qa)
    body = client.get("/api/v1/me/worklist").json()

    kinds = [s["kind"] for s in body["sections"]]
    assert "deviation_open" in kinds and "release_awaiting" in kinds and "qc_results_due" in kinds
    assert "infusion_planned" not in kinds  # QA does not see the clinic's list
    [deviation] = _section(body, "deviation_open")["items"]
    assert deviation["about"] == number and deviation["link"] == f"/deviations/{number}"

    [due] = _section(body, "qc_results_due")["items"]
    assert due["about"] == qc.din and due["link"] == f"/lots/{qc.din}/qc"
    assert any(r.startswith("Sterility (14 days): preliminary at day 7") for r in due["reasons"])
    # Day 7 read now: the final result is due 7 days on, as the specification's 14 days say.
    due_at = datetime.fromisoformat(due["due_at"])
    assert timedelta(days=6, hours=23) < due_at - datetime.fromisoformat(body["generated_at"]) <= timedelta(days=7)
    assert due["seconds_left"] > 0 and not due["overdue"] and "left)" in due["due"]

    [awaiting] = _section(body, "release_awaiting")["items"]
    with database.transaction(write=False) as session:
        lot = lot_service.get_by_din(session=session, din=qc.din)
        expected = [r.message for r in gate.release_refusals(
            release_service.facts(session=session, lot=lot, actor=qc.qa.principal, zone=settings.zone))]
    assert awaiting["reasons"] == expected
    assert "1 deviation(s) still open" in awaiting["reasons"]
    assert awaiting["link"] == f"/lots/{qc.din}/release"


def test_the_qc_analyst_sees_only_results_due(app: FastAPI, database: Database, settings: Settings) -> None:
    qc = lot_in_qc(database, settings)
    body = api_client(app, qc.analyst).get("/api/v1/me/worklist").json()
    assert [s["kind"] for s in body["sections"]] == ["qc_results_due"]
    assert body["roles"] == ["qc_analyst"]


def test_a_bag_in_transit_is_due_at_the_end_of_the_protocols_receipt_window(
        app: FastAPI, database: Database, settings: Settings) -> None:
    clinician = make_user(database, Role.INVESTIGATOR, Role.COLLECTOR)
    coi = enrol_eligible(database, settings, clinician)
    din = collected_bag(database, settings, clinician, coi, hours_ago=3.0)
    courier = make_user(database, Role.COURIER)
    body = api_client(app, courier).get("/api/v1/me/worklist").json()
    [item] = _section(body, "bag_in_transit")["items"]
    assert item["about"] == din and item["link"] == f"/collections/{din}"
    assert api_client(app, courier).get(item["link"], headers={"accept": "text/html"}).status_code == 200
    [received] = _section(api_client(app, make_user(database, Role.OPERATOR)).get("/api/v1/me/worklist").json(),
                          "bag_in_transit")["items"]
    assert received["link"] == f"/receiving?expected={din}"
    hours = definition.load(PROTOCOL).limits.max_hours_collection_to_receipt
    left = item["seconds_left"] / 3600
    assert hours - 3.1 < left < hours - 2.9
    assert coi in item["title"]


def test_an_empty_section_says_what_will_appear_there(app: FastAPI, database: Database) -> None:
    nurse = make_user(database, Role.NURSE)
    body = api_client(app, nurse).get("/api/v1/me/worklist").json()
    for section in body["sections"]:
        assert section["items"] == [] and section["empty"].endswith(".")
    assert "appears here" in _section(body, "infusion_planned")["empty"]


def test_the_worklist_needs_a_signed_in_user(client: TestClient) -> None:
    assert client.get("/api/v1/me/worklist").status_code == 401


@contextmanager
def _counted(database: Database) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(database.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(database.engine, "before_cursor_execute", count)


def _statements_for_every_kind(database: Database, settings: Settings, viewer: UserHandle) -> int:
    with database.transaction(write=False) as session, _counted(database) as statements:
        worklist = worklist_service.worklist(session=session, viewer=viewer.principal, zone=settings.zone)
    assert {s.kind for s in worklist.sections} == set(worklist_service.rules.Kind)
    return len(statements)


def test_the_worklist_takes_as_many_queries_for_30_lots_as_for_3(database: Database, settings: Settings) -> None:
    everyone = make_user(database, *Role)
    operator = make_user(database, Role.OPERATOR)

    def add(count: int, start: int) -> None:
        for n in range(start, start + count):
            seeded = seed_lot(database, settings, subject=f"S-{n:03d}", mrn=f"MRN-{n:06d}")
            if n % 3 == 0:
                set_lot_state(database, seeded.din, "in_qc")
            elif n % 3 == 1:
                open_deviation(database, seeded.din, operator)

    add(3, 1)
    few = _statements_for_every_kind(database, settings, everyone)
    add(27, 4)
    many = _statements_for_every_kind(database, settings, everyone)
    assert few == many, (few, many)
    assert many <= 30, many


def test_the_operator_sees_the_processing_window_the_open_step_the_expiring_material_and_the_calibration_due(
        app: FastAPI, database: Database, settings: Settings) -> None:
    seeded = seed_lot(database, settings)
    operator = make_user(database, Role.OPERATOR)
    keeper = make_user(database, Role.QA)
    body = api_client(app, operator).get("/api/v1/me/worklist").json()
    [waiting] = _section(body, "processing_due")["items"]
    hours = definition.load(PROTOCOL).limits.max_hours_collection_to_processing
    assert waiting["about"] == seeded.din and waiting["link"] == "/processing"
    assert hours - 2.6 < waiting["seconds_left"] / 3600 < hours - 1.9  # collected two hours ago

    executed_step(database, seeded.din, operator)
    soon = received_material(database, settings, operator, expires_in=timedelta(days=5))
    later = received_material(database, settings, operator, expires_in=timedelta(days=90), supplier_lot="SUP-2")
    registered_instrument(database, keeper, "INC-07", due_in=timedelta(days=3))
    registered_instrument(database, keeper, "INC-08", due_in=timedelta(days=200))
    body = api_client(app, operator).get("/api/v1/me/worklist").json()
    assert _section(body, "processing_due")["items"] == []
    [step] = _section(body, "step_open")["items"]
    assert step["title"] == f"Complete Isolation and P0 seeding of lot {seeded.din} at ST-1"
    assert step["link"] == "/processing/ST-1"
    assert [m["about"] for m in _section(body, "material_expiring")["items"]] == [soon]
    assert later not in str(body)
    [calibration] = _section(body, "calibration_due")["items"]
    assert calibration["about"] == "INC-07" and calibration["link"] == "/equipment/INC-07"
    assert 2 * 86400 < calibration["seconds_left"] <= 3 * 86400


def test_a_lot_held_by_a_deviation_in_qc_still_shows_its_results_due_and_release_conditions(
        app: FastAPI, database: Database, settings: Settings) -> None:
    qc = lot_in_qc(database, settings)
    open_deviation(database, qc.din, qc.analyst)
    open_deviation(database, qc.din, qc.analyst)
    body = api_client(app, qc.qa).get("/api/v1/me/worklist").json()
    [awaiting] = _section(body, "release_awaiting")["items"]
    assert "2 deviation(s) still open" in awaiting["reasons"]
    assert f"lot {qc.din} is on hold; only a lot in QC is released" in awaiting["reasons"]
    assert [d["about"] for d in _section(body, "deviation_open")["items"]] == sorted(
        d["about"] for d in _section(body, "deviation_open")["items"])
    assert _section(body, "qc_results_due")["items"][0]["about"] == qc.din


def test_the_nurse_sees_the_clinics_alert_and_the_released_product_to_infuse_before_it_expires(
        app: FastAPI, database: Database, settings: Settings) -> None:
    lot = released_lot(database, settings, decision="released_pending_sterility")
    raise_alert(database, lot.din, "Sterility (14 days): growth at day 9 after release")
    nurse = make_user(database, Role.NURSE)
    body = api_client(app, nurse).get("/api/v1/me/worklist").json()
    assert [s["kind"] for s in body["sections"]] == ["clinic_alert", "infusion_planned"]
    [alert] = _section(body, "clinic_alert")["items"]
    assert alert["link"] == "/alerts" and alert["reasons"] == ["Sterility (14 days): growth at day 9 after release"]
    [infusion] = _section(body, "infusion_planned")["items"]
    assert infusion["link"] == "/bedside" and f"therapy {lot.coi}, 2 bag(s)" in infusion["title"]
    assert infusion["reasons"] == ["released pending sterility: the bedside asks to acknowledge it"]
    with database.transaction(write=False) as session:
        expires = lot_service.get_by_din(session=session, din=lot.din).expires_at
    assert expires is not None and datetime.fromisoformat(infusion["due_at"]) == expires
    assert "Philomena" not in str(body) and "Zwierzynska" not in str(body)


def test_a_lot_released_pending_sterility_shows_its_result_due_however_many_lots_were_released_before_it(
    app: FastAPI, database: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A list of one item: two lots released before it would have filled it, had every lot ever released been looked
    # at, and the lot still waiting for its sterility would never have been shown.
    monkeypatch.setattr(worklist_service, "SECTION_LIMIT", 1)
    for n in (1, 2):
        earlier = seed_lot(database, settings, subject=f"S-10{n}", mrn=f"MRN-10{n}")
        set_lot_state(database, earlier.din, "released")
    lot = ready_lot(database, settings, skip=("sterility",))
    enter_result(database, lot.din, lot.analyst, "sterility", text="no growth", status="preliminary")
    co_sign(database, lot.din, lot.director, "medical_director")
    co_sign(database, lot.din, lot.physician, "treating_physician")
    with database.transaction() as session:
        release_service.release(session=session, actor=lot.qa.principal, din=lot.din, username=lot.qa.username,
                                password=lot.qa.password, pending_sterility=True, zone=settings.zone)
    set_lot_state(database, lot.din, "infused")  # its product infused since: the result is still due
    client = api_client(app, lot.qa)
    items = _section(client.get("/api/v1/me/worklist").json(), "qc_results_due")["items"]
    assert [item["about"] for item in items] == [lot.din]
    assert any(reason.startswith("Sterility") for reason in items[0]["reasons"])

    enter_result(database, lot.din, lot.analyst, "sterility", text="no growth")
    assert _section(client.get("/api/v1/me/worklist").json(), "qc_results_due")["items"] == []
