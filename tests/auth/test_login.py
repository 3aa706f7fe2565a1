"""Browser sign-in: session cookie flags, CSRF on every form, lockout after repeated failures."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from batchtrack.audit import service as audit_service
from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.models.user import Role

from builders import make_user, seed_lot

HTML = {"accept": "text/html"}


def _csrf(client: TestClient, path: str = "/login") -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path, headers=HTML).text)
    assert match, "the form carries a CSRF token"
    return match.group(1)


def _login(client: TestClient, username: str, password: str) -> int:
    response = client.post("/login", data={"username": username, "password": password, "next": "/",
                                           "csrf_token": _csrf(client)}, headers=HTML, follow_redirects=False)
    return response.status_code


def test_sign_in_sets_a_strict_http_only_cookie_and_opens_the_dashboard(client: TestClient, database: Database) -> None:
    user = make_user(database, Role.OPERATOR)
    response = client.post("/login", data={"username": user.username, "password": user.password, "next": "/",
                                           "csrf_token": _csrf(client)}, headers=HTML, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/"
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    dashboard = client.get("/", headers=HTML)
    assert dashboard.status_code == 200 and "Dashboard" in dashboard.text


def test_sign_in_refused_without_the_forms_csrf_token(client: TestClient, database: Database) -> None:
    user = make_user(database, Role.OPERATOR)
    _csrf(client)
    response = client.post("/login", data={"username": user.username, "password": user.password},
                           headers=HTML, follow_redirects=False)
    assert response.status_code == 403
    assert client.get("/", headers=HTML, follow_redirects=False).status_code == 303


def test_a_signed_in_form_post_without_csrf_is_refused_and_changes_nothing(
    client: TestClient, database: Database, settings: Settings
) -> None:
    lot = seed_lot(database, settings)
    user = make_user(database, Role.OPERATOR)
    assert _login(client, user.username, user.password) == 303
    forged = client.post(f"/lots/{lot.din}/transitions/harvest", data={"reason": "x", "csrf_token": "forged"},
                         headers=HTML, follow_redirects=False)
    assert forged.status_code == 403
    assert client.get(f"/api/v1/lots/{lot.din}").json()["state"] == "in_process"
    token = _csrf(client, f"/lots/{lot.din}")
    done = client.post(f"/lots/{lot.din}/transitions/harvest", data={"reason": "x", "csrf_token": token},
                       headers=HTML, follow_redirects=False)
    assert done.status_code == 303
    assert client.get(f"/api/v1/lots/{lot.din}").json()["state"] == "harvested"


def test_repeated_failures_lock_the_account_even_for_the_right_password(
    client: TestClient, database: Database, settings: Settings
) -> None:
    user = make_user(database, Role.QA)
    statuses = [_login(client, user.username, "wrong-password-123") for _ in range(settings.login_max_failures)]
    assert statuses == [401] * settings.login_max_failures
    assert _login(client, user.username, user.password) == 401
    page = client.get("/login", headers=HTML)
    assert page.status_code == 200
    with database.transaction(write=False) as session:
        actions = [e.action for e in audit_service.entries_for(session=session, entity_type="user",
                                                               entity_id=user.principal.user_id or 0)]
    assert actions.count("auth.login_failed") == settings.login_max_failures - 1
    assert "auth.locked" in actions


def test_open_redirects_after_sign_in_are_refused(client: TestClient, database: Database) -> None:
    user = make_user(database, Role.NURSE)
    response = client.post("/login", data={"username": user.username, "password": user.password,
                                           "next": "//evil.example/x", "csrf_token": _csrf(client)},
                           headers=HTML, follow_redirects=False)
    assert response.headers["location"] == "/"


def test_security_headers_are_on_every_response(client: TestClient) -> None:
    for path in ("/login", "/health", "/api/v1/lots"):
        headers = client.get(path).headers
        assert headers["x-frame-options"] == "DENY"
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert headers["x-content-type-options"] == "nosniff"
