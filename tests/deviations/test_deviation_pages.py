"""The deviation pages through the browser's forms (CSRF included): open from the lot, list, close by QA."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.deviations import service as deviation_service
from batchtrack.models.user import Role

from builders import make_user, seed_lot
from deviation_builders import HTML, csrf_of, lot_state, open_deviation, sign_in

CLOSURE = "Sensor recalibrated; repeat count within limits."


def _no_inline_code(html: str) -> None:
    assert "style=" not in html and "<script" not in html and "<style" not in html


def test_an_operator_opens_a_deviation_from_the_lot_page_and_the_lot_goes_on_hold(
    client: TestClient, database: Database, settings: Settings
) -> None:
    lot = seed_lot(database, settings)
    operator = make_user(database, Role.OPERATOR)
    sign_in(client, operator)
    page = client.get(f"/lots/{lot.din}", headers=HTML)
    assert page.status_code == 200
    assert 'id="deviations"' in page.text and "No deviation recorded on this lot." in page.text
    assert 'id="open-deviation-form"' in page.text and "puts the lot on hold" in page.text
    assert re.search(r'<a href="/deviations"[^>]*>Deviations</a>', page.text), "the menu leads to the deviations"
    _no_inline_code(page.text)

    opened = client.post(f"/lots/{lot.din}/deviations", headers=HTML, follow_redirects=False, data={
        "description": "Flask 3 cracked at passage 2.", "impact": "Possible loss of sterility of flask 3.",
        "csrf_token": csrf_of(client, f"/lots/{lot.din}")})
    assert opened.status_code == 303, opened.text[:300]
    number = opened.headers["location"].rsplit("/", 1)[1]
    assert re.fullmatch(r"DEV-\d{4}-\d{4}", number)
    assert lot_state(database, lot.din) == ("on_hold", "in_process")

    shown = client.get(f"/deviations/{number}", headers=HTML).text
    assert "Flask 3 cracked at passage 2." in shown and "Possible loss of sterility" in shown
    assert "Only QA closes a deviation" in shown and 'id="close-form"' not in shown
    _no_inline_code(shown)
    lot_page = client.get(f"/lots/{lot.din}", headers=HTML).text
    assert f'href="http://testserver/deviations/{number}"' in lot_page
    assert "deviation " + number in lot_page  # the hold on the timeline names the deviation


def test_a_form_without_its_csrf_token_or_description_is_refused(
    client: TestClient, database: Database, settings: Settings
) -> None:
    lot = seed_lot(database, settings)
    sign_in(client, make_user(database, Role.OPERATOR))
    forged = client.post(f"/lots/{lot.din}/deviations", headers=HTML, data={"description": "forged"})
    assert forged.status_code == 403 and "form has expired" in forged.text
    empty = client.post(f"/lots/{lot.din}/deviations", headers=HTML,
                        data={"description": "  ", "csrf_token": csrf_of(client, f"/lots/{lot.din}")})
    assert empty.status_code == 400 and "input.description" in empty.text
    assert lot_state(database, lot.din) == ("in_process", None)


def test_qa_closes_the_deviation_from_its_page_and_sees_the_signature(
    client: TestClient, database: Database, settings: Settings
) -> None:
    lot = seed_lot(database, settings)
    number = open_deviation(database, lot.din, make_user(database, Role.OPERATOR))
    qa = make_user(database, Role.QA)
    sign_in(client, qa)
    page = client.get(f"/deviations/{number}", headers=HTML).text
    assert 'id="close-form"' in page and 'type="password"' in page and "meaning: approved" in page

    wrong = client.post(f"/deviations/{number}/close", headers=HTML, data={
        "closure": CLOSURE, "username": qa.username, "password": "not-mine",
        "csrf_token": csrf_of(client, f"/deviations/{number}")})
    assert wrong.status_code == 403 and "signature was not applied" in wrong.text
    empty = client.post(f"/deviations/{number}/close", headers=HTML, data={
        "closure": "", **qa.credentials, "csrf_token": csrf_of(client, f"/deviations/{number}")})
    assert empty.status_code == 400 and "input.closure" in empty.text

    # A browser sends a textarea's line breaks as CRLF.
    closed = client.post(f"/deviations/{number}/close", headers=HTML, follow_redirects=False, data={
        "closure": CLOSURE.replace("; ", ";\r\n"), **qa.credentials,
        "csrf_token": csrf_of(client, f"/deviations/{number}")})
    assert closed.status_code == 303, closed.text[:400]
    with database.transaction(write=False) as session:
        recorded = deviation_service.get_by_number(session=session, number=number).closure
    assert recorded == CLOSURE.replace("; ", ";\n")
    shown = client.get(f"/deviations/{number}", headers=HTML).text
    signature = shown[shown.index('id="closure-signature"'):]
    assert f"Test {qa.username.title()}" in signature and "approved" in signature and "intact" in signature
    assert re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", signature)
    assert recorded in shown and 'id="close-form"' not in shown
    assert "lifts the hold" in shown
    _no_inline_code(shown)
    assert lot_state(database, lot.din) == ("on_hold", "in_process")


def test_the_list_puts_open_deviations_first_filters_and_pages(
    client: TestClient, database: Database, settings: Settings
) -> None:
    viewer = make_user(database, Role.COURIER)
    sign_in(client, viewer)
    empty = client.get("/deviations", headers=HTML)
    assert empty.status_code == 200 and "No deviation has been opened." in empty.text
    _no_inline_code(empty.text)

    lot = seed_lot(database, settings)
    operator = make_user(database, Role.OPERATOR)
    numbers = [open_deviation(database, lot.din, operator, description=f"finding {i}") for i in range(26)]
    qa = make_user(database, Role.QA)
    with database.transaction() as session:
        deviation_service.close_deviation(session=session, actor=qa.principal, number=numbers[-1], closure="done",
                                          username=qa.username, password=qa.password)
    first = client.get("/deviations", headers=HTML).text
    listed = re.findall(r">(DEV-\d{4}-\d{4})</a>", first)
    assert listed == list(reversed(numbers[:-1]))  # 25 open ones, newest first; the closed one is on page 2
    assert "Page 1 of 2" in first and 'href="/deviations?page=2"' in first
    second = client.get("/deviations?page=2", headers=HTML).text
    assert re.findall(r">(DEV-\d{4}-\d{4})</a>", second) == [numbers[-1]]

    closed = client.get("/deviations?state=closed", headers=HTML).text
    assert re.findall(r">(DEV-\d{4}-\d{4})</a>", closed) == [numbers[-1]] and "Page 1 of" not in closed
    by_lot = client.get(f"/deviations?lot={lot.din}&page=2", headers=HTML)
    assert by_lot.status_code == 200 and f'href="/deviations?lot={lot.din}&amp;page=1"' in by_lot.text
    beyond = client.get("/deviations?page=9", headers=HTML).text
    assert "Nothing on page 9" in beyond and 'href="/deviations"' in beyond
    none = client.get("/deviations?lot=W000099999999", headers=HTML).text
    assert "No deviation matches these filters." in none
    assert client.get("/deviations?state=pending", headers=HTML).status_code == 400
    assert client.get("/deviations/DEV-2026-9999", headers=HTML).status_code == 404


def test_a_role_that_cannot_open_or_close_sees_no_form(
    client: TestClient, database: Database, settings: Settings
) -> None:
    lot = seed_lot(database, settings)
    number = open_deviation(database, lot.din, make_user(database, Role.NURSE))
    courier = make_user(database, Role.COURIER)
    sign_in(client, courier)
    lot_page = client.get(f"/lots/{lot.din}", headers=HTML).text
    assert number in lot_page and 'id="open-deviation-form"' not in lot_page
    assert 'id="close-form"' not in client.get(f"/deviations/{number}", headers=HTML).text
    refused = client.post(f"/deviations/{number}/close", headers=HTML, data={
        "closure": CLOSURE, **courier.credentials, "csrf_token": csrf_of(client, f"/deviations/{number}")})
    assert refused.status_code == 403
