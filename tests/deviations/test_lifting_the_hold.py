"""Closing a deviation leaves its lot on hold: QA lifts the hold afterwards, as its own signed decision with a
reason, once no deviation of the lot is open; the deviation's page offers that next step to QA alone."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import col, select

from batchtrack.auth import signatures
from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.lots import holds
from batchtrack.models.signature import Signature
from batchtrack.models.user import Role

from builders import UserHandle, make_user, seed_lot
from deviation_builders import HTML, csrf_of, entries, lot_state, open_deviation, sign_in

ClientFactory = Callable[..., tuple[TestClient, UserHandle]]
CLOSURE = "Sensor recalibrated; viability 94 %."


def _close(qa: TestClient, signer: UserHandle, number: str) -> None:
    closed = qa.post(f"/api/v1/deviations/{number}/close", json={"closure": CLOSURE, **signer.credentials})
    assert closed.status_code == 200, closed.text


def _codes(response: object) -> list[str]:
    return [r["code"] for r in response.json()["reasons"]]  # type: ignore[attr-defined]


def test_closing_the_deviation_leaves_the_lot_on_hold_as_the_route_says(
    app: FastAPI, database: Database, settings: Settings, as_role: ClientFactory
) -> None:
    lot = seed_lot(database, settings)
    qa, qa_user = as_role(Role.QA)
    number = open_deviation(database, lot.din, make_user(database, Role.OPERATOR))
    closed = qa.post(f"/api/v1/deviations/{number}/close", json={"closure": CLOSURE, **qa_user.credentials})
    assert closed.status_code == 200, closed.text
    assert (closed.json()["state"], closed.json()["lot_state"]) == ("closed", "on_hold")
    assert lot_state(database, lot.din) == ("on_hold", "in_process")
    described = app.openapi()["paths"]["/api/v1/deviations/{number}/close"]["post"]["description"]
    assert "stays on hold" in described and "is then lifted" not in described


def test_qa_lifts_the_hold_by_a_signed_decision_with_a_reason(
    database: Database, settings: Settings, as_role: ClientFactory
) -> None:
    lot = seed_lot(database, settings)
    qa, qa_user = as_role(Role.QA)
    number = open_deviation(database, lot.din, make_user(database, Role.OPERATOR))
    _close(qa, qa_user, number)

    unsigned = qa.post(f"/api/v1/lots/{lot.din}/transitions/lift_hold", json={"reason": "checked"})
    assert unsigned.status_code == 409 and _codes(unsigned) == ["lot.signed_decision"]
    assert "/hold/lift" in unsigned.json()["reasons"][0]["message"]
    no_reason = qa.post(f"/api/v1/lots/{lot.din}/hold/lift", json={"reason": " ", **qa_user.credentials})
    assert no_reason.status_code == 409 and _codes(no_reason) == ["reason.required"]
    wrong = qa.post(f"/api/v1/lots/{lot.din}/hold/lift",
                    json={"reason": "closed", "username": qa_user.username, "password": "not-mine"})
    assert wrong.status_code == 403 and wrong.json()["error"] == "signature.password"
    assert lot_state(database, lot.din) == ("on_hold", "in_process")

    lifted = qa.post(f"/api/v1/lots/{lot.din}/hold/lift",
                     json={"reason": f"{number} closed: no impact on the lot", **qa_user.credentials})
    assert lifted.status_code == 200, lifted.text
    assert lifted.json()["state"] == "in_process" and lifted.json()["state_before_hold"] is None
    assert lot_state(database, lot.din) == ("in_process", None)
    trail = entries(database, "lot", lot.din)
    assert [e.action for e in trail[-2:]] == ["lot.lift_hold", "hold.lifted"]
    assert trail[-2].reason == f"{number} closed: no impact on the lot"
    signature_id = json.loads(trail[-1].new_values)["signature_id"]
    with database.transaction(write=False) as session:
        signature = session.get(Signature, signature_id)
        assert signature is not None
        assert (signature.meaning, signature.entity_type, signature.entity_id) == ("approved", "lot_hold", lot.din)
        assert signature.printed_name == qa_user.principal.full_name
        # What was signed is rebuilt from the record: the signature shows as intact.
        content = holds.signed_content_of(session=session, signature=signature)
        assert content == {"lot": lot.din, "resumed_state": "in_process",
                           "reason": f"{number} closed: no impact on the lot"}
        assert signatures.content_hash(content) == signature.content_hash
    again = qa.post(f"/api/v1/lots/{lot.din}/hold/lift", json={"reason": "again", **qa_user.credentials})
    assert again.status_code == 409 and "lot.wrong_state" in _codes(again)


def test_the_hold_stays_while_another_deviation_of_the_lot_is_open_and_only_qa_lifts_it(
    database: Database, settings: Settings, as_role: ClientFactory
) -> None:
    lot = seed_lot(database, settings)
    qa, qa_user = as_role(Role.QA)
    operator, operator_user = as_role(Role.OPERATOR)
    first = open_deviation(database, lot.din, make_user(database, Role.OPERATOR))
    second = open_deviation(database, lot.din, make_user(database, Role.NURSE), description="Second finding.")
    _close(qa, qa_user, first)
    refused = qa.post(f"/api/v1/lots/{lot.din}/hold/lift", json={"reason": "checked", **qa_user.credentials})
    assert refused.status_code == 409 and _codes(refused) == ["lot.open_deviation"]
    assert "1 deviation(s)" in refused.json()["reasons"][0]["message"]
    assert entries(database, "lot", lot.din)[-1].action == "lot.lift_hold_refused"
    forbidden = operator.post(f"/api/v1/lots/{lot.din}/hold/lift",
                              json={"reason": "checked", **operator_user.credentials})
    assert forbidden.status_code == 403
    assert lot_state(database, lot.din) == ("on_hold", "in_process")
    _close(qa, qa_user, second)
    lifted = qa.post(f"/api/v1/lots/{lot.din}/hold/lift",
                     json={"reason": f"{first} and {second} closed", **qa_user.credentials})
    assert lifted.status_code == 200, lifted.text
    assert lot_state(database, lot.din) == ("in_process", None)


def test_the_deviation_page_offers_qa_the_next_step_and_lifts_the_hold_from_it(
    client: TestClient, database: Database, settings: Settings
) -> None:
    lot = seed_lot(database, settings)
    first = open_deviation(database, lot.din, make_user(database, Role.OPERATOR))
    second = open_deviation(database, lot.din, make_user(database, Role.OPERATOR), description="Second finding.")
    qa = make_user(database, Role.QA)
    sign_in(client, qa)
    page = client.get(f"/deviations/{first}", headers=HTML).text
    assert 'id="lift-hold-form"' not in page  # still open: closing comes first
    client.post(f"/deviations/{first}/close", headers=HTML, data={
        "closure": CLOSURE, **qa.credentials, "csrf_token": csrf_of(client, f"/deviations/{first}")})
    page = client.get(f"/deviations/{first}", headers=HTML).text
    assert 'id="lift-hold-form"' not in page and "1 deviation still open" in page  # the other one holds it
    client.post(f"/deviations/{second}/close", headers=HTML, data={
        "closure": CLOSURE, **qa.credentials, "csrf_token": csrf_of(client, f"/deviations/{second}")})

    page = client.get(f"/deviations/{second}", headers=HTML).text
    assert "Next step: lift the hold" in page and 'id="lift-hold-form"' in page
    form = re.search(r'<form[^>]*id="lift-hold-form"[^>]*>', page)
    assert form and f'action="http://testserver/lots/{lot.din}/hold/lift"' in form.group(0)
    assert 'name="password"' in page and "meaning: approved" in page

    lifted = client.post(f"/lots/{lot.din}/hold/lift", headers=HTML, follow_redirects=False, data={
        "reason": "both deviations closed", **qa.credentials, "deviation": second,
        "csrf_token": csrf_of(client, f"/deviations/{second}")})
    assert lifted.status_code == 303, lifted.text[:500]
    assert lifted.headers["location"].endswith(f"/deviations/{second}")
    assert lot_state(database, lot.din) == ("in_process", None)
    page = client.get(f"/deviations/{second}", headers=HTML).text
    assert 'id="lift-hold-form"' not in page and "Next step: lift the hold" not in page


def test_the_next_step_is_shown_to_qa_only(client: TestClient, database: Database, settings: Settings) -> None:
    lot = seed_lot(database, settings)
    number = open_deviation(database, lot.din, make_user(database, Role.OPERATOR))
    qa = make_user(database, Role.QA)
    sign_in(client, qa)
    client.post(f"/deviations/{number}/close", headers=HTML, data={
        "closure": CLOSURE, **qa.credentials, "csrf_token": csrf_of(client, f"/deviations/{number}")})
    client.post("/logout", headers=HTML, data={"csrf_token": csrf_of(client, f"/deviations/{number}")})
    operator = make_user(database, Role.OPERATOR)
    sign_in(client, operator)
    page = client.get(f"/deviations/{number}", headers=HTML).text
    assert 'id="lift-hold-form"' not in page
    assert "The lot stays on hold until QA lifts the hold" in page
    refused = client.post(f"/lots/{lot.din}/hold/lift", headers=HTML, data={
        "reason": "mine", **operator.credentials, "csrf_token": csrf_of(client, f"/deviations/{number}")})
    assert refused.status_code == 403
    assert lot_state(database, lot.din) == ("on_hold", "in_process")


def test_a_lot_held_by_hand_is_lifted_from_its_page(client: TestClient, database: Database,
                                                    settings: Settings) -> None:
    lot = seed_lot(database, settings)
    qa = make_user(database, Role.QA)
    sign_in(client, qa)
    held = client.post(f"/lots/{lot.din}/transitions/hold", headers=HTML, follow_redirects=False,
                       data={"reason": "label audit", "csrf_token": csrf_of(client, f"/lots/{lot.din}")})
    assert held.status_code == 303 and lot_state(database, lot.din)[0] == "on_hold"
    page = client.get(f"/lots/{lot.din}", headers=HTML).text
    assert 'id="lift-hold-form"' in page
    lifted = client.post(f"/lots/{lot.din}/hold/lift", headers=HTML, follow_redirects=False, data={
        "reason": "labels reconciled", **qa.credentials, "csrf_token": csrf_of(client, f"/lots/{lot.din}")})
    assert lifted.status_code == 303 and lifted.headers["location"].endswith(f"/lots/{lot.din}")
    with database.transaction(write=False) as session:
        assert session.execute(select(Signature).where(col(Signature.entity_type) == "lot_hold")).scalars().first()
    assert lot_state(database, lot.din) == ("in_process", None)
