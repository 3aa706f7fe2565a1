"""Notifications delivered by SMTP to a local server: the right recipient, subject and text; no patient identity
for a role that may not see it; nothing sent for a change rolled back; a failing server leaves the message for a
retry, and the last failed attempt gives it up."""

from __future__ import annotations

from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from fastapi import FastAPI
from fastapi.testclient import TestClient
from notification_builders import Inbox, outbox, outbox_once_sent, subscribe

from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.models.base import utcnow
from batchtrack.models.notification import NotificationKind
from batchtrack.models.user import Role, User
from batchtrack.notifications import delivery, rules

from builders import PATIENT_DOB, PATIENT_FAMILY, PATIENT_GIVEN, PATIENT_MRN, make_user, seed_lot
from deviation_builders import HTML, csrf_of, open_deviation
from quality_builders import enter, enter_conforming, lot_in_qc

IDENTITY = (PATIENT_FAMILY, PATIENT_GIVEN, PATIENT_MRN, PATIENT_DOB.isoformat())
NAMING_THE_PATIENT = f"Label of {PATIENT_GIVEN} {PATIENT_FAMILY} ({PATIENT_MRN}) smudged at receipt."


def test_a_deviation_opened_is_mailed_to_qa_without_the_patients_identity(
    mail_app: FastAPI, database: Database, mail_settings: Settings, inbox: Inbox
) -> None:
    lot = seed_lot(database, mail_settings)
    qa = make_user(database, Role.QA)
    subscribe(database, qa, "qa@facility.example", NotificationKind.DEVIATION_OPENED)
    number = open_deviation(database, lot.din, qa, description=NAMING_THE_PATIENT)

    [(recipients, mail)] = inbox.wait_for(1)
    assert recipients == ["qa@facility.example"] and mail["To"] == "qa@facility.example"
    assert mail["From"] == "batchtrack@facility.example"
    assert mail["Subject"] == f"Deviation {number} opened on lot {lot.din}"
    body = mail.get_content()
    assert lot.din in body and lot.coi in body and "S-001" in body and "smudged at receipt" in body
    for secret in IDENTITY:
        assert secret.lower() not in (body + mail["Subject"]).lower(), secret
    [row] = outbox_once_sent(database)
    assert row.status == "delivered" and row.attempts == 1 and row.delivered_at is not None


def test_a_positive_sterility_after_release_names_the_patient_to_the_clinician_only(
    mail_app: FastAPI, database: Database, mail_settings: Settings, inbox: Inbox
) -> None:
    qc = lot_in_qc(database, mail_settings)
    enter_conforming(database, qc, skip=("sterility",))
    enter(database, qc, "sterility", text="no growth", status="preliminary", day=2)
    with database.transaction() as session:  # the release itself is QA's decision, tested with the release
        from batchtrack.lots import service as lot_service

        lot = lot_service.get_by_din(session=session, din=qc.din, for_update=True)
        lot.state = "released_pending_sterility"
        session.add(lot)
    clinician = make_user(database, Role.INVESTIGATOR)
    subscribe(database, clinician, "doctor@clinic.example", NotificationKind.POSITIVE_STERILITY)
    subscribe(database, qc.qa, "qa@facility.example", NotificationKind.POSITIVE_STERILITY)

    enter(database, qc, "sterility", text="growth", status="preliminary", day=5)

    received = {recipients[0]: mail for recipients, mail in inbox.wait_for(2)}
    assert set(received) == {"doctor@clinic.example", "qa@facility.example"}
    for mail in received.values():
        assert mail["Subject"].startswith(f"URGENT: lot {qc.din} was released")
        assert "Inform the treating physician" in mail.get_content() and qc.coi in mail.get_content()
    doctor, qa = received["doctor@clinic.example"].get_content(), received["qa@facility.example"].get_content()
    mrn = "MRN-S-001"  # the MRN lot_in_qc enrols its subject with
    assert f"Patient: {PATIENT_FAMILY.upper()}, {PATIENT_GIVEN}" in doctor and f"MRN: {mrn}" in doctor
    assert f"Date of birth: {PATIENT_DOB.isoformat()}" in doctor
    for secret in (PATIENT_FAMILY, PATIENT_GIVEN, mrn, PATIENT_DOB.isoformat()):
        assert secret.lower() not in qa.lower(), secret


def test_an_out_of_specification_result_is_mailed_to_qc_and_qa(
    mail_app: FastAPI, database: Database, mail_settings: Settings, inbox: Inbox
) -> None:
    qc = lot_in_qc(database, mail_settings)
    subscribe(database, qc.analyst, "qc@facility.example", NotificationKind.OUT_OF_SPECIFICATION)
    enter(database, qc, "viability", value=40)
    [(recipients, mail)] = inbox.wait_for(1)
    assert recipients == ["qc@facility.example"]
    assert mail["Subject"].startswith("Out of specification: ") and qc.din in mail["Subject"]
    assert "Result: 40" in mail.get_content() and "Deviation: DEV-" in mail.get_content()


def test_a_locked_account_is_mailed_to_the_administrator(
    mail_app: FastAPI, database: Database, mail_settings: Settings, inbox: Inbox
) -> None:
    admin = make_user(database, Role.ADMIN)
    subscribe(database, admin, "admin@facility.example", NotificationKind.ACCOUNT_LOCKED)
    victim = make_user(database, Role.OPERATOR)
    with TestClient(mail_app, raise_server_exceptions=False) as browser:
        for _attempt in range(mail_settings.login_max_failures):
            token = csrf_of(browser, "/login")
            browser.post("/login", data={"username": victim.username, "password": "wrong-" + victim.password,
                                         "csrf_token": token}, headers=HTML, follow_redirects=False)
    [(recipients, mail)] = inbox.wait_for(1)
    assert recipients == ["admin@facility.example"]
    assert mail["Subject"] == f"Account {victim.username} locked"
    assert "Locked until: " in mail.get_content()


def test_a_change_rolled_back_sends_nothing(
    mail_app: FastAPI, database: Database, mail_settings: Settings, inbox: Inbox
) -> None:
    lot = seed_lot(database, mail_settings)
    qa = make_user(database, Role.QA)
    subscribe(database, qa, "qa@facility.example", NotificationKind.DEVIATION_OPENED)
    with pytest.raises(RuntimeError), database.transaction() as session:
        from batchtrack.deviations import service as deviation_service
        from batchtrack.lots import service as lot_service

        deviation_service.open_deviation(session=session, actor=qa.principal, description="never kept",
                                         lot=lot_service.get_by_din(session=session, din=lot.din))
        raise RuntimeError("the change fails after the deviation was written")
    assert outbox(database) == []
    assert delivery.Courier(mail_settings, database).deliver_due() == delivery.Delivered()
    assert inbox.messages == []


def test_a_failing_mail_server_leaves_the_message_for_a_retry(
    database: Database, mail_settings: Settings, smtp_port: int
) -> None:
    lot = seed_lot(database, mail_settings)
    qa = make_user(database, Role.QA)
    subscribe(database, qa, "qa@facility.example", NotificationKind.DEVIATION_OPENED)
    open_deviation(database, lot.din, qa)
    courier = delivery.Courier(mail_settings, database)  # nothing listens on the port yet

    failed_at = utcnow()
    assert courier.deliver_due(now=failed_at) == delivery.Delivered(retried=1)
    [row] = outbox(database)
    assert row.status == "pending" and row.attempts == 1 and "Connection" in row.last_error
    assert row.next_attempt_at == failed_at + rules.FIRST_RETRY

    received = Inbox()
    server = Controller(received, hostname="127.0.0.1", port=smtp_port)
    server.start()
    try:
        assert courier.deliver_due(now=failed_at + timedelta(seconds=30)) == delivery.Delivered()  # not yet due
        assert courier.deliver_due(now=failed_at + timedelta(minutes=2)) == delivery.Delivered(delivered=1)
        [(recipients, _mail)] = received.wait_for(1)
    finally:
        server.stop()
    assert recipients == ["qa@facility.example"]
    [row] = outbox(database)
    assert row.status == "delivered" and row.attempts == 2 and row.last_error == ""


def test_a_message_is_given_up_after_its_last_failed_attempt(database: Database, mail_settings: Settings) -> None:
    lot = seed_lot(database, mail_settings)
    qa = make_user(database, Role.QA)
    subscribe(database, qa, "qa@facility.example", NotificationKind.DEVIATION_OPENED)
    open_deviation(database, lot.din, qa)
    courier = delivery.Courier(mail_settings, database)
    moment = utcnow()
    outcomes = []
    for _attempt in range(rules.MAX_ATTEMPTS):
        outcomes.append(courier.deliver_due(now=moment))
        moment += rules.LONGEST_WAIT + timedelta(minutes=1)
    assert outcomes[-1] == delivery.Delivered(failed=1)
    assert all(o == delivery.Delivered(retried=1) for o in outcomes[:-1])
    [row] = outbox(database)
    assert row.status == "failed" and row.attempts == rules.MAX_ATTEMPTS
    assert courier.deliver_due(now=moment) == delivery.Delivered()


def test_mail_is_written_in_the_recipients_language(
    mail_app: FastAPI, database: Database, mail_settings: Settings, inbox: Inbox
) -> None:
    lot = seed_lot(database, mail_settings)
    qa = make_user(database, Role.QA)
    with database.transaction() as session:
        user = session.get(User, qa.principal.user_id)
        assert user is not None
        user.language = "ko"
        session.add(user)
    subscribe(database, qa, "qa@facility.example", NotificationKind.DEVIATION_OPENED)
    number = open_deviation(database, lot.din, qa)
    [(_recipients, mail)] = inbox.wait_for(1)
    assert mail["Subject"] == f"로트 {lot.din}에 일탈 {number} 등록"
    body = mail.get_content()
    assert body.startswith("일탈이 등록되었습니다.") and f"DIN: {lot.din}" in body and "대상자 번호: S-001" in body
    assert "batchtrack(Test Cell Therapy Facility)에서 보낸 메일입니다." in body


def test_no_mail_server_set_sends_nothing_and_keeps_the_message(
    app: FastAPI, database: Database, settings: Settings
) -> None:
    lot = seed_lot(database, settings)
    qa = make_user(database, Role.QA)
    subscribe(database, qa, "qa@facility.example", NotificationKind.DEVIATION_OPENED)
    open_deviation(database, lot.din, qa)
    assert delivery.Courier(settings, database).deliver_due() == delivery.Delivered()
    [row] = outbox(database)
    assert row.status == "pending" and row.attempts == 0
