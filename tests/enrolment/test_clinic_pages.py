"""The clinic's pages and the receiving station, through the browser's forms (CSRF included)."""

from __future__ import annotations

import re
from datetime import timedelta

from fastapi.testclient import TestClient

from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.models.base import utcnow
from batchtrack.models.user import Role

from builders import PATIENT_FAMILY, bag_scan, collected_bag, eligible_answers, enrol_eligible, make_user

HTML = {"accept": "text/html"}


def _sign_in(client: TestClient, username: str, password: str) -> None:
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login", headers=HTML).text)
    assert token
    response = client.post("/login", data={"username": username, "password": password, "csrf_token": token.group(1)},
                           headers=HTML, follow_redirects=False)
    assert response.status_code == 303


def _csrf(client: TestClient, path: str) -> str:
    page = client.get(path, headers=HTML)
    assert page.status_code == 200, page.text[:300]
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match
    return match.group(1)


def test_an_investigator_enrols_and_signs_eligibility_through_the_pages(client: TestClient, database: Database) -> None:
    investigator = make_user(database, Role.INVESTIGATOR)
    _sign_in(client, investigator.username, investigator.password)
    form = {"subject_code": "S-PAGE", "family_name": PATIENT_FAMILY, "given_name": "Eva", "date_of_birth": "1985-02-03",
            "mrn": "MRN-PAGE", "sex": "female", "indication": "nephritis",
            "consent_date": (utcnow().date() - timedelta(days=1)).isoformat(), "weight_kg": "61",
            "weight_date": utcnow().date().isoformat(), "csrf_token": _csrf(client, "/subjects/new")}
    enrolled = client.post("/subjects/new", data=form, headers=HTML, follow_redirects=False)
    assert enrolled.status_code == 303 and enrolled.headers["location"].endswith("/subjects/S-PAGE")
    page = client.get("/subjects/S-PAGE", headers=HTML).text
    assert "INC-SLE" in page and "Sign the assessment" in page
    answers = {f"answer-{cid}": "yes" if holds else "no" for cid, holds in eligible_answers().items()}
    signed = client.post("/subjects/S-PAGE/eligibility", headers=HTML, follow_redirects=False, data={
        **answers, "prescribed_cells_per_kg": "1000000", **investigator.credentials,
        "csrf_token": _csrf(client, "/subjects/S-PAGE")})
    assert signed.status_code == 303
    page = client.get("/subjects/S-PAGE", headers=HTML).text
    assert 'id="eligibility"' in page and "Eligible" in page and "CHW0000" in page


def test_the_subject_page_hides_identity_from_an_operator(
    client: TestClient, database: Database, settings: Settings
) -> None:
    investigator = make_user(database, Role.INVESTIGATOR)
    enrol_eligible(database, settings, investigator)
    operator = make_user(database, Role.OPERATOR)
    _sign_in(client, operator.username, operator.password)
    page = client.get("/subjects/S-001", headers=HTML)
    assert page.status_code == 200 and "S-001" in page.text
    assert PATIENT_FAMILY not in page.text and PATIENT_FAMILY.upper() not in page.text


def test_the_receiving_station_accepts_a_scanned_bag_and_shows_the_lot(
    client: TestClient, database: Database, settings: Settings
) -> None:
    clinician = make_user(database, Role.INVESTIGATOR, Role.COLLECTOR)
    coi = enrol_eligible(database, settings, clinician)
    din = collected_bag(database, settings, clinician, coi)
    operator = make_user(database, Role.OPERATOR)
    _sign_in(client, operator.username, operator.password)
    response = client.post("/receiving", headers=HTML, data={
        "expected_din": din, "scan": bag_scan(din), "temperature_c": "19.5", "bag_intact": "on", "seal_intact": "on",
        "label_legible": "on", "no_clots": "on", "decision": "accept", "csrf_token": _csrf(client, "/receiving")})
    assert response.status_code == 201
    assert "ACCEPTED" in response.text and f"/lots/{din}" in response.text


def test_the_receiving_station_refuses_an_unchecked_inspection_for_acceptance(
    client: TestClient, database: Database, settings: Settings
) -> None:
    clinician = make_user(database, Role.INVESTIGATOR, Role.COLLECTOR)
    din = collected_bag(database, settings, clinician, enrol_eligible(database, settings, clinician))
    operator = make_user(database, Role.OPERATOR)
    _sign_in(client, operator.username, operator.password)
    response = client.post("/receiving", headers=HTML, data={
        "expected_din": din, "scan": bag_scan(din), "temperature_c": "19.5", "bag_intact": "on",
        "decision": "accept", "csrf_token": _csrf(client, "/receiving")})
    assert response.status_code == 409
    assert "receipt.inspection.seal_intact" in response.text and 'role="alert"' in response.text
