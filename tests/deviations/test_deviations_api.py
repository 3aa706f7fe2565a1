"""The deviations API: listing and filtering, and bad input refused with a reason (never a server error)."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.identifiers import din as din_id
from batchtrack.models.user import Role

from builders import UserHandle, make_user, seed_lot
from deviation_builders import chain_length, lot_state, open_deviation

ClientFactory = Callable[..., tuple[TestClient, UserHandle]]


def test_the_list_shows_open_deviations_first_and_filters_by_state_and_lot(
    database: Database, settings: Settings, as_role: ClientFactory
) -> None:
    first = seed_lot(database, settings)
    second = seed_lot(database, settings, subject="S-002", mrn="MRN-2")
    operator = make_user(database, Role.OPERATOR)
    oldest = open_deviation(database, first.din, operator, description="first")
    middle = open_deviation(database, second.din, operator, description="second")
    newest = open_deviation(database, first.din, operator, description="third")
    qa, user = as_role(Role.QA)
    assert qa.post(f"/api/v1/deviations/{newest}/close",
                   json={"closure": "done", **user.credentials}).status_code == 200

    listed = qa.get("/api/v1/deviations")
    assert listed.status_code == 200
    assert [d["number"] for d in listed.json()] == [middle, oldest, newest]
    assert [d["number"] for d in qa.get("/api/v1/deviations?state=closed").json()] == [newest]
    assert [d["number"] for d in qa.get("/api/v1/deviations?state=open").json()] == [middle, oldest]
    assert [d["number"] for d in qa.get(f"/api/v1/deviations?lot={first.din}").json()] == [oldest, newest]
    eye_readable = din_id.eye_readable(din_id.parse(second.din))
    assert [d["number"] for d in qa.get("/api/v1/deviations", params={"lot": eye_readable}).json()] == [middle]
    assert qa.get("/api/v1/deviations?lot=W000099999999").json() == []
    assert [d["number"] for d in qa.get("/api/v1/deviations?offset=1&limit=1").json()] == [oldest]


def test_every_role_may_read_deviations(database: Database, settings: Settings, as_role: ClientFactory) -> None:
    lot = seed_lot(database, settings)
    number = open_deviation(database, lot.din, make_user(database, Role.OPERATOR))
    for role in (Role.COURIER, Role.ADMIN, Role.COLLECTOR):
        client, _ = as_role(role)
        assert client.get(f"/api/v1/deviations/{number}").json()["number"] == number


def test_unknown_things_are_404_and_malformed_ones_4xx_with_a_reason(
    database: Database, settings: Settings, as_role: ClientFactory
) -> None:
    seed_lot(database, settings)
    qa, user = as_role(Role.QA)
    unknown = qa.get("/api/v1/deviations/DEV-2026-9999")
    assert unknown.status_code == 404 and unknown.json()["error"] == "deviation.unknown"
    closing_unknown = qa.post("/api/v1/deviations/DEV-2026-9999/close",
                              json={"closure": "x", **user.credentials})
    assert closing_unknown.status_code == 404
    assert qa.post("/api/v1/lots/W000099999999/deviations", json={"description": "x"}).status_code == 404
    for url in ("/api/v1/deviations/1", "/api/v1/deviations/DEV-26-1", "/api/v1/deviations/dev-2026-0001%00",
                "/api/v1/deviations?state=pending", "/api/v1/deviations?state=%00", "/api/v1/deviations?limit=0",
                "/api/v1/deviations?lot=" + "W" * 100):
        response = qa.get(url)
        assert 400 <= response.status_code < 500, url
        assert response.json()["message"], url


def test_bad_bodies_are_refused_with_a_reason_and_change_nothing(
    database: Database, settings: Settings, as_role: ClientFactory
) -> None:
    lot = seed_lot(database, settings)
    operator, _ = as_role(Role.OPERATOR, Role.QA)
    number = open_deviation(database, seed_lot(database, settings, subject="S-002", mrn="MRN-2").din,
                            make_user(database, Role.OPERATOR))
    before = chain_length(database)
    bad_opens: list[object] = [
        {}, {"description": ""}, {"description": "   "}, {"description": "\x00"}, {"description": "x" * 5000},
        {"description": 12}, {"description": "ok", "impact": None}, {"description": "ok", "step_code": "PASSAGE"},
        {"description": "ok", "step_id": 1}, [], "text", None,
    ]
    bad_closes: list[object] = [
        {}, {"closure": "done"}, {"password": "x"}, {"closure": "", "password": "x"},
        {"closure": "done", "password": ""},
        {"closure": "\x00", "password": "x"}, {"closure": "done", "password": "x" * 300},
        {"closure": "done", "password": "x", "state": "closed"}, [],
    ]
    for body in bad_opens:
        response = operator.post(f"/api/v1/lots/{lot.din}/deviations", json=body)
        assert 400 <= response.status_code < 500, body
        assert response.json()["message"], body
    for body in bad_closes:
        response = operator.post(f"/api/v1/deviations/{number}/close", json=body)
        assert 400 <= response.status_code < 500, body
        assert response.json()["message"], body
    for raw in (b"{not json", b"\xff\xfe\x00"):
        response = operator.post(f"/api/v1/lots/{lot.din}/deviations", content=raw,
                                 headers={"content-type": "application/json"})
        assert 400 <= response.status_code < 500 and response.json()["message"]
    assert lot_state(database, lot.din) == ("in_process", None)
    assert operator.get(f"/api/v1/deviations?lot={lot.din}").json() == []
    assert operator.get(f"/api/v1/deviations/{number}").json()["state"] == "open"
    assert chain_length(database) == before
