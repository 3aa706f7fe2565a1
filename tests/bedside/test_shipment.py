"""Shipment to the clinic and receipt there: every bag scanned as it changes hands, at transport temperature."""

from __future__ import annotations

from conftest import api_client
from fastapi import FastAPI
from sqlmodel import col, select

from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.lots import service as lot_service
from batchtrack.models.audit import AuditEntry
from batchtrack.models.custody import CustodyEvent
from batchtrack.models.user import Role

from bedside_builders import bag_scans, clinic, formulated_lot, hand_over, released_lot
from builders import make_user, seed_lot
from processing_builders import bag_scan as aspirate_scan


def _body(scans: list[str], **kwargs: object) -> dict[str, object]:
    return hand_over(scans, **kwargs).model_dump(exclude_none=True)  # type: ignore[arg-type]


def _state(database: Database, din: str) -> str:
    with database.transaction(write=False) as session:
        return lot_service.get_by_din(session=session, din=din).state


def _events(database: Database) -> list[CustodyEvent]:
    with database.transaction(write=False) as session:
        return list(session.execute(select(CustodyEvent).order_by(col(CustodyEvent.id))).scalars())


def test_a_released_lot_is_shipped_and_received_bag_by_bag(
    app: FastAPI, database: Database, settings: Settings
) -> None:
    lot = released_lot(database, settings)
    people = clinic(database)
    scans = bag_scans(database, lot)
    operator = api_client(app, lot.bench.operator)
    shipped = operator.post(f"/api/v1/lots/{lot.din}/shipments",
                            json=_body(scans, receiver=people.courier.username, temperature_c=6.5))
    assert shipped.status_code == 201, shipped.json()
    assert shipped.json()["state"] == "shipped"
    assert [(e["handed_over_by"], e["received_by"], e["temperature_c"]) for e in shipped.json()["events"]] == [
        (lot.bench.operator.username, people.courier.username, 6.5)] * 2
    assert {e["container_id"] for e in shipped.json()["events"]} == set(lot.bag_ids)

    received = api_client(app, people.nurse).post(
        f"/api/v1/lots/{lot.din}/clinic-receipts",
        json=_body(list(reversed(scans)), giver=people.courier.username, temperature_c=8.0, location="ward 5"))
    assert received.status_code == 201, received.json()
    assert received.json()["state"] == "at_clinic"
    assert [(e["handed_over_by"], e["received_by"], e["location"]) for e in received.json()["events"]] == [
        (people.courier.username, people.nurse.username, "ward 5")] * 2
    assert len(_events(database)) == 4


def test_an_unreleased_lot_is_not_shipped(app: FastAPI, database: Database, settings: Settings) -> None:
    lot = formulated_lot(database, settings)
    courier = make_user(database, Role.COURIER)
    response = api_client(app, lot.bench.operator).post(
        f"/api/v1/lots/{lot.din}/shipments", json=_body(bag_scans(database, lot), receiver=courier.username))
    assert response.status_code == 409
    codes = [r["code"] for r in response.json()["reasons"]]
    assert "ship.lot_state" in codes and "ship.not_released" in codes
    assert _state(database, lot.din) == "formulated" and _events(database) == []
    with database.transaction(write=False) as session:
        refusals = session.execute(select(AuditEntry).where(col(AuditEntry.action) == "lot.ship_refused")).scalars()
        assert len(list(refusals)) == 1


def test_a_bag_of_another_lot_is_an_identity_mismatch_naming_both(
    app: FastAPI, database: Database, settings: Settings
) -> None:
    lot = released_lot(database, settings)
    other = seed_lot(database, settings, subject="S-002", mrn="MRN-2")
    courier = make_user(database, Role.COURIER)
    scans = [*bag_scans(database, lot), aspirate_scan(other.din)]
    response = api_client(app, lot.bench.operator).post(
        f"/api/v1/lots/{lot.din}/shipments", json=_body(scans, receiver=courier.username))
    assert response.status_code == 409
    assert response.json()["error"] == "identity_mismatch"
    assert lot.din in response.json()["message"] and other.din in response.json()["message"]
    assert [r["code"] for r in response.json()["reasons"]] == ["handover.bag_of_another_lot"]
    assert _state(database, lot.din) == "released" and _events(database) == []


def test_a_temperature_outside_the_transport_limits_and_a_missing_bag_are_refused(
    app: FastAPI, database: Database, settings: Settings
) -> None:
    lot = released_lot(database, settings)
    courier = make_user(database, Role.COURIER)
    operator = api_client(app, lot.bench.operator)
    too_warm = operator.post(f"/api/v1/lots/{lot.din}/shipments",
                             json=_body(bag_scans(database, lot)[:1], receiver=courier.username, temperature_c=31))
    assert too_warm.status_code == 409
    reasons = {r["code"]: r["message"] for r in too_warm.json()["reasons"]}
    assert set(reasons) == {"handover.temperature", "handover.bag_missing"}
    assert "2-25" in reasons["handover.temperature"] and "B0" in reasons["handover.bag_missing"]
    assert _state(database, lot.din) == "released" and _events(database) == []


def test_the_people_must_hold_their_roles_and_the_chain_must_not_break(
    app: FastAPI, database: Database, settings: Settings
) -> None:
    lot = released_lot(database, settings)
    people = clinic(database)
    scans = bag_scans(database, lot)
    operator = api_client(app, lot.bench.operator)
    to_a_nurse = operator.post(f"/api/v1/lots/{lot.din}/shipments", json=_body(scans, receiver=people.nurse.username))
    assert [r["code"] for r in to_a_nurse.json()["reasons"]] == ["handover.role"]
    assert operator.post(f"/api/v1/lots/{lot.din}/shipments",
                         json=_body(scans, receiver=people.courier.username)).status_code == 201
    other_courier = make_user(database, Role.COURIER)
    gap = api_client(app, people.nurse).post(f"/api/v1/lots/{lot.din}/clinic-receipts",
                                             json=_body(scans, giver=other_courier.username))
    assert gap.status_code == 409
    assert [r["code"] for r in gap.json()["reasons"]] == ["custody.gap", "custody.gap"]
    assert _state(database, lot.din) == "shipped"
    assert api_client(app, people.courier).post(
        f"/api/v1/lots/{lot.din}/shipments", json=_body(scans, receiver=people.courier.username)
    ).status_code == 409  # already shipped
    assert api_client(app, lot.qa).post(f"/api/v1/lots/{lot.din}/clinic-receipts",
                                        json=_body(scans, giver=people.courier.username)).status_code == 403
