"""API tokens listed, issued and revoked: an administrator anyone's, a user their own; a revoked token is refused
at once, on every server. Before this, tokens could be issued from the command line only, and never revoked."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from accounts.support import HTML, form_csrf, sign_in
from fastapi import FastAPI
from fastapi.testclient import TestClient

from batchtrack.config import Settings
from batchtrack.db import Database, make_engine
from batchtrack.main import create_app
from batchtrack.models.user import Role

from builders import UserHandle, make_user

ClientFactory = Callable[..., tuple[TestClient, UserHandle]]


@pytest.fixture
def other_server(settings: Settings, db_url: str) -> Iterator[TestClient]:
    """A second application server on the same database."""
    database = Database(make_engine(db_url))
    with TestClient(create_app(settings, database), raise_server_exceptions=False) as client:
        yield client
    database.dispose()


def test_an_administrator_issues_a_token_with_some_roles_a_station_and_an_expiry(
    database: Database, as_role: ClientFactory
) -> None:
    admin_client, _admin = as_role(Role.ADMIN)
    both = make_user(database, Role.OPERATOR, Role.QC_ANALYST)
    issued = admin_client.post("/api/v1/tokens", json={"user": both.username, "name": "bench-3 scanner",
                                                       "roles": ["operator"], "station": "bench-3", "days": 30})
    assert issued.status_code == 201, issued.text
    body = issued.json()
    assert (body["roles"], body["station"], body["state"]) == (["operator"], "bench-3", "active")
    me = admin_client.get("/api/v1/me", headers={"authorization": f"Bearer {body['token']}"}).json()
    assert me["roles"] == ["operator"]
    listed = admin_client.get("/api/v1/tokens", params={"username": both.username}).json()
    assert [t["name"] for t in listed] == ["bench-3 scanner", "tests"]
    assert all("token" not in t for t in listed)


def test_a_token_carries_only_roles_its_user_holds(database: Database, as_role: ClientFactory) -> None:
    admin_client, _admin = as_role(Role.ADMIN)
    nurse = make_user(database, Role.NURSE)
    refused = admin_client.post("/api/v1/tokens", json={"user": nurse.username, "name": "x", "roles": ["qa"]})
    assert (refused.status_code, refused.json()["error"]) == (400, "token_refused")
    too_long = admin_client.post("/api/v1/tokens", json={"user": nurse.username, "name": "x", "days": 10_000})
    assert too_long.status_code == 400


def test_no_token_is_issued_for_a_deactivated_account(database: Database, as_role: ClientFactory) -> None:
    admin_client, admin = as_role(Role.ADMIN)
    nurse = make_user(database, Role.NURSE)
    assert admin_client.post(f"/api/v1/users/{nurse.username}/deactivate", json={
        "reason": "left", "username": admin.username, "password": admin.password}).status_code == 200
    refused = admin_client.post("/api/v1/tokens", json={"user": nurse.username, "name": "ward tablet"})
    assert (refused.status_code, refused.json()["error"]) == (400, "account_inactive")


def test_a_revoked_token_is_refused_at_once_on_every_server(
    database: Database, as_role: ClientFactory, other_server: TestClient
) -> None:
    admin_client, _admin = as_role(Role.ADMIN)
    operator = make_user(database, Role.OPERATOR)
    bearer = {"authorization": f"Bearer {operator.token}"}
    assert other_server.get("/api/v1/me", headers=bearer).status_code == 200
    token_id = admin_client.get("/api/v1/tokens", params={"username": operator.username}).json()[0]["id"]
    revoked = admin_client.post(f"/api/v1/tokens/{token_id}/revoke", json={"reason": "scanner lost"})
    assert revoked.status_code == 200 and revoked.json()["state"] == "revoked"
    assert other_server.get("/api/v1/me", headers=bearer).status_code == 401
    assert admin_client.get("/api/v1/me", headers=bearer).status_code == 401


def test_a_user_lists_and_revokes_only_their_own_tokens(database: Database, as_role: ClientFactory) -> None:
    nurse_client, nurse = as_role(Role.NURSE)
    other = make_user(database, Role.NURSE)
    mine = nurse_client.get("/api/v1/tokens").json()
    assert [t["username"] for t in mine] == [nurse.username]
    admin_client, _admin = as_role(Role.ADMIN)
    others = admin_client.get("/api/v1/tokens", params={"username": other.username}).json()
    refused = nurse_client.post(f"/api/v1/tokens/{others[0]['id']}/revoke", json={"reason": "not mine"})
    assert refused.status_code == 404
    assert nurse_client.post(f"/api/v1/tokens/{mine[0]['id']}/revoke", json={"reason": "done"}).status_code == 200
    assert nurse_client.get("/api/v1/me").status_code == 401


def test_a_revocation_needs_a_reason(as_role: ClientFactory) -> None:
    client, _user = as_role(Role.NURSE)
    token_id = client.get("/api/v1/tokens").json()[0]["id"]
    assert client.post(f"/api/v1/tokens/{token_id}/revoke", json={"reason": ""}).status_code == 422
    assert client.post(f"/api/v1/tokens/{token_id}/revoke", json={"reason": "   "}).status_code in (400, 422)
    assert client.get("/api/v1/me").status_code == 200


def test_the_token_pages_show_name_roles_station_expiry_last_use_and_state(
    app: FastAPI, database: Database
) -> None:
    admin = make_user(database, Role.ADMIN)
    operator = make_user(database, Role.OPERATOR)
    with TestClient(app, raise_server_exceptions=False) as browser:
        sign_in(browser, admin.username, admin.password)
        browser.get("/api/v1/me", headers={"authorization": f"Bearer {operator.token}"})  # a last use
        listing = browser.get("/admin/tokens", headers=HTML)
        assert listing.status_code == 200 and operator.username in listing.text and "active" in listing.text
        detail = browser.get(f"/admin/users/{operator.username}", headers=HTML)
        token_id = detail.text.split('id="token-', 1)[1].split('"', 1)[0]
        revoked = browser.post(f"/admin/tokens/{token_id}/revoke", data={
            "reason": "scanner retired", "back": operator.username,
            "csrf_token": form_csrf(browser, "/admin/tokens")}, headers=HTML)
        assert revoked.status_code == 200 and "revoked" in revoked.text
    with TestClient(app, raise_server_exceptions=False) as browser:
        sign_in(browser, operator.username, operator.password)
        own = browser.get("/account", headers=HTML)
        assert own.status_code == 200 and "tests" in own.text and "revoked" in own.text
