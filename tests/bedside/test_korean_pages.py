"""The bedside in Korean: the recipient's name as written (Hangul) and romanised, the wristband and the bag's label
compared field by field, and every refusal in Korean on the page and in the API (the record stays in English)."""

from __future__ import annotations

import json
import re

from conftest import api_client
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import select

from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.models.bedside import BedsideCheck
from batchtrack.models.user import Role

from bedside_builders import (
    HONG_GILDONG,
    KIM_SEOYEON,
    at_clinic,
    bag_scan,
    check_body,
    name_recipient,
    wristband,
)
from builders import PATIENT_DOB, UserHandle, enrol_eligible, make_user

KOREAN = {"accept": "text/html", "accept-language": "ko-KR,ko;q=0.9"}
NOT_FOR_THIS_PATIENT = "이 제품은 이 환자의 것이 아닙니다"


def _sign_in(client: TestClient, user: UserHandle) -> str:
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login", headers=KOREAN).text)
    assert token
    response = client.post("/login", data={"username": user.username, "password": user.password,
                                           "csrf_token": token.group(1)}, headers=KOREAN, follow_redirects=False)
    assert response.status_code == 303
    page = client.get("/bedside", headers=KOREAN).text
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found
    return found.group(1)


def _row(page: str, row_id: str) -> str:
    """The HTML of one row of a comparison table."""
    match = re.search(rf'<tr class="([^"]*)" id="{row_id}"[^>]*>(.*?)</tr>', page, re.S)
    assert match, row_id
    return f'{match.group(1)} {match.group(2)}'


def test_the_bedside_in_korean_shows_the_name_as_written_and_romanised_and_compares_both(
    client: TestClient, database: Database, settings: Settings
) -> None:
    lot, people = at_clinic(database, settings)
    name_recipient(database, lot.coi, HONG_GILDONG)
    token = _sign_in(client, people.nurse)
    form = {"csrf_token": token, "wristband_scan": wristband(lot.coi)}
    step = client.post("/bedside", data=form, headers=KOREAN)
    assert step.status_code == 200 and '<html lang="ko">' in step.text
    assert '<p class="bedside-name" id="recipient-name" lang="ko">홍길동</p>' in step.text
    assert 'id="recipient-name-latin" lang="en">HONG, Gildong</p>' in step.text
    assert f"생년월일 {PATIENT_DOB.isoformat()}" in step.text and "투여 전 병상 신원 확인" in step.text

    form["bag_scan"] = bag_scan(database, lot.bag_ids[0])
    step = client.post("/bedside", data=form, headers=KOREAN)
    assert step.status_code == 200 and f"로트 {lot.din}의 완제품" in step.text
    row = _row(step.text, "comparison-recipient")
    for shown in ("홍길동", "HONG, Gildong", PATIENT_DOB.isoformat()):
        assert "differs" not in row and row.count(shown) == 2 and "일치" in row

    form |= {"second_clinician": people.doctor.username, "second_password": people.doctor.password,
             "shown_wristband": form["wristband_scan"], "shown_bag": form["bag_scan"], "step": "record"}
    proceed = client.post("/bedside", data=form, headers=KOREAN)
    assert proceed.status_code == 200 and "두 의료진이 신원을 확인했습니다" in proceed.text
    assert 'id="recipient-name" lang="ko">홍길동</p>' in proceed.text and "투여 기록 및 서명" in proceed.text
    assert "comparison-name" in proceed.text


def test_another_recipients_bag_is_refused_in_korean_with_both_names_side_by_side(
    client: TestClient, database: Database, settings: Settings
) -> None:
    lot, people = at_clinic(database, settings)
    name_recipient(database, lot.coi, HONG_GILDONG)
    other = enrol_eligible(database, settings, make_user(database, Role.INVESTIGATOR), subject="S-002", mrn="MRN-2")
    name_recipient(database, other, KIM_SEOYEON)
    token = _sign_in(client, people.nurse)
    form = {"csrf_token": token, "wristband_scan": wristband(other), "bag_scan": bag_scan(database, lot.bag_ids[0])}
    preview = client.post("/bedside", headers=KOREAN, data=form)
    assert preview.status_code == 200 and NOT_FOR_THIS_PATIENT in preview.text
    assert "아직 기록되지 않았습니다" in preview.text
    stop = client.post("/bedside", headers=KOREAN, data={
        **form, "second_clinician": people.doctor.username, "second_password": people.doctor.password,
        "shown_wristband": form["wristband_scan"], "shown_bag": form["bag_scan"], "step": "record"})
    assert stop.status_code == 409 and "bedside.wrong_recipient" in stop.text
    assert NOT_FOR_THIS_PATIENT in stop.text and "이 백을 투여하지 마십시오" in stop.text
    recipient = _row(stop.text, "stopped-comparison-recipient")
    assert "differs" in recipient and "김서연" in recipient and "홍길동" in recipient and "불일치" in recipient
    assert "KIM, Seoyeon" in recipient and "HONG, Gildong" in recipient
    assert "differs" not in _row(stop.text, "stopped-comparison-expiry")  # the bag itself is in date
    with database.transaction(write=False) as session:
        [check] = list(session.execute(select(BedsideCheck)).scalars())
        recorded = {r["code"]: r["message"] for r in json.loads(check.reasons)}
    assert "this product is not for this patient" in recorded["bedside.wrong_recipient"]


def test_the_api_refuses_in_the_readers_language_and_records_in_english(
    app: FastAPI, database: Database, settings: Settings
) -> None:
    lot, people = at_clinic(database, settings)
    other = enrol_eligible(database, settings, make_user(database, Role.INVESTIGATOR), subject="S-002", mrn="MRN-2")
    nurse = api_client(app, people.nurse)
    body = check_body(wristband(other), bag_scan(database, lot.bag_ids[0]), people.doctor)
    korean = nurse.post("/api/v1/bedside/checks", json=body, headers={"accept-language": "ko"})
    assert korean.status_code == 409 and korean.json()["message"] == "중지: 이 백을 투여하지 마십시오"
    reason = next(r for r in korean.json()["reasons"] if r["code"] == "bedside.wrong_recipient")
    assert NOT_FOR_THIS_PATIENT in reason["message"] and lot.coi in reason["message"] and other in reason["message"]
    recorded = next(r for r in korean.json()["check"]["reasons"] if r["code"] == "bedside.wrong_recipient")
    assert "this product is not for this patient" in recorded["message"]
    english = nurse.post("/api/v1/bedside/checks", json=body)
    assert english.json()["message"] == "STOP: do not infuse this bag"
    answered = english.json()
    assert [r["message"] for r in answered["reasons"]] == [r["message"] for r in answered["check"]["reasons"]]
