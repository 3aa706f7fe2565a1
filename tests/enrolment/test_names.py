"""A subject and a directed donor enrolled with the name as written (Hangul) and romanised, through the API and the
pages: the romanised name suggested from the Hangul, refused unless in Latin letters, kept out of the audit trail."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable
from datetime import timedelta

from fastapi.testclient import TestClient
from security.support import HTML, form_csrf, post_login

from batchtrack.audit import service as audit_service
from batchtrack.db import Database
from batchtrack.models.base import utcnow
from batchtrack.models.party import Donor, Recipient
from batchtrack.models.user import Role

from builders import PATIENT_FAMILY, PATIENT_MRN, UserHandle, make_user

ClientFactory = Callable[..., tuple[TestClient, UserHandle]]


def enrolment_body(subject: str = "S-201", **extra: object) -> dict[str, object]:
    return {"subject_code": subject, "family_name": "김", "given_name": "수아", "date_of_birth": "1991-04-17",
            "mrn": f"MRN-{subject}", "indication": "nephritis",
            "consent_date": (utcnow().date() - timedelta(days=2)).isoformat(), **extra}


def stored(database: Database, subject: str) -> Recipient:
    with database.transaction(write=False) as session:
        recipient = session.query(Recipient).filter_by(subject_code=subject).one()
        session.expunge(recipient)
        return recipient


def test_a_hangul_name_sent_alone_is_recorded_with_its_suggested_romanisation(
    as_role: ClientFactory, database: Database
) -> None:
    client, _ = as_role(Role.INVESTIGATOR)
    enrolled = client.post("/api/v1/recipients", json=enrolment_body())
    assert enrolled.status_code == 201, enrolled.text
    body = enrolled.json()
    assert (body["family_name"], body["given_name"]) == ("김", "수아")
    assert (body["family_name_latin"], body["given_name_latin"]) == ("Kim", "Sua")
    assert (body["written_name"], body["romanised_name"]) == ("김수아", "KIM, Sua")
    recipient = stored(database, "S-201")
    assert (recipient.family_name_latin, recipient.given_name_latin) == ("Kim", "Sua")


def test_a_romanised_name_sent_is_recorded_as_sent(as_role: ClientFactory) -> None:
    client, _ = as_role(Role.INVESTIGATOR)
    body = client.post("/api/v1/recipients", json=enrolment_body(
        family_name="남궁", given_name="민수", family_name_latin="Namkoong", given_name_latin="Min-soo")).json()
    assert (body["written_name"], body["romanised_name"]) == ("남궁민수", "NAMKOONG, Min-soo")


def test_an_existing_client_sending_a_latin_name_alone_records_no_romanisation(as_role: ClientFactory) -> None:
    client, _ = as_role(Role.INVESTIGATOR)
    body = client.post("/api/v1/recipients", json=enrolment_body(
        family_name=PATIENT_FAMILY, given_name="Ana", mrn=PATIENT_MRN)).json()
    assert (body["family_name"], body["family_name_latin"], body["given_name_latin"]) == (PATIENT_FAMILY, "", "")
    assert (body["written_name"], body["romanised_name"]) == (f"{PATIENT_FAMILY.upper()}, Ana", "")


def test_a_romanised_name_in_other_letters_is_refused_with_a_reason_and_nothing_is_recorded(
    as_role: ClientFactory, database: Database
) -> None:
    client, _ = as_role(Role.INVESTIGATOR)
    refused = client.post("/api/v1/recipients", json=enrolment_body(family_name_latin="김", given_name_latin="Sua2"))
    assert refused.status_code == 400
    assert refused.json()["error"] == "enrolment.romanised_name"
    assert [r["code"] for r in refused.json()["reasons"]] == [
        "name.not_latin.family_name_latin", "name.not_latin.given_name_latin"]
    assert client.get("/api/v1/recipients/S-201").status_code == 404
    korean = client.post("/api/v1/recipients", json=enrolment_body(family_name_latin="Kim_"),
                         headers={"accept-language": "ko"})
    assert korean.status_code == 400
    assert korean.json()["reasons"][0]["message"] == (
        "로마자 성에는 로마자, 공백, 하이픈(-), 아포스트로피(')만 쓸 수 있습니다")


def test_a_decomposed_hangul_name_is_stored_composed(as_role: ClientFactory, database: Database) -> None:
    client, _ = as_role(Role.INVESTIGATOR)
    nfd = enrolment_body(family_name=unicodedata.normalize("NFD", "김"),
                         given_name=unicodedata.normalize("NFD", "수아"))
    assert client.post("/api/v1/recipients", json=nfd).status_code == 201
    recipient = stored(database, "S-201")
    assert (recipient.family_name, recipient.given_name) == ("김", "수아")
    assert (recipient.family_name_latin, recipient.given_name_latin) == ("Kim", "Sua")


def test_a_directed_donors_name_is_recorded_as_written_and_romanised(
    as_role: ClientFactory, database: Database
) -> None:
    client, _ = as_role(Role.INVESTIGATOR)
    body = enrolment_body(donor_kind="directed", donor={
        "donor_code": "D-301", "date_of_birth": "1966-02-01", "family_name": "김", "given_name": "영호"})
    subject = client.post("/api/v1/recipients", json=body).json()
    assert (subject["donor_written_name"], subject["donor_romanised_name"]) == ("김영호", "KIM, Yeongho")
    with database.transaction(write=False) as session:
        donor = session.query(Donor).filter_by(donor_code="D-301").one()
        assert (donor.family_name, donor.given_name, donor.family_name_latin, donor.given_name_latin) == (
            "김", "영호", "Kim", "Yeongho")
    no_name = client.post("/api/v1/recipients", json=enrolment_body(
        "S-202", donor_kind="directed", donor={"donor_code": "D-302", "date_of_birth": "1966-02-01"})).json()
    assert (no_name["donor_written_name"], no_name["donor_romanised_name"]) == ("", "")
    autologous = client.post("/api/v1/recipients", json=enrolment_body("S-203")).json()
    assert autologous["donor_written_name"] is None and autologous["donor_romanised_name"] is None
    with database.transaction(write=False) as session:
        assert session.query(Donor).filter_by(donor_code="D-302").one().family_name is None


def test_a_directed_donors_romanised_name_is_refused_unless_latin(as_role: ClientFactory) -> None:
    client, _ = as_role(Role.INVESTIGATOR)
    refused = client.post("/api/v1/recipients", json=enrolment_body(donor_kind="directed", donor={
        "donor_code": "D-303", "date_of_birth": "1966-02-01", "family_name": "김", "given_name_latin": "영호"}))
    assert refused.status_code == 400
    assert [r["code"] for r in refused.json()["reasons"]] == ["name.not_latin.donor.given_name_latin"]


def test_the_enrolment_audit_entry_says_how_the_names_were_recorded_without_naming_anyone(
    as_role: ClientFactory, database: Database
) -> None:
    client, _ = as_role(Role.INVESTIGATOR)
    client.post("/api/v1/recipients", json=enrolment_body(donor_kind="directed", donor={
        "donor_code": "D-304", "date_of_birth": "1966-02-01", "family_name": "박", "given_name": "영호",
        "family_name_latin": "Park", "given_name_latin": "Young-ho"}))
    with database.transaction(write=False) as session:
        [entry] = [e for e in audit_service.entries_for(session=session, entity_type="recipient",
                                                        entity_id="S-201") if e.action == "recipient.enrolled"]
    new = json.loads(entry.new_values)
    assert (new["name"], new["romanised_name"]) == ("recorded", "suggested")
    assert (new["donor_name"], new["donor_romanised_name"]) == ("recorded", "entered")
    for name in ("김", "수아", "Kim", "Sua", "박", "영호", "Park", "Young"):
        assert name not in entry.new_values


def _signed_in(client: TestClient, database: Database, *roles: Role) -> TestClient:
    user = make_user(database, *roles)
    assert post_login(client, user.username, user.password).status_code == 303
    return client


def _form(client: TestClient, **fields: str) -> dict[str, str]:
    return {"csrf_token": form_csrf(client, "/subjects/new"), "subject_code": "S-PAGE", "family_name": "김",
            "given_name": "수아", "date_of_birth": "1991-04-17", "mrn": "MRN-PAGE", "sex": "female",
            "indication": "nephritis", "consent_date": (utcnow().date() - timedelta(days=1)).isoformat(), **fields}


def _value(page: str, field: str) -> str:
    match = re.search(rf'name="{field}"[^>]*value="([^"]*)"', page)
    assert match, field
    return match.group(1)


def test_the_form_shows_the_suggested_romanisation_before_enrolling_a_hangul_name(
    client: TestClient, database: Database
) -> None:
    browser = _signed_in(client, database, Role.INVESTIGATOR)
    shown = browser.post("/subjects/new", data=_form(browser), headers=HTML, follow_redirects=False)
    assert shown.status_code == 200 and 'id="enrol-notice"' in shown.text
    assert (_value(shown.text, "family_name_latin"), _value(shown.text, "given_name_latin")) == ("Kim", "Sua")
    assert _value(shown.text, "subject_code") == "S-PAGE" and _value(shown.text, "mrn") == "MRN-PAGE"
    assert browser.get("/subjects/S-PAGE", headers=HTML).status_code == 404  # nothing enrolled yet
    corrected = _form(browser, family_name_latin="Gim", given_name_latin="Su-a")
    enrolled = browser.post("/subjects/new", data=corrected, headers=HTML, follow_redirects=False)
    assert enrolled.status_code == 303 and enrolled.headers["location"].endswith("/subjects/S-PAGE")
    page = browser.get("/subjects/S-PAGE", headers=HTML).text
    assert re.search(r'id="recipient-name">김수아<', page)
    assert re.search(r'id="recipient-romanised">GIM, Su-a<', page)


def test_the_suggest_button_fills_the_romanised_names_without_enrolling(
    client: TestClient, database: Database
) -> None:
    browser = _signed_in(client, database, Role.INVESTIGATOR)
    form = _form(browser, family_name="남궁", given_name="민수", family_name_latin="x", given_name_latin="",
                 donor_kind="directed", donor_family_name="이", donor_given_name="영희", action="suggest")
    del form["mrn"]  # the suggestion needs none of the other fields
    shown = browser.post("/subjects/new", data=form, headers=HTML)
    assert shown.status_code == 200
    assert (_value(shown.text, "family_name_latin"), _value(shown.text, "given_name_latin")) == ("Namgung", "Minsu")
    assert (_value(shown.text, "donor_family_name_latin"),
            _value(shown.text, "donor_given_name_latin")) == ("Lee", "Yeonghui")
    assert 'value="directed" selected' in shown.text
    assert browser.get("/subjects/S-PAGE", headers=HTML).status_code == 404


def test_a_latin_name_is_enrolled_from_the_form_at_once(client: TestClient, database: Database) -> None:
    browser = _signed_in(client, database, Role.INVESTIGATOR)
    enrolled = browser.post("/subjects/new", data=_form(browser, family_name=PATIENT_FAMILY, given_name="Eva"),
                            headers=HTML, follow_redirects=False)
    assert enrolled.status_code == 303
    assert stored(database, "S-PAGE").family_name_latin == ""


def test_the_form_refuses_a_romanised_name_in_hangul(client: TestClient, database: Database) -> None:
    browser = _signed_in(client, database, Role.INVESTIGATOR)
    refused = browser.post("/subjects/new", data=_form(browser, family_name_latin="김", given_name_latin="Sua"),
                           headers=HTML)
    assert refused.status_code == 400
    assert "name.not_latin.family_name_latin" in refused.text
    assert "may hold only Latin letters" in refused.text


def test_the_enrolment_form_and_subject_page_read_in_korean(client: TestClient, database: Database) -> None:
    browser = _signed_in(client, database, Role.INVESTIGATOR)
    korean = {**HTML, "accept-language": "ko"}
    form = browser.get("/subjects/new", headers=korean).text
    assert "대상자 등록" in form and "로마자 성" in form and "Enrol a subject" not in form
    browser.post("/subjects/new", data=_form(browser, family_name_latin="Kim", given_name_latin="Sua"),
                 headers=HTML, follow_redirects=False)
    page = browser.get("/subjects/S-PAGE", headers=korean).text
    assert "로마자 이름" in page and "김수아" in page and "KIM, Sua" in page


def test_an_operator_sees_neither_name_on_the_subject_page(
    client: TestClient, database: Database, as_role: ClientFactory
) -> None:
    investigator, _ = as_role(Role.INVESTIGATOR)
    investigator.post("/api/v1/recipients", json=enrolment_body())
    browser = _signed_in(client, database, Role.OPERATOR)
    page = browser.get("/subjects/S-201", headers=HTML).text
    assert "S-201" in page
    for name in ("김", "수아", "KIM", "Sua"):
        assert name not in page
    operator, _ = as_role(Role.OPERATOR)
    summary = operator.get("/api/v1/recipients/S-201").json()
    assert summary["subject_code"] == "S-201"
    assert "romanised_name" not in summary and "family_name_latin" not in summary


def test_the_longest_romanised_names_are_recorded_whole(as_role: ClientFactory, database: Database) -> None:
    client, _ = as_role(Role.INVESTIGATOR)
    longest = "Kim-" + "a" * 196
    body = enrolment_body(family_name_latin=longest, given_name_latin="S" + "u" * 199, donor_kind="directed",
                          donor={"donor_code": "D-305", "date_of_birth": "1966-02-01", "family_name": "김" * 200,
                                 "given_name": "Philomena-" + "x" * 190,
                                 "family_name_latin": "O'" + "b" * 198, "given_name_latin": "c" * 200})
    assert client.post("/api/v1/recipients", json=body).status_code == 201
    recipient = stored(database, "S-201")
    assert (recipient.family_name_latin, recipient.given_name_latin) == (longest, "S" + "u" * 199)
    with database.transaction(write=False) as session:
        donor = session.query(Donor).filter_by(donor_code="D-305").one()
        assert (donor.family_name, donor.given_name, donor.family_name_latin, donor.given_name_latin) == (
            "김" * 200, "Philomena-" + "x" * 190, "O'" + "b" * 198, "c" * 200)
    too_long = client.post("/api/v1/recipients", json=enrolment_body("S-202", given_name_latin="a" * 201))
    assert too_long.status_code == 422
