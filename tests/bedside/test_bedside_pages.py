"""The bedside, shipment and receipt pages through the browser's forms (CSRF included), without JavaScript."""

from __future__ import annotations

import html
import io
import re

from fastapi.testclient import TestClient
from PIL import Image
from sqlmodel import select

from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.labels import export
from batchtrack.lots import service as lot_service
from batchtrack.models.bedside import BedsideCheck
from batchtrack.models.deviation import Deviation
from batchtrack.models.user import Role

from bedside_builders import VITALS, at_clinic, bag_scan, bag_scans, clinic, released_lot, wristband
from builders import PATIENT_FAMILY, UserHandle, enrol_eligible, make_user

HTML = {"accept": "text/html"}


def _sign_in(client: TestClient, user: UserHandle) -> None:
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login", headers=HTML).text)
    assert token
    response = client.post("/login", data={"username": user.username, "password": user.password,
                                           "csrf_token": token.group(1)}, headers=HTML, follow_redirects=False)
    assert response.status_code == 303


def _csrf(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match
    return match.group(1)


def _focused(page: str) -> str:
    """The id of the one field with autofocus."""
    found = re.findall(r'<(?:input|textarea)[^>]*\bid="([^"]+)"[^>]*\bautofocus\b', page)
    assert len(found) == 1, found
    return str(found[0])


def _shown_scans(page: str) -> dict[str, str]:
    """The scans the page showed side by side, which its confirmation sends back."""
    return {name: html.unescape(re.search(rf'name="{name}" value="([^"]*)"', page).group(1))  # type: ignore[union-attr]
            for name in ("shown_wristband", "shown_bag")}


def _checks(database: Database) -> list[BedsideCheck]:
    with database.transaction(write=False) as session:
        return list(session.execute(select(BedsideCheck)).scalars())


def test_the_bedside_page_asks_for_each_field_in_turn_then_records_the_check_and_the_infusion(
    client: TestClient, database: Database, settings: Settings
) -> None:
    lot, people = at_clinic(database, settings)
    _sign_in(client, people.nurse)
    page = client.get("/bedside", headers=HTML).text
    assert _focused(page) == "wristband" and 'capture="environment"' in page
    token = _csrf(page)
    form = {"csrf_token": token, "wristband_scan": wristband(lot.coi)}
    step = client.post("/bedside", data=form, headers=HTML)
    assert step.status_code == 200 and _focused(step.text) == "bag"
    assert f"{PATIENT_FAMILY.upper()}, " in step.text  # the wristband's recipient, to confirm by eye
    form["bag_scan"] = bag_scan(database, lot.bag_ids[0])
    step = client.post("/bedside", data=form, headers=HTML)
    assert _focused(step.text) == "second" and "lot " + lot.din in step.text
    assert re.findall(r'class="match-([a-z]+) matches"', step.text) == [
        "recipient", "coi", "din", "product", "expiry", "dose", "release"]
    assert _checks(database) == []
    form |= {"second_clinician": people.doctor.username, **_shown_scans(step.text)}
    step = client.post("/bedside", data={**form, "step": "next"}, headers=HTML)
    assert _focused(step.text) == "second-password" and _checks(database) == []
    form |= {"second_password": people.doctor.password}
    proceed = client.post("/bedside", data={**form, "step": "record"}, headers=HTML)
    assert proceed.status_code == 200 and "PASS" in proceed.text and "Record the infusion" in proceed.text
    assert people.doctor.password not in proceed.text
    [check] = _checks(database)
    assert check.ok

    infusion = {"csrf_token": token, "check_id": str(check.id), "started_at": "", "ended_at": "",
                "volume_ml": "49.5", "adverse_reactions": "", **people.nurse.credentials,
                "second_clinician": people.doctor.username, "second_password": people.doctor.password}
    infusion |= {f"{when}_{name}": str(value) for when in ("before", "after") for name, value in VITALS.items()}
    incomplete = client.post("/bedside/infusions", data=infusion, headers=HTML)
    assert incomplete.status_code == 422 and "STOP" in incomplete.text and "started_at" in incomplete.text
    zone_now = check.checked_at.astimezone(settings.zone)
    infusion |= {"started_at": zone_now.strftime("%Y-%m-%dT%H:%M"),
                 "ended_at": (zone_now.replace(second=59)).strftime("%Y-%m-%dT%H:%M:%S")}
    recorded = client.post("/bedside/infusions", data=infusion, headers=HTML)
    assert recorded.status_code == 200, recorded.text[-2000:]
    assert "PROCEED" in recorded.text and "infusion of bag A0 recorded" in recorded.text
    assert "Infusion recorded" in recorded.text and "reviewed by" in recorded.text


def test_a_bag_for_another_recipient_shows_stop_and_is_recorded_only_when_the_second_clinician_confirms(
    client: TestClient, database: Database, settings: Settings
) -> None:
    lot, people = at_clinic(database, settings)
    other = enrol_eligible(database, settings, make_user(database, Role.INVESTIGATOR),
                           subject="S-002", mrn="MRN-2")
    _sign_in(client, people.nurse)
    token = _csrf(client.get("/bedside", headers=HTML).text)
    form = {"csrf_token": token, "wristband_scan": wristband(other), "bag_scan": bag_scan(database, lot.bag_ids[0])}
    preview = client.post("/bedside", headers=HTML, data={**form, "step": "next"})
    assert preview.status_code == 200 and "STOP" in preview.text and "bedside.wrong_recipient" in preview.text
    assert re.search(r'class="match-recipient differs"', preview.text)
    assert re.search(r'class="match-coi differs"', preview.text)
    assert re.search(r'class="match-expiry matches"', preview.text)
    assert _focused(preview.text) == "second" and _checks(database) == []

    form |= {"second_clinician": people.doctor.username, "second_password": people.doctor.password,
             **_shown_scans(preview.text)}
    stop = client.post("/bedside", headers=HTML, data={**form, "step": "record"})
    assert stop.status_code == 409 and "STOP" in stop.text and "bedside.wrong_recipient" in stop.text
    assert "bedside.second_clinician_missing" not in stop.text
    assert _focused(stop.text) == "wristband" and 'value=""' in stop.text
    [check] = _checks(database)
    assert not check.ok and check.second_clinician_id is not None and check.deviation_id is not None
    with database.transaction(write=False) as session:
        deviation = session.get(Deviation, check.deviation_id)
        assert deviation is not None and deviation.number in stop.text and deviation.origin == "bedside_check"
        assert lot_service.get_by_din(session=session, din=lot.din).state == "on_hold"


def test_a_confirmation_of_scans_the_screen_did_not_show_records_nothing(
    client: TestClient, database: Database, settings: Settings
) -> None:
    lot, people = at_clinic(database, settings)
    _sign_in(client, people.nurse)
    token = _csrf(client.get("/bedside", headers=HTML).text)
    page = client.post("/bedside", headers=HTML, data={
        "csrf_token": token, "wristband_scan": wristband(lot.coi), "bag_scan": bag_scan(database, lot.bag_ids[0]),
        "second_clinician": people.doctor.username, "second_password": people.doctor.password, "step": "record",
        "shown_wristband": wristband(lot.coi), "shown_bag": bag_scan(database, lot.bag_ids[1])})
    assert page.status_code == 200 and "A scan changed after the screen showed it" in page.text
    assert _focused(page.text) == "second-password" and _checks(database) == []


def test_a_mistyped_second_password_is_asked_again_without_recording_a_check(
    client: TestClient, database: Database, settings: Settings
) -> None:
    lot, people = at_clinic(database, settings)
    _sign_in(client, people.nurse)
    token = _csrf(client.get("/bedside", headers=HTML).text)
    page = client.post("/bedside", headers=HTML, data={
        "csrf_token": token, "wristband_scan": wristband(lot.coi), "bag_scan": bag_scan(database, lot.bag_ids[0]),
        "second_clinician": people.doctor.username, "second_password": "Wrong-Password-1", "step": "record",
        "shown_wristband": wristband(lot.coi), "shown_bag": bag_scan(database, lot.bag_ids[0])})
    assert page.status_code == 200 and _focused(page.text) == "second-password"
    assert "could not be authenticated" in page.text and _checks(database) == []


def test_a_photo_of_the_bag_fills_the_bag_field(client: TestClient, database: Database, settings: Settings) -> None:
    lot, people = at_clinic(database, settings)
    with database.transaction(write=False) as session:
        png = export.preview_image(session=session, settings=settings, din=lot.din, container_id=lot.bag_ids[0],
                                   viewer=people.nurse.principal, fmt="png")
    photo = Image.open(io.BytesIO(png)).convert("L").rotate(90, expand=True)
    photo = photo.resize((round(photo.width * 0.6), round(photo.height * 0.6)))
    out = io.BytesIO()
    photo.save(out, "JPEG", quality=85)
    _sign_in(client, people.nurse)
    token = _csrf(client.get("/bedside", headers=HTML).text)
    page = client.post("/bedside", headers=HTML, data={"csrf_token": token, "wristband_scan": wristband(lot.coi)},
                       files={"bag_photo": ("bag.jpg", out.getvalue(), "image/jpeg"),
                              "wristband_photo": ("", b"", "application/octet-stream")})
    assert page.status_code == 200, page.text[-1500:]
    assert "read from the photo" in page.text and _focused(page.text) == "second"
    assert f'value="{bag_scan(database, lot.bag_ids[0])}"' in html.unescape(page.text)
    unreadable = client.post("/bedside", headers=HTML, data={"csrf_token": token},
                             files={"wristband_photo": ("w.jpg", b"not a photo", "image/jpeg")})
    assert unreadable.status_code == 200 and "could not be read" in unreadable.text
    assert _focused(unreadable.text) == "wristband"


def test_the_bedside_is_for_clinicians_only(client: TestClient, database: Database) -> None:
    courier = make_user(database, Role.COURIER)
    _sign_in(client, courier)
    assert client.get("/bedside", headers=HTML).status_code == 403


def test_the_ship_and_receive_pages_record_the_hand_overs(
    client: TestClient, database: Database, settings: Settings
) -> None:
    lot = released_lot(database, settings)
    people = clinic(database)
    scans = "\r\n".join(bag_scans(database, lot)) + "\r\n"
    _sign_in(client, lot.bench.operator)
    page = client.get(f"/lots/{lot.din}/ship", headers=HTML).text
    assert _focused(page) == "scans" and "A0, B0" in page
    form = {"csrf_token": _csrf(page), "scans": scans, "courier": people.courier.username, "temperature_c": "40",
            "location": "dispatch"}
    refused = client.post(f"/lots/{lot.din}/ship", data=form, headers=HTML)
    assert refused.status_code == 409 and "STOP" in refused.text and "handover.temperature" in refused.text
    shipped = client.post(f"/lots/{lot.din}/ship", data={**form, "temperature_c": "7"}, headers=HTML)
    assert shipped.status_code == 200 and "PROCEED" in shipped.text and "2 bag(s)" in shipped.text

    client.cookies.clear()
    _sign_in(client, people.nurse)
    page = client.get("/clinic/receive", headers=HTML).text
    assert _focused(page) == "scans"
    received = client.post("/clinic/receive", headers=HTML, data={
        "csrf_token": _csrf(page), "scans": scans, "courier": people.courier.username, "temperature_c": "7.5",
        "location": "ward 5"})
    assert received.status_code == 200 and "PROCEED" in received.text and lot.din in received.text
    with database.transaction(write=False) as session:
        assert lot_service.get_by_din(session=session, din=lot.din).state == "at_clinic"
    nothing = client.post("/clinic/receive", headers=HTML, data={
        "csrf_token": _csrf(page), "scans": "junk", "courier": people.courier.username, "temperature_c": "7.5",
        "location": "ward 5"})
    assert nothing.status_code == 404 and "STOP" in nothing.text


def test_a_misread_scan_is_asked_again_and_not_recorded(
    client: TestClient, database: Database, settings: Settings
) -> None:
    lot, people = at_clinic(database, settings)
    _sign_in(client, people.nurse)
    token = _csrf(client.get("/bedside", headers=HTML).text)
    garbled = client.post("/bedside", headers=HTML, data={"csrf_token": token, "wristband_scan": "&/CHW00\x07"})
    assert garbled.status_code == 200 and _focused(garbled.text) == "wristband"
    assert 'id="wristband-problems"' in garbled.text and "\\x07" in garbled.text
    assert 'name="wristband_scan" class="scan-field touch" value=""' in garbled.text
    half_a_bag = bag_scan(database, lot.bag_ids[0])[:30]
    page = client.post("/bedside", headers=HTML, data={"csrf_token": token, "wristband_scan": wristband(lot.coi),
                                                       "bag_scan": half_a_bag})
    assert page.status_code == 200 and _focused(page.text) == "bag" and 'id="bag-problems"' in page.text
    assert _checks(database) == []


def test_a_release_pending_sterility_is_acknowledged_before_the_confirmation_records_it(
    client: TestClient, database: Database, settings: Settings
) -> None:
    lot, people = at_clinic(database, settings, decision="released_pending_sterility")
    _sign_in(client, people.nurse)
    token = _csrf(client.get("/bedside", headers=HTML).text)
    form = {"csrf_token": token, "wristband_scan": wristband(lot.coi), "bag_scan": bag_scan(database, lot.bag_ids[0])}
    preview = client.post("/bedside", headers=HTML, data=form)
    assert 'id="acknowledge"' in preview.text and "released before its final sterility result" in preview.text
    assert 'class="match-release matches"' in preview.text
    form |= {"second_clinician": people.doctor.username, "second_password": people.doctor.password,
             "step": "record", **_shown_scans(preview.text)}
    asked = client.post("/bedside", headers=HTML, data=form)
    assert asked.status_code == 200 and _focused(asked.text) == "acknowledge" and _checks(database) == []
    passed = client.post("/bedside", headers=HTML, data={**form, "acknowledge_pending_sterility": "yes"})
    assert passed.status_code == 200 and "PASS" in passed.text
    [check] = _checks(database)
    assert check.ok
