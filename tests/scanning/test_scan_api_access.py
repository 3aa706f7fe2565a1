"""Who may scan is checked against the database on every scan, before the scan itself is read."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import delete, select, update

from batchtrack.db import Database
from batchtrack.models.base import utcnow
from batchtrack.models.user import ApiToken, Role, User, UserRole

from builders import UserHandle, make_user

ClientFactory = Callable[..., tuple[TestClient, UserHandle]]
SCANS = "/api/v1/scans"
# Unreadable, so it needs no seeded lot: a verdict (refused, with reasons) all the same.
A_SCAN = {"raw": "=W0000", "station": "BSC-1"}
HTML = {"accept": "text/html"}


def _user_id(database: Database, user: UserHandle) -> int:
    with database.transaction(write=False) as session:
        user_id: int = session.execute(select(User.id).where(User.username == user.username)).scalar_one()
    return user_id


def _revoke_tokens(database: Database, user: UserHandle) -> None:
    user_id = _user_id(database, user)
    with database.transaction() as session:
        session.execute(update(ApiToken).where(ApiToken.user_id == user_id).values(revoked_at=utcnow()))


def _deactivate(database: Database, user: UserHandle) -> None:
    user_id = _user_id(database, user)
    with database.transaction() as session:
        session.execute(update(User).where(User.id == user_id).values(is_active=False))


def _take_every_role(database: Database, user: UserHandle) -> None:
    user_id = _user_id(database, user)
    with database.transaction() as session:
        session.execute(delete(UserRole).where(UserRole.user_id == user_id))


def _reason_codes(response_json: dict[str, object]) -> set[str]:
    reasons = response_json["reasons"]
    assert isinstance(reasons, list)
    return {reason["code"] for reason in reasons}


def test_a_revoked_token_is_refused_on_the_very_next_scan(database: Database, as_role: ClientFactory) -> None:
    client, user = as_role(Role.OPERATOR)
    assert client.post(SCANS, json=A_SCAN).status_code == 200
    _revoke_tokens(database, user)
    response = client.post(SCANS, json=A_SCAN)
    assert response.status_code == 401
    assert response.json()["error"] == "not_authenticated"


def test_a_deactivated_user_is_refused_on_the_very_next_scan(database: Database, as_role: ClientFactory) -> None:
    client, user = as_role(Role.OPERATOR)
    assert client.post(SCANS, json=A_SCAN).status_code == 200
    _deactivate(database, user)
    assert client.post(SCANS, json=A_SCAN).status_code == 401


def test_a_user_who_no_longer_holds_any_role_is_refused(database: Database, as_role: ClientFactory) -> None:
    client, user = as_role(Role.OPERATOR)
    _take_every_role(database, user)
    response = client.post(SCANS, json=A_SCAN)
    assert response.status_code == 403
    assert response.json()["error"] == "role"


def test_unknown_credentials_are_refused_before_the_scan_is_read(client: TestClient) -> None:
    # Whatever the body, a caller who is not who they claim learns nothing about what a scan should look like.
    headers = {"Authorization": "Bearer bt_not-a-real-token"}
    for body in ({}, [], "x", None, {"raw": "x" * 100_001, "station": "<script>"}, {**A_SCAN, "unknown": 1}):
        response = client.post(SCANS, json=body, headers=headers)
        assert response.status_code == 401, (body, response.text)
    assert client.post(SCANS, headers=headers).status_code == 401
    assert client.post(SCANS, json=A_SCAN).status_code == 401
    # Not even JSON, or not said to be: still who is asking comes first.
    for content, kind in ((b'{"raw": ', "application/json"), (b"raw=x", "application/x-www-form-urlencoded")):
        response = client.post(SCANS, content=content, headers={**headers, "content-type": kind})
        assert response.status_code == 401, (content, response.text)


def test_a_malformed_scan_from_a_known_caller_is_refused_naming_the_field(as_role: ClientFactory) -> None:
    client, _ = as_role(Role.OPERATOR)
    cases: list[tuple[object, str]] = [
        ({"raw": "x"}, "input.body.station"),
        ({**A_SCAN, "unknown": 1}, "input.body.unknown"),
        ({**A_SCAN, "expect": {"lot_din": "nope"}}, "input.body.expect.lot_din"),
        ([], "input.body"),
    ]
    for body, code in cases:
        response = client.post(SCANS, json=body)
        assert response.status_code == 422, (body, response.text)
        assert code in _reason_codes(response.json()), (body, response.json())
    missing = client.post(SCANS)
    assert missing.status_code == 422 and "input.body" in _reason_codes(missing.json())
    broken = client.post(SCANS, content=b'{"raw": "=W0000', headers={"content-type": "application/json"})
    assert broken.status_code == 422 and "input.body" in _reason_codes(broken.json())
    as_text = client.post(SCANS, content=json.dumps(A_SCAN).encode(), headers={"content-type": "text/plain"})
    assert as_text.status_code == 422
    assert [r["message"] for r in as_text.json()["reasons"]] == [
        "send the scan as JSON (Content-Type: application/json)"]
    with_charset = client.post(SCANS, content=json.dumps(A_SCAN).encode(),
                               headers={"content-type": "application/json; charset=utf-8"})
    assert with_charset.status_code == 200


def test_a_signed_in_browser_scans_with_its_forms_csrf_token(database: Database, client: TestClient) -> None:
    user = make_user(database, Role.OPERATOR)
    login = client.get("/login", headers=HTML).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', login)
    assert token
    signed_in = client.post("/login", data={"username": user.username, "password": user.password, "next": "/",
                                            "csrf_token": token.group(1)}, headers=HTML, follow_redirects=False)
    assert signed_in.status_code == 303
    station = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/station", headers=HTML).text)
    assert station
    assert client.post(SCANS, json=A_SCAN).status_code == 403  # no CSRF token: refused
    assert client.post(SCANS, json=A_SCAN, headers={"x-csrf-token": station.group(1)}).status_code == 200
    _deactivate(database, user)
    assert client.post(SCANS, json=A_SCAN, headers={"x-csrf-token": station.group(1)}).status_code == 401


def test_the_api_description_documents_the_scan_and_its_verdict(as_role: ClientFactory) -> None:
    client, _ = as_role(Role.OPERATOR)
    description: dict[str, Any] = client.get("/api/v1/openapi.json").json()

    def resolved(schema: dict[str, Any]) -> dict[str, Any]:
        # A reference to a named schema, or the schema itself; an optional field's "or null" left out.
        if "$ref" in schema:
            return resolved(description["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]])
        if "anyOf" in schema:
            return resolved(next(s for s in schema["anyOf"] if s.get("type") != "null"))
        return schema

    operation = description["paths"]["/api/v1/scans"]["post"]
    assert operation["requestBody"]["required"] is True
    body = resolved(operation["requestBody"]["content"]["application/json"]["schema"])
    assert set(body["required"]) == {"raw", "station"}
    assert {"raw", "station", "expect"} <= set(body["properties"])
    assert "lot_din" in resolved(body["properties"]["expect"])["properties"]
    verdict = resolved(operation["responses"]["200"]["content"]["application/json"]["schema"])
    assert {"ok", "reasons", "parsed", "resolved", "raw_escaped", "raw_length"} <= set(verdict["properties"])
