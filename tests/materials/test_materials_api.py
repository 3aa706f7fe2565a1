"""Material lots through the API: receipt into quarantine under an allocated code, QA's signed release or
rejection, and refusals that say why and change nothing."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

from fastapi.testclient import TestClient

from batchtrack.audit import service as audit_service
from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.materials import service as material_service
from batchtrack.models.base import utcnow
from batchtrack.models.material import MaterialKind
from batchtrack.models.user import Role

from builders import UserHandle, make_user
from material_builders import received_material

ClientFactory = Callable[..., tuple[TestClient, UserHandle]]


def _receipt(**changes: object) -> dict[str, object]:
    return {"kind": "platelet_lysate", "description": "Human platelet lysate, 500 mL", "supplier": "Cellgro Supplies",
            "supplier_lot": "PL-2026-118", "expires_at": (utcnow() + timedelta(days=200)).isoformat(), **changes}


def _status_and_entries(database: Database, code: str) -> tuple[str, list[str]]:
    with database.transaction(write=False) as session:
        material = material_service.get_by_code(session=session, code=code)
        entries = audit_service.entries_for(session=session, entity_type="material_lot", entity_id=code)
        return material.status, [e.action for e in entries]


def test_a_received_lot_gets_the_next_code_of_the_year_and_waits_in_quarantine(
    database: Database, as_role: ClientFactory
) -> None:
    client, _ = as_role(Role.OPERATOR)
    first = client.post("/api/v1/materials", json=_receipt())
    second = client.post("/api/v1/materials", json=_receipt(kind="medium", supplier_lot="M-1"))
    assert first.status_code == 201, first.text
    year = utcnow().year % 100
    assert first.json()["code"] == f"MT{year:02d}00001" and second.json()["code"] == f"MT{year:02d}00002"
    body = first.json()
    assert body["status"] == "quarantine" and body["kind"] == "platelet_lysate" and body["expired"] is False
    assert body["received_by"].startswith("Test ") and body["status_by"] is None
    assert re.fullmatch(r"MT\d{7}", body["code"])
    status, actions = _status_and_entries(database, body["code"])
    assert (status, actions) == ("quarantine", ["material.received"])


def test_qa_releases_with_the_right_password_and_the_signature_is_recorded(
    database: Database, settings: Settings, as_role: ClientFactory
) -> None:
    code = received_material(database, settings, make_user(database, Role.OPERATOR))
    client, qa = as_role(Role.QA)
    response = client.post(f"/api/v1/materials/{code}/release", json={**qa.credentials, "reason": "CoA ok"})
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "released" and response.json()["status_by"] == f"Test {qa.username.title()}"
    status, actions = _status_and_entries(database, code)
    assert status == "released"
    assert actions == ["material.received", "signature.applied", "material.released"]
    with database.transaction(write=False) as session:
        entry = audit_service.entries_for(session=session, entity_type="material_lot", entity_id=code)[-1]
        assert audit_service.verify(session=session).ok
    assert '"status":"quarantine"' in entry.old_values and '"status":"released"' in entry.new_values
    assert entry.reason == "CoA ok" and '"signature_id"' in entry.new_values


def test_a_wrong_password_is_refused_audited_and_leaves_the_lot_in_quarantine(
    database: Database, settings: Settings, as_role: ClientFactory
) -> None:
    code = received_material(database, settings, make_user(database, Role.OPERATOR))
    client, qa = as_role(Role.QA)
    response = client.post(f"/api/v1/materials/{code}/release",
                           json={"username": qa.username, "password": "not-my-password"})
    assert response.status_code == 403
    assert response.json()["error"] == "signature.password" and response.json()["message"]
    status, actions = _status_and_entries(database, code)
    assert status == "quarantine"
    assert actions == ["material.received", "signature.refused"]


def test_a_rejected_lot_is_never_released_and_the_refusal_is_audited(
    database: Database, settings: Settings, as_role: ClientFactory
) -> None:
    code = received_material(database, settings, make_user(database, Role.OPERATOR))
    client, qa = as_role(Role.QA)
    rejected = client.post(f"/api/v1/materials/{code}/reject",
                           json={**qa.credentials, "reason": "CoA missing endotoxin result"})
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    refused = client.post(f"/api/v1/materials/{code}/release", json=qa.credentials)
    assert refused.status_code == 409
    assert [r["code"] for r in refused.json()["reasons"]] == ["material.rejected"]
    again = client.post(f"/api/v1/materials/{code}/reject", json={**qa.credentials, "reason": "twice"})
    assert again.status_code == 409 and again.json()["reasons"][0]["code"] == "material.already_rejected"
    status, actions = _status_and_entries(database, code)
    assert status == "rejected"
    assert actions[-2:] == ["material.release_refused", "material.reject_refused"]


def test_a_released_lot_can_still_be_rejected_with_a_reason(
    database: Database, settings: Settings, as_role: ClientFactory
) -> None:
    code = received_material(database, settings, make_user(database, Role.OPERATOR))
    client, qa = as_role(Role.QA)
    assert client.post(f"/api/v1/materials/{code}/release", json=qa.credentials).status_code == 200
    no_reason = client.post(f"/api/v1/materials/{code}/reject", json=qa.credentials)
    assert no_reason.status_code == 400 and no_reason.json()["error"] == "reason_required"
    rejected = client.post(f"/api/v1/materials/{code}/reject",
                           json={**qa.credentials, "reason": "supplier recall notice 2026-41"})
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    with database.transaction(write=False) as session:
        entry = audit_service.entries_for(session=session, entity_type="material_lot", entity_id=code)[-1]
    assert entry.action == "material.rejected" and '"status":"released"' in entry.old_values
    assert entry.reason == "supplier recall notice 2026-41"


def test_only_qa_releases_or_rejects_and_only_operators_or_qa_receive(
    database: Database, settings: Settings, as_role: ClientFactory
) -> None:
    code = received_material(database, settings, make_user(database, Role.OPERATOR))
    for role in (Role.OPERATOR, Role.QC_ANALYST, Role.ADMIN, Role.INVESTIGATOR):
        client, user = as_role(role)
        for action in ("release", "reject"):
            response = client.post(f"/api/v1/materials/{code}/{action}",
                                   json={**user.credentials, "reason": "r"})
            assert response.status_code == 403, (role, action)
            assert response.json()["error"] == "role"
    for role in (Role.ADMIN, Role.COURIER, Role.NURSE):
        client, _ = as_role(role)
        assert client.post("/api/v1/materials", json=_receipt()).status_code == 403
    assert _status_and_entries(database, code) == ("quarantine", ["material.received"])


def test_an_expired_lot_is_neither_received_nor_released(
    database: Database, settings: Settings, as_role: ClientFactory
) -> None:
    client, qa = as_role(Role.QA)
    expired = client.post("/api/v1/materials", json=_receipt(expires_at=(utcnow() - timedelta(hours=1)).isoformat()))
    assert expired.status_code == 400 and expired.json()["error"] == "material.expired"
    code = received_material(database, settings, qa, expires_in=timedelta(seconds=1))
    with database.transaction() as session:
        material = material_service.get_by_code(session=session, code=code)
        material.expires_at = utcnow() - timedelta(minutes=1)
        session.add(material)
    refused = client.post(f"/api/v1/materials/{code}/release", json=qa.credentials)
    assert refused.status_code == 409 and refused.json()["reasons"][0]["code"] == "material.expired"
    assert client.get(f"/api/v1/materials/{code}").json()["expired"] is True


def test_every_role_reads_materials_by_code_as_typed_and_filters_the_list(
    database: Database, settings: Settings, as_role: ClientFactory
) -> None:
    receiver = make_user(database, Role.OPERATOR)
    medium = received_material(database, settings, receiver)
    lysate = received_material(database, settings, receiver, MaterialKind.PLATELET_LYSATE)
    client, _ = as_role(Role.COURIER)
    assert client.get(f"/api/v1/materials/{medium.lower()}").json()["code"] == medium
    assert client.get(f"/api/v1/materials/{medium[:4]}%20{medium[4:]}").json()["code"] == medium
    assert [m["code"] for m in client.get("/api/v1/materials").json()] == [lysate, medium]
    assert [m["code"] for m in client.get("/api/v1/materials?kind=platelet_lysate").json()] == [lysate]
    assert client.get("/api/v1/materials?status=released").json() == []
    assert [m["code"] for m in client.get("/api/v1/materials?limit=1&offset=1").json()] == [medium]
    unknown_kind = client.get("/api/v1/materials?kind=unobtainium")
    assert unknown_kind.status_code == 400 and "unobtainium" in unknown_kind.json()["message"]
    assert client.get("/api/v1/materials?status=maybe").status_code == 400


def test_bad_input_is_refused_with_a_reason_and_never_a_server_error(
    database: Database, settings: Settings, as_role: ClientFactory
) -> None:
    client, qa = as_role(Role.QA)
    bad_bodies: list[dict[str, object]] = [
        _receipt(kind="unobtainium"), _receipt(expires_at="next year"), _receipt(expires_at="2027-01-01T00:00:00"),
        _receipt(supplier="x" * 121), _receipt(description=""), _receipt(supplier_lot="\x00"),
        _receipt(supplier_lot="L" * 65), _receipt(description="two\nlines"), _receipt(colour="blue"),
        {"kind": "medium"},
    ]
    for body in bad_bodies:
        response = client.post("/api/v1/materials", json=body)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["reasons"] and response.json()["message"]
    code = received_material(database, settings, qa)
    decisions: list[dict[str, object]] = [{}, {"password": ""}, {**qa.credentials, "meaning": "approved"},
                                          {"password": 5}]
    for body in decisions:
        assert client.post(f"/api/v1/materials/{code}/release", json=body).status_code == 422
    for path in ("MT0000000", "NOPE", "mt 26", "%00", "x" * 41, "MT2600001%0A", "..%2Fetc"):
        response = client.get(f"/api/v1/materials/{path}")
        assert response.status_code in (404, 422), (path, response.status_code)
        assert response.json()["message"]
    missing = client.post("/api/v1/materials/MT0000000/release", json=qa.credentials)
    assert missing.status_code == 404 and missing.json()["error"] == "material.unknown"
    assert _status_and_entries(database, code)[0] == "quarantine"
