"""The bedside check refuses every mismatch: the refusal is answered 409 with every reason, and the check and a
deviation on the bag's lot are recorded (committed) all the same."""

from __future__ import annotations

import json
from datetime import timedelta

from conftest import api_client
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import col, select

from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.enrolment import schemas as enrolment_schemas
from batchtrack.enrolment import service as enrolment_service
from batchtrack.lots import service as lot_service
from batchtrack.models.audit import AuditEntry
from batchtrack.models.base import utcnow
from batchtrack.models.bedside import BedsideCheck
from batchtrack.models.deviation import Deviation
from batchtrack.models.quality import Alert
from batchtrack.models.user import Role

from bedside_builders import (
    Clinic,
    at_clinic,
    bag_scan,
    check_body,
    clinic,
    formulated_lot,
    infusion_body,
    released_lot,
    wristband,
)
from builders import enrol_eligible, make_user


def _codes(response_json: dict[str, object]) -> list[str]:
    return [r["code"] for r in response_json["reasons"]]  # type: ignore[attr-defined]


def _refused_and_recorded(database: Database, response: object, code: str, *, lot_din: str) -> BedsideCheck:
    """The answer is 409 naming `code`; the check is recorded refused with it; a deviation is open on the lot."""
    assert response.status_code == 409, response.text  # type: ignore[attr-defined]
    body = response.json()  # type: ignore[attr-defined]
    assert body["error"] == "bedside.refused" and code in _codes(body)
    with database.transaction(write=False) as session:
        check = session.get(BedsideCheck, body["check"]["id"])
        assert check is not None and check.ok is False
        assert code in [r["code"] for r in json.loads(check.reasons)]
        assert [r["code"] for r in json.loads(check.reasons)] == _codes(body)
        assert check.deviation_id is not None
        deviation = session.get(Deviation, check.deviation_id)
        lot = lot_service.get_by_din(session=session, din=lot_din)
        assert deviation is not None and deviation.lot_id == lot.id and deviation.state == "open"
        assert code in deviation.description
        assert body["check"]["deviation_number"] == deviation.number
        audited = session.execute(select(AuditEntry).where(
            col(AuditEntry.action) == "bedside.check_refused", col(AuditEntry.entity_id) == str(check.id))).scalars()
        assert len(list(audited)) == 1
        session.expunge(check)
    return check


def _nurse(app: FastAPI, people: Clinic) -> TestClient:
    return api_client(app, people.nurse)


def test_another_recipients_bag_is_refused_and_recorded(app: FastAPI, database: Database, settings: Settings) -> None:
    lot, people = at_clinic(database, settings)
    other_coi = enrol_eligible(database, settings, make_user(database, Role.INVESTIGATOR), subject="S-002",
                               mrn="MRN-2", family="Other", given="Patient")
    response = _nurse(app, people).post("/api/v1/bedside/checks", json=check_body(
        wristband(other_coi), bag_scan(database, lot.bag_ids[0]), people.doctor))
    check = _refused_and_recorded(database, response, "bedside.wrong_recipient", lot_din=lot.din)
    message = next(r["message"] for r in response.json()["reasons"] if r["code"] == "bedside.wrong_recipient")
    assert lot.coi in message and other_coi in message
    with database.transaction(write=False) as session:
        assert lot_service.get_by_din(session=session, din=lot.din).state == "on_hold"
        assert check.container_id == lot.bag_ids[0]


def test_a_bag_of_an_unreleased_lot_is_refused_and_recorded(
    app: FastAPI, database: Database, settings: Settings
) -> None:
    lot = formulated_lot(database, settings)
    people = clinic(database)
    response = _nurse(app, people).post("/api/v1/bedside/checks", json=check_body(
        wristband(lot.coi), bag_scan(database, lot.bag_ids[0]), people.doctor))
    _refused_and_recorded(database, response, "bedside.not_released", lot_din=lot.din)


def test_a_product_expired_by_minutes_is_refused_and_recorded(
    app: FastAPI, database: Database, settings: Settings
) -> None:
    lot, people = at_clinic(database, settings)
    with database.transaction() as session:
        row = lot_service.get_by_din(session=session, din=lot.din)
        row.expires_at = utcnow() - timedelta(minutes=3)
        session.add(row)
    response = _nurse(app, people).post("/api/v1/bedside/checks", json=check_body(
        wristband(lot.coi), bag_scan(database, lot.bag_ids[0]), people.doctor))
    _refused_and_recorded(database, response, "bedside.expired", lot_din=lot.din)
    assert "min ago" in next(r["message"] for r in response.json()["reasons"] if r["code"] == "bedside.expired")


def test_an_already_infused_bag_is_refused_and_recorded(
    app: FastAPI, database: Database, settings: Settings
) -> None:
    lot, people = at_clinic(database, settings)
    nurse = _nurse(app, people)
    scan = bag_scan(database, lot.bag_ids[0])
    passed = nurse.post("/api/v1/bedside/checks", json=check_body(wristband(lot.coi), scan, people.doctor))
    assert passed.status_code == 200, passed.json()
    infused = nurse.post("/api/v1/bedside/infusions", json=infusion_body(passed.json()["id"], people.nurse,
                                                                         people.doctor))
    assert infused.status_code == 201, infused.json()
    again = nurse.post("/api/v1/bedside/checks", json=check_body(wristband(lot.coi), scan, people.doctor))
    _refused_and_recorded(database, again, "bedside.bag_infused", lot_din=lot.din)


def test_a_dose_out_of_tolerance_is_refused_and_recorded(
    app: FastAPI, database: Database, settings: Settings
) -> None:
    lot, people = at_clinic(database, settings)
    with database.transaction() as session:  # the recipient weighs 80 kg today: 6.2e7 cells are 22% short
        recipient = enrolment_service.get_recipient(session=session, subject_code="S-001")
        enrolment_service.record_weight(session=session, actor=people.doctor.principal, recipient=recipient,
                                        data=enrolment_schemas.WeightCreate(visit_date=utcnow().date(),
                                                                            weight_kg=80.0), zone=settings.zone)
    response = _nurse(app, people).post("/api/v1/bedside/checks", json=check_body(
        wristband(lot.coi), bag_scan(database, lot.bag_ids[0]), people.doctor))
    _refused_and_recorded(database, response, "bedside.dose_out_of_tolerance", lot_din=lot.din)
    assert response.json()["check"]["dose_target_cells"] == 8.0e7


def test_one_clinician_cannot_act_as_both(app: FastAPI, database: Database, settings: Settings) -> None:
    lot, people = at_clinic(database, settings)
    response = _nurse(app, people).post("/api/v1/bedside/checks", json=check_body(
        wristband(lot.coi), bag_scan(database, lot.bag_ids[0]), people.nurse))
    check = _refused_and_recorded(database, response, "bedside.same_clinician", lot_din=lot.din)
    assert check.first_clinician_id == check.second_clinician_id == people.nurse.principal.user_id


def test_a_wrong_second_password_is_a_reason_and_counts_towards_lock_out(
    app: FastAPI, database: Database, settings: Settings
) -> None:
    lot, people = at_clinic(database, settings)
    response = _nurse(app, people).post("/api/v1/bedside/checks", json=check_body(
        wristband(lot.coi), bag_scan(database, lot.bag_ids[0]), people.doctor, password="not-the-password"))
    check = _refused_and_recorded(database, response, "bedside.second_clinician_not_authenticated", lot_din=lot.din)
    assert check.second_clinician_id is None
    assert "bedside.second_clinician_missing" not in _codes(response.json())
    with database.transaction(write=False) as session:
        failed = session.execute(select(AuditEntry).where(col(AuditEntry.action) == "auth.login_failed")).scalars()
        assert len(list(failed)) == 1


def test_every_reason_is_given_at_once(app: FastAPI, database: Database, settings: Settings) -> None:
    lot, people = at_clinic(database, settings)
    with database.transaction() as session:
        row = lot_service.get_by_din(session=session, din=lot.din)
        row.expires_at = utcnow() - timedelta(minutes=1)
        session.add(row)
        assert row.id is not None
        session.add(Alert(lot_id=row.id, kind="sterility_positive", message="growth at day 6: do not infuse"))
    other_coi = enrol_eligible(database, settings, make_user(database, Role.INVESTIGATOR), subject="S-002",
                               mrn="MRN-2")
    response = _nurse(app, people).post("/api/v1/bedside/checks", json=check_body(
        wristband(other_coi), bag_scan(database, lot.bag_ids[1]), None))
    assert response.status_code == 409
    assert set(_codes(response.json())) >= {"bedside.second_clinician_missing", "bedside.wrong_recipient",
                                            "bedside.expired", "bedside.lot_alert"}


def test_a_release_pending_sterility_needs_both_clinicians_to_acknowledge(
    app: FastAPI, database: Database, settings: Settings
) -> None:
    lot, people = at_clinic(database, settings, decision="released_pending_sterility")
    nurse = _nurse(app, people)
    acknowledged = nurse.post("/api/v1/bedside/checks", json=check_body(
        wristband(lot.coi), bag_scan(database, lot.bag_ids[0]), people.doctor, acknowledge=True))
    assert acknowledged.status_code == 200, acknowledged.json()
    refused = nurse.post("/api/v1/bedside/checks", json=check_body(
        wristband(lot.coi), bag_scan(database, lot.bag_ids[1]), people.doctor))
    _refused_and_recorded(database, refused, "bedside.pending_sterility_unacknowledged", lot_din=lot.din)
    assert _codes(refused.json()) == ["bedside.pending_sterility_unacknowledged"]


def test_a_bag_not_yet_received_at_the_clinic_is_refused(
    app: FastAPI, database: Database, settings: Settings
) -> None:
    lot = released_lot(database, settings)
    people = clinic(database)
    response = _nurse(app, people).post("/api/v1/bedside/checks", json=check_body(
        wristband(lot.coi), bag_scan(database, lot.bag_ids[0]), people.doctor))
    _refused_and_recorded(database, response, "bedside.not_received", lot_din=lot.din)


def test_unreadable_scans_are_recorded_without_a_deviation_and_never_a_server_error(
    app: FastAPI, database: Database, settings: Settings
) -> None:
    lot, people = at_clinic(database, settings)
    nurse = _nurse(app, people)
    for wristband_scan, bag in (("\x00garbage", "=+99000"), (bag_scan(database, lot.bag_ids[0]), wristband(lot.coi)),
                                ("ㅊㅗ", "=W000026999999 00"), ("x" * 4096, "y" * 4096)):
        response = nurse.post("/api/v1/bedside/checks", json=check_body(wristband_scan, bag, people.doctor))
        assert response.status_code == 409, response.text
        assert response.json()["reasons"] and response.json()["check"]["deviation_number"] is None
    with database.transaction(write=False) as session:
        assert session.execute(select(Deviation)).first() is None
        checks = list(session.execute(select(BedsideCheck)).scalars())
        assert len(checks) == 4 and not any(c.ok for c in checks)
        assert all(len(c.wristband_scan) <= 400 and c.wristband_scan.isascii() for c in checks)


def test_only_clinicians_check_and_read_checks(app: FastAPI, database: Database, settings: Settings) -> None:
    lot, people = at_clinic(database, settings)
    courier = api_client(app, people.courier)
    body = check_body(wristband(lot.coi), bag_scan(database, lot.bag_ids[0]), people.doctor)
    assert courier.post("/api/v1/bedside/checks", json=body).status_code == 403
    made = _nurse(app, people).post("/api/v1/bedside/checks", json=body)
    assert courier.get(f"/api/v1/bedside/checks/{made.json()['id']}").status_code == 403
    qa = api_client(app, lot.qa)
    assert qa.get(f"/api/v1/bedside/checks/{made.json()['id']}").json()["ok"] is True
    assert qa.get("/api/v1/bedside/checks/999999").status_code == 404
