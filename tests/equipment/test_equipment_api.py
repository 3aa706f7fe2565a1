"""Instruments through the API: registration under the asset tag, calibration with its old and new due time
in the audit trail, taking out of service, and refusals that say why and change nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from fastapi.testclient import TestClient

from batchtrack.audit import service as audit_service
from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.equipment import service as equipment_service
from batchtrack.models.base import utcnow
from batchtrack.models.equipment import EquipmentKind
from batchtrack.models.user import Role

from builders import UserHandle, make_user, seed_lot
from material_builders import registered_instrument, used_instrument

ClientFactory = Callable[..., tuple[TestClient, UserHandle]]


def _instrument(**changes: object) -> dict[str, object]:
    return {"code": "INC-07", "kind": "incubator", "description": "CO2 incubator, 37 °C", "location": "Suite B",
            "calibration_due": (utcnow() + timedelta(days=60)).isoformat(), **changes}


def _due(database: Database, code: str) -> datetime:
    with database.transaction(write=False) as session:
        return equipment_service.get_by_code(session=session, code=code).calibration_due


def test_qa_or_admin_registers_an_instrument_under_its_asset_tag(as_role: ClientFactory) -> None:
    qa, _ = as_role(Role.QA)
    admin, _ = as_role(Role.ADMIN)
    first = qa.post("/api/v1/equipment", json=_instrument(code=" inc-07 "))
    assert first.status_code == 201, first.text
    assert first.json()["code"] == "INC-07" and first.json()["active"] is True
    assert first.json()["calibration_overdue"] is False
    assert admin.post("/api/v1/equipment", json=_instrument(code="BSC-2", kind="biosafety_cabinet")).status_code == 201
    duplicate = admin.post("/api/v1/equipment", json=_instrument())
    assert duplicate.status_code == 409 and duplicate.json()["error"] == "equipment.exists"
    for role in (Role.OPERATOR, Role.QC_ANALYST, Role.COURIER):
        client, _ = as_role(role)
        assert client.post("/api/v1/equipment", json=_instrument(code="CC-1")).status_code == 403


def test_an_asset_tag_outside_the_allowed_shape_is_refused_with_a_reason(as_role: ClientFactory) -> None:
    client, _ = as_role(Role.QA)
    for tag in ("AB", "X" * 21, "INC 07", "INC_07", "INC/07", "", "ÄBC", 7):
        response = client.post("/api/v1/equipment", json=_instrument(code=tag))
        assert response.status_code == 422, tag
        assert response.json()["reasons"][0]["code"] == "input.body.code"
    for body in (_instrument(kind="toaster"), _instrument(calibration_due="soon"),
                 _instrument(calibration_due="2027-01-01T00:00:00"), _instrument(location="x" * 121),
                 _instrument(description=""), _instrument(serial="123")):
        assert client.post("/api/v1/equipment", json=body).status_code == 422, body


def test_a_calibration_sets_a_future_due_time_and_audits_the_old_and_new_one(
    database: Database, as_role: ClientFactory
) -> None:
    client, keeper = as_role(Role.QA)
    code = registered_instrument(database, keeper, "INC-07", due_in=timedelta(days=2))
    before = _due(database, code)
    new_due = utcnow() + timedelta(days=365)
    response = client.post(f"/api/v1/equipment/{code}/calibrations",
                           json={"calibration_due": new_due.isoformat(), "certificate": "CAL-2026-0457"})
    assert response.status_code == 201, response.text
    assert abs(_due(database, code) - new_due) < timedelta(seconds=1)
    with database.transaction(write=False) as session:
        entry = audit_service.entries_for(session=session, entity_type="equipment", entity_id=code)[-1]
    assert entry.action == "equipment.calibrated" and entry.reason == "CAL-2026-0457"
    assert before.isoformat()[:19] in entry.old_values and new_due.isoformat()[:19] in entry.new_values
    history = client.get(f"/api/v1/equipment/{code}/history").json()
    assert [e["action"] for e in history] == ["equipment.registered", "equipment.calibrated"]
    assert history[-1]["calibration_due_before"][:19] == before.isoformat()[:19]


def test_a_calibration_with_a_due_time_in_the_past_is_refused_and_changes_nothing(
    database: Database, as_role: ClientFactory
) -> None:
    client, keeper = as_role(Role.ADMIN)
    code = registered_instrument(database, keeper, "CC-01", EquipmentKind.CELL_COUNTER)
    before = _due(database, code)
    response = client.post(f"/api/v1/equipment/{code}/calibrations", json={
        "calibration_due": (utcnow() - timedelta(days=1)).isoformat(), "certificate": "CAL-1"})
    assert response.status_code == 400
    assert [r["code"] for r in response.json()["reasons"]] == ["calibration.due_not_future"]
    assert _due(database, code) == before
    with database.transaction(write=False) as session:
        actions = [e.action for e in audit_service.entries_for(session=session, entity_type="equipment",
                                                               entity_id=code)]
    assert actions == ["equipment.registered", "equipment.calibration_refused"]
    no_certificate = client.post(f"/api/v1/equipment/{code}/calibrations", json={
        "calibration_due": (utcnow() + timedelta(days=1)).isoformat(), "certificate": ""})
    assert no_certificate.status_code == 422


def test_an_instrument_taken_out_of_service_stays_out(database: Database, as_role: ClientFactory) -> None:
    client, keeper = as_role(Role.QA)
    code = registered_instrument(database, keeper, "CF-3", EquipmentKind.CENTRIFUGE)
    assert client.post(f"/api/v1/equipment/{code}/retire", json={}).status_code == 422
    retired = client.post(f"/api/v1/equipment/{code}/retire", json={"reason": "rotor cracked"})
    assert retired.status_code == 200 and retired.json()["active"] is False
    again = client.post(f"/api/v1/equipment/{code}/retire", json={"reason": "again"})
    assert again.status_code == 409 and again.json()["reasons"][0]["code"] == "equipment.retired"
    calibrate = client.post(f"/api/v1/equipment/{code}/calibrations", json={
        "calibration_due": (utcnow() + timedelta(days=30)).isoformat(), "certificate": "CAL-9"})
    assert calibrate.status_code == 409 and calibrate.json()["reasons"][0]["code"] == "equipment.retired"
    operator, _ = as_role(Role.OPERATOR)
    assert operator.post(f"/api/v1/equipment/{code}/retire", json={"reason": "x"}).status_code == 403
    assert [e["code"] for e in operator.get("/api/v1/equipment?active=false").json()] == [code]
    assert operator.get("/api/v1/equipment?active=true").json() == []


def test_every_role_reads_instruments_and_their_use(
    database: Database, settings: Settings, as_role: ClientFactory
) -> None:
    keeper = make_user(database, Role.QA)
    operator = make_user(database, Role.OPERATOR)
    soon = registered_instrument(database, keeper, "INC-01", due_in=timedelta(days=1))
    later = registered_instrument(database, keeper, "BSC-01", EquipmentKind.BIOSAFETY_CABINET,
                                  due_in=timedelta(days=100))
    lot = seed_lot(database, settings)
    used_instrument(database, lot.din, operator, soon)
    client, _ = as_role(Role.COURIER)
    assert [e["code"] for e in client.get("/api/v1/equipment").json()] == [soon, later]
    assert [e["code"] for e in client.get("/api/v1/equipment?kind=biosafety_cabinet").json()] == [later]
    assert client.get("/api/v1/equipment?kind=toaster").status_code == 400
    assert client.get("/api/v1/equipment/inc-01").json()["code"] == soon
    uses = client.get(f"/api/v1/equipment/{soon}/uses").json()
    assert [(u["din"], u["step_code"]) for u in uses] == [(lot.din, "isolation")]
    assert client.get(f"/api/v1/equipment/{later}/uses").json() == []
    for path in ("NOPE-1", "AB", "%00", "INC%2F01", "x" * 41):
        response = client.get(f"/api/v1/equipment/{path}")
        assert response.status_code in (404, 422), path
        assert response.json()["message"]
    assert client.post("/api/v1/equipment/NOPE-1/retire", json={"reason": "x"}).status_code == 403
    qa, _ = as_role(Role.QA)
    missing = qa.post("/api/v1/equipment/NOPE-1/retire", json={"reason": "x"})
    assert missing.status_code == 404 and missing.json()["error"] == "equipment.unknown"
