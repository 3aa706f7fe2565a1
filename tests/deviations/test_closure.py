"""QA closes a deviation with a signature; every refusal gives its reason, is audited, and changes nothing."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.deviations import service as deviation_service
from batchtrack.errors import BadRequest
from batchtrack.models.user import Role

from builders import UserHandle, make_user, seed_lot
from deviation_builders import DESCRIPTION, chain_length, entries, lot_state, open_deviation

ClientFactory = Callable[..., tuple[TestClient, UserHandle]]
CLOSURE = "CO2 sensor drifted; recalibrated and verified. Viability 94 %, identity within limits. No impact."


def _opened(database: Database, settings: Settings) -> tuple[str, str]:
    lot = seed_lot(database, settings)
    return lot.din, open_deviation(database, lot.din, make_user(database, Role.OPERATOR))


def test_qa_closes_a_deviation_with_a_signature_that_shows_name_time_and_meaning(
    database: Database, settings: Settings, as_role: ClientFactory
) -> None:
    din, number = _opened(database, settings)
    qa, user = as_role(Role.QA)
    response = qa.post(f"/api/v1/deviations/{number}/close", json={"closure": CLOSURE, **user.credentials})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["state"], body["closure"], body["closed_by"]) == ("closed", CLOSURE, f"Test {user.username.title()}")
    signature = body["closure_signature"]
    assert signature["printed_name"] == f"Test {user.username.title()}"
    assert signature["meaning"] == "approved" and signature["intact"] is True
    assert signature["signed_at"] == body["closed_at"]
    assert lot_state(database, din) == ("on_hold", "in_process")
    actions = [e.action for e in entries(database, "deviation", number)]
    assert actions == ["deviation.opened", "signature.applied", "deviation.closed"]
    closed = entries(database, "deviation", number)[-1]
    assert json.loads(closed.old_values) == {"state": "open"}
    assert json.loads(closed.new_values)["closure"] == CLOSURE
    assert qa.get(f"/api/v1/deviations/{number}").json() == body


def test_closure_by_anyone_but_qa_is_refused(
    database: Database, settings: Settings, as_role: ClientFactory
) -> None:
    _din, number = _opened(database, settings)
    for role in (Role.OPERATOR, Role.MEDICAL_DIRECTOR, Role.ADMIN, Role.QC_ANALYST):
        client, user = as_role(role)
        refused = client.post(f"/api/v1/deviations/{number}/close",
                              json={"closure": CLOSURE, **user.credentials})
        assert refused.status_code == 403, role
        assert refused.json()["error"] == "role" and refused.json()["message"]
    client, _ = as_role(Role.QA)
    assert client.get(f"/api/v1/deviations/{number}").json()["state"] == "open"


def test_closure_with_a_wrong_password_is_refused_audited_and_changes_nothing(
    database: Database, settings: Settings, as_role: ClientFactory
) -> None:
    din, number = _opened(database, settings)
    qa, user = as_role(Role.QA)
    before = chain_length(database)
    refused = qa.post(f"/api/v1/deviations/{number}/close",
                      json={"closure": CLOSURE, "username": user.username, "password": "not-mine"})
    assert refused.status_code == 403
    assert refused.json()["error"] == "signature.password"
    body = qa.get(f"/api/v1/deviations/{number}").json()
    assert (body["state"], body["closure"], body["closure_signature"]) == ("open", "", None)
    assert lot_state(database, din) == ("on_hold", "in_process")
    # The refusal on the deviation's trail, and the failed attempt counted toward the signer's lockout.
    assert chain_length(database) == before + 2
    last = entries(database, "deviation", number)[-1]
    assert (last.action, last.actor_name) == ("signature.refused", f"Test {user.username.title()}")
    assert json.loads(last.new_values)["meaning"] == "approved"


def test_closure_without_a_text_is_refused(
    database: Database, settings: Settings, as_role: ClientFactory
) -> None:
    _din, number = _opened(database, settings)
    qa, user = as_role(Role.QA)
    for closure in ("", "   \n  "):
        refused = qa.post(f"/api/v1/deviations/{number}/close", json={"closure": closure, **user.credentials})
        assert refused.status_code == 422 and refused.json()["message"]
        assert any("closure" in r["code"] for r in refused.json()["reasons"])
    # A caller inside the system gets the same answer from the rule itself.
    with pytest.raises(BadRequest) as refusal, database.transaction() as session:
        deviation_service.close_deviation(session=session, actor=user.principal, number=number, closure=" \t ",
                                          username=user.username, password=user.password)
    assert refusal.value.code == "deviation.closure_required"
    assert qa.get(f"/api/v1/deviations/{number}").json()["state"] == "open"


def test_closing_twice_is_refused_and_the_first_closure_stands(
    database: Database, settings: Settings, as_role: ClientFactory
) -> None:
    _din, number = _opened(database, settings)
    qa, user = as_role(Role.QA)
    first = qa.post(f"/api/v1/deviations/{number}/close", json={"closure": CLOSURE, **user.credentials})
    assert first.status_code == 200
    again = qa.post(f"/api/v1/deviations/{number}/close",
                    json={"closure": "Closed again, differently.", **user.credentials})
    assert again.status_code == 409
    assert again.json()["error"] == "deviation.closed"
    assert [r["code"] for r in again.json()["reasons"]] == ["deviation.closed"]
    assert qa.get(f"/api/v1/deviations/{number}").json() == first.json()
    last = entries(database, "deviation", number)[-1]
    assert last.action == "deviation.close_refused" and "deviation.closed" in last.new_values


def test_the_signature_shows_as_broken_if_the_signed_record_changes(
    database: Database, settings: Settings, as_role: ClientFactory
) -> None:
    _din, number = _opened(database, settings)
    qa, user = as_role(Role.QA)
    assert qa.post(f"/api/v1/deviations/{number}/close",
                   json={"closure": CLOSURE, **user.credentials}).status_code == 200
    with database.transaction() as session:
        deviation_service.get_by_number(session=session, number=number).description = DESCRIPTION + " (edited)"
    assert qa.get(f"/api/v1/deviations/{number}").json()["closure_signature"]["intact"] is False
