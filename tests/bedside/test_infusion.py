"""The happy path at the bedside: two clinicians confirm the identity, infuse each bag, and the chain closes."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta

from conftest import api_client
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import col, select

from batchtrack.auth import signatures
from batchtrack.bedside import service
from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.lots import service as lot_service
from batchtrack.models.audit import AuditEntry
from batchtrack.models.base import utcnow
from batchtrack.models.bedside import Infusion
from batchtrack.models.container import Container
from batchtrack.models.signature import Signature
from batchtrack.models.therapy import Therapy
from batchtrack.models.user import Role, User

from bedside_builders import VITALS, Clinic, ProductLot, at_clinic, bag_scan, check_body, infusion_body, wristband
from builders import UserHandle, make_user

ClientFactory = Callable[..., tuple[TestClient, UserHandle]]


def test_two_clinicians_infuse_every_bag_and_the_therapy_completes(
    app: FastAPI, database: Database, settings: Settings
) -> None:
    lot, people = at_clinic(database, settings)
    nurse = api_client(app, people.nurse)
    for number, bag in enumerate(lot.bag_ids, start=1):
        checked = nurse.post("/api/v1/bedside/checks",
                             json=check_body(wristband(lot.coi), bag_scan(database, bag), people.doctor))
        assert checked.status_code == 200, checked.json()
        assert checked.json()["ok"] is True and checked.json()["reasons"] == []
        infused = nurse.post("/api/v1/bedside/infusions",
                             json=infusion_body(checked.json()["id"], people.nurse, people.doctor))
        assert infused.status_code == 201, infused.json()
        body = infused.json()
        assert [(s["meaning"], s["intact"]) for s in body["signatures"]] == [("performed", True), ("reviewed", True)]
        assert body["lot_state"] == ("infused" if number == 2 else "at_clinic")
    with database.transaction(write=False) as session:
        assert {session.get(Container, b).status for b in lot.bag_ids} == {"infused"}  # type: ignore[union-attr]
        assert lot_service.get_by_din(session=session, din=lot.din).state == "infused"
        therapy = session.query(Therapy).filter_by(coi=lot.coi).one()
        assert therapy.state == "completed"
    listed = nurse.get(f"/api/v1/therapies/{lot.coi}/infusions").json()
    assert len(listed) == 2 and listed[1]["therapy_state"] == "completed"


def _passed_check(app: FastAPI, database: Database,
                  settings: Settings) -> tuple[TestClient, int, ProductLot, Clinic]:
    lot, people = at_clinic(database, settings)
    nurse = api_client(app, people.nurse)
    checked = nurse.post("/api/v1/bedside/checks",
                         json=check_body(wristband(lot.coi), bag_scan(database, lot.bag_ids[0]), people.doctor))
    assert checked.status_code == 200, checked.json()
    return nurse, checked.json()["id"], lot, people


def _audit_count(database: Database, action: str) -> int:
    with database.transaction(write=False) as session:
        return len(list(session.execute(select(AuditEntry).where(col(AuditEntry.action) == action)).scalars()))


def test_a_bag_destroyed_at_the_clinic_counts_as_done(app: FastAPI, database: Database, settings: Settings) -> None:
    nurse, check_id, lot, people = _passed_check(app, database, settings)
    with database.transaction() as session:
        spare = session.get(Container, lot.bag_ids[1])
        assert spare is not None
        spare.status = "destroyed"
        session.add(spare)
    infused = nurse.post("/api/v1/bedside/infusions", json=infusion_body(check_id, people.nurse, people.doctor))
    assert infused.status_code == 201, infused.json()
    assert (infused.json()["lot_state"], infused.json()["therapy_state"]) == ("infused", "completed")


def test_the_infusion_record_refuses_impossible_times_volumes_and_signers(
    app: FastAPI, database: Database, settings: Settings
) -> None:
    nurse, check_id, lot, people = _passed_check(app, database, settings)
    now = utcnow()
    cases = [
        (infusion_body(check_id, people.nurse, people.doctor, started=now - timedelta(hours=3),
                       ended=now - timedelta(hours=2)), "infusion.before_check"),
        (infusion_body(check_id, people.nurse, people.doctor, started=now, ended=now - timedelta(seconds=30)),
         "infusion.end_before_start"),
        (infusion_body(check_id, people.nurse, people.doctor, ended=now + timedelta(hours=1)), "infusion.in_future"),
        (infusion_body(check_id, people.nurse, people.doctor, volume_ml=60), "infusion.volume_exceeds_bag"),
        (infusion_body(check_id, people.nurse, people.nurse), "infusion.same_clinician"),
        (infusion_body(check_id, people.nurse, make_user(database, Role.NURSE)),
         "infusion.not_the_checking_clinicians"),
        (infusion_body(check_id, people.nurse, people.courier), "infusion.not_clinician"),
    ]
    for body, code in cases:
        response = nurse.post("/api/v1/bedside/infusions", json=body)
        assert response.status_code == 409, (code, response.json())
        assert code in [r["code"] for r in response.json()["reasons"]], (code, response.json())
    assert _audit_count(database, "infusion.refused") == len(cases)
    wrong = {**infusion_body(check_id, people.nurse, people.doctor), "second_password": "Not-The-Password-1"}
    response = nurse.post("/api/v1/bedside/infusions", json=wrong)
    assert response.status_code == 403 and response.json()["error"] == "signature.password"
    with database.transaction(write=False) as session:
        assert session.execute(select(Infusion)).first() is None
        assert session.get(Container, lot.bag_ids[0]).status == "in_use"  # type: ignore[union-attr]
        assert session.execute(select(Signature).where(col(Signature.entity_type) == "infusion")).first() is None


def test_a_wrong_password_of_the_second_clinician_counts_toward_their_lockout_not_the_nurses(
    app: FastAPI, database: Database, settings: Settings
) -> None:
    nurse, check_id, _lot, people = _passed_check(app, database, settings)
    wrong = {**infusion_body(check_id, people.nurse, people.doctor), "second_password": "Not-The-Password-1"}
    assert nurse.post("/api/v1/bedside/infusions", json=wrong).status_code == 403
    with database.transaction(write=False) as session:
        failed = {name: count for name, count in session.execute(select(User.username, User.failed_logins).where(
            col(User.username).in_([people.nurse.username, people.doctor.username])))}
    assert failed == {people.nurse.username: 0, people.doctor.username: 1}
    assert _audit_count(database, "signature.failed") == 1


def test_vital_signs_outside_what_a_person_can_show_are_malformed(
    app: FastAPI, database: Database, settings: Settings
) -> None:
    nurse, check_id, _lot, people = _passed_check(app, database, settings)
    body = infusion_body(check_id, people.nurse, people.doctor)
    for vitals in ({**VITALS, "spo2_percent": 130}, {**VITALS, "temperature_c": 50},
                   {**VITALS, "systolic_mmhg": 70, "diastolic_mmhg": 90}, {**VITALS, "heart_rate_bpm": "fast"}):
        response = nurse.post("/api/v1/bedside/infusions", json={**body, "vitals_after": vitals})
        assert response.status_code == 422 and response.json()["message"]
    assert nurse.post("/api/v1/bedside/infusions", json={**body, "volume_ml": 0}).status_code == 422


def test_a_check_is_used_once_and_a_refused_check_never(app: FastAPI, database: Database, settings: Settings) -> None:
    nurse, check_id, lot, people = _passed_check(app, database, settings)
    assert nurse.post("/api/v1/bedside/infusions",
                      json=infusion_body(check_id, people.nurse, people.doctor)).status_code == 201
    again = nurse.post("/api/v1/bedside/infusions", json=infusion_body(check_id, people.nurse, people.doctor))
    assert again.status_code == 409
    assert "infusion.check_used" in [r["code"] for r in again.json()["reasons"]]
    refused = nurse.post("/api/v1/bedside/checks",
                         json=check_body(wristband(lot.coi), bag_scan(database, lot.bag_ids[1]), None))
    assert refused.status_code == 409
    response = nurse.post("/api/v1/bedside/infusions",
                          json=infusion_body(refused.json()["check"]["id"], people.nurse, people.doctor))
    assert "infusion.check_not_passed" in [r["code"] for r in response.json()["reasons"]]
    assert nurse.get(f"/api/v1/bedside/checks/{check_id}").json()["infusion_id"] is not None


def test_a_changed_infusion_record_shows_its_signatures_broken(
    app: FastAPI, database: Database, settings: Settings
) -> None:
    nurse, check_id, lot, people = _passed_check(app, database, settings)
    assert nurse.post("/api/v1/bedside/infusions",
                      json=infusion_body(check_id, people.nurse, people.doctor)).status_code == 201
    with database.transaction() as session:
        infusion = session.execute(select(Infusion)).scalar_one()
        content = service.infusion_content(
            check_id=infusion.check_id, lot_din=lot.din, division="A0", therapy_coi=lot.coi,
            started_at=infusion.started_at, ended_at=infusion.ended_at, volume_ml=infusion.volume_ml + 1,
            vital_signs=json.loads(infusion.vital_signs), adverse_reactions=infusion.adverse_reactions)
        signature = session.get(Signature, infusion.first_signature_id)
        assert signature is not None and not signatures.is_intact(signature, content)
    listed = nurse.get(f"/api/v1/therapies/{lot.coi}/infusions").json()
    assert all(s["intact"] for s in listed[0]["signatures"])
