"""The admin role administers accounts through the API: create, deactivate, reactivate, change roles, reset a
password; each signed with a reason and audited, each refused with its reasons where a rule says no. Before this,
no command, API or page did any of it."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator

import pytest
from accounts.support import HTML, form_csrf, sign_in, signed
from conftest import api_client
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text

from batchtrack.accounts import service as account_service
from batchtrack.audit import signature_check
from batchtrack.config import Settings
from batchtrack.db import Database, make_engine
from batchtrack.errors import InvalidTransition
from batchtrack.main import create_app
from batchtrack.models.user import Role

from builders import UserHandle, make_user

ClientFactory = Callable[..., tuple[TestClient, UserHandle]]


@pytest.fixture
def other_server(settings: Settings, db_url: str) -> Iterator[TestClient]:
    """A second application server on the same database: its own engine, pool and process state."""
    database = Database(make_engine(db_url))
    with TestClient(create_app(settings, database), raise_server_exceptions=False) as client:
        yield client
    database.dispose()


def _entries(database: Database, action: str) -> list[dict[str, object]]:
    with database.engine.connect() as connection:
        rows = connection.execute(text("SELECT actor_name, entity_id, new_values, reason FROM audit_entry "
                                       "WHERE action = :a ORDER BY seq"), {"a": action}).all()
    return [{"actor": r[0], "entity_id": r[1], "new": json.loads(r[2]), "reason": r[3]} for r in rows]


def test_an_administrator_creates_a_user_who_must_choose_their_own_password_at_first_sign_in(
    app: FastAPI, database: Database, as_role: ClientFactory
) -> None:
    admin_client, admin = as_role(Role.ADMIN)
    created = admin_client.post("/api/v1/users", json=signed(
        admin, "joins QC on 1 December", new_username="Mina.Park", full_name="Mina Park", roles=["qc_analyst"]))
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["username"], body["roles"], body["must_change_password"]) == ("mina.park", ["qc_analyst"], True)
    temporary = body["temporary_password"]
    with TestClient(app, raise_server_exceptions=False) as browser:
        assert sign_in(browser, "mina.park", temporary) == "/account/password"
        # The temporary password opens nothing else: the API answers 403, a page sends the browser back.
        refused = browser.get("/api/v1/me")
        assert (refused.status_code, refused.json()["error"]) == (403, "password_change_required")
        page = browser.get("/deviations", headers=HTML, follow_redirects=False)
        assert (page.status_code, page.headers["location"]) == (303, "/account/password")
        csrf = {"x-csrf-token": form_csrf(browser, "/account/password")}
        changed = browser.post("/api/v1/me/password", headers=csrf, json={
            "current_password": temporary, "new_password": "violet-tram-quarry-41",
            "repeat_password": "violet-tram-quarry-41"})
        assert changed.status_code == 200, changed.text
        assert browser.get("/api/v1/me").json()["username"] == "mina.park"
    entry = _entries(database, "user.created")[-1]
    assert entry["reason"] == "joins QC on 1 December" and entry["actor"] == admin.principal.full_name
    assert temporary not in json.dumps(entry)


def test_deactivation_ends_the_users_session_and_refuses_their_token_at_once_on_every_server(
    app: FastAPI, database: Database, as_role: ClientFactory, other_server: TestClient
) -> None:
    admin_client, admin = as_role(Role.ADMIN)
    operator = make_user(database, Role.OPERATOR)
    with TestClient(app, raise_server_exceptions=False) as browser:
        sign_in(browser, operator.username, operator.password)
        assert browser.get("/api/v1/me").status_code == 200
        done = admin_client.post(f"/api/v1/users/{operator.username}/deactivate", json=signed(admin))
        assert done.status_code == 200, done.text
        assert done.json()["is_active"] is False
        refused = browser.get("/api/v1/me")
        assert (refused.status_code, refused.json()["error"]) == (401, "session_ended")
    for server in (admin_client, other_server):
        by_token = server.get("/api/v1/me", headers={"authorization": f"Bearer {operator.token}"})
        assert by_token.status_code == 401
    with database.engine.connect() as connection:
        reasons = connection.execute(text(
            "SELECT s.end_reason FROM user_session s JOIN app_user u ON u.id = s.user_id WHERE u.username = :u"),
            {"u": operator.username}).scalars().all()
    assert reasons == ["deactivated"]


def test_a_reactivated_user_signs_in_again_and_their_unrevoked_token_works_again(
    client: TestClient, database: Database, as_role: ClientFactory
) -> None:
    admin_client, admin = as_role(Role.ADMIN)
    nurse = make_user(database, Role.NURSE)
    assert admin_client.post(f"/api/v1/users/{nurse.username}/deactivate", json=signed(admin)).status_code == 200
    again = admin_client.post(f"/api/v1/users/{nurse.username}/reactivate", json=signed(admin, "back from leave"))
    assert again.status_code == 200 and again.json()["is_active"] is True
    assert client.get("/api/v1/me", headers={"authorization": f"Bearer {nurse.token}"}).status_code == 200
    twice = admin_client.post(f"/api/v1/users/{nurse.username}/reactivate", json=signed(admin))
    assert twice.status_code == 409 and [r["code"] for r in twice.json()["reasons"]] == ["already_active"]


def test_a_change_of_roles_ends_the_users_sessions_and_their_token_keeps_only_roles_still_held(
    app: FastAPI, database: Database, as_role: ClientFactory
) -> None:
    admin_client, admin = as_role(Role.ADMIN)
    both = make_user(database, Role.OPERATOR, Role.QC_ANALYST)
    with TestClient(app, raise_server_exceptions=False) as browser:
        sign_in(browser, both.username, both.password)
        changed = admin_client.post(f"/api/v1/users/{both.username}/roles",
                                    json=signed(admin, "moved to QC", roles=["qc_analyst"]))
        assert changed.status_code == 200, changed.text
        assert changed.json()["roles"] == ["qc_analyst"]
        refused = browser.get("/api/v1/me")
        assert refused.status_code == 401 and "roles were changed" in refused.json()["message"]
    me = admin_client.get("/api/v1/me", headers={"authorization": f"Bearer {both.token}"})
    assert me.json()["roles"] == ["qc_analyst"]
    entry = _entries(database, "user.roles_changed")[-1]
    assert entry["new"]["roles_before"] == ["operator", "qc_analyst"] and entry["new"]["roles"] == ["qc_analyst"]


def test_no_one_changes_their_own_roles_and_the_refusal_is_audited(
    database: Database, as_role: ClientFactory
) -> None:
    admin_client, admin = as_role(Role.ADMIN)
    make_user(database, Role.ADMIN)  # not the last administrator: the refusal is about whose roles they are
    refused = admin_client.post(f"/api/v1/users/{admin.username}/roles",
                                json=signed(admin, "promote myself", roles=["admin", "qa"]))
    assert refused.status_code == 409
    assert [r["code"] for r in refused.json()["reasons"]] == ["own_roles"]
    assert admin_client.get(f"/api/v1/users/{admin.username}").json()["roles"] == ["admin"]
    assert _entries(database, "user.roles_changed_refused")[-1]["entity_id"] == admin.username


def test_the_last_active_administrator_cannot_deactivate_themselves(as_role: ClientFactory) -> None:
    admin_client, admin = as_role(Role.ADMIN)
    refused = admin_client.post(f"/api/v1/users/{admin.username}/deactivate", json=signed(admin))
    assert refused.status_code == 409
    assert [r["code"] for r in refused.json()["reasons"]] == ["own_account", "last_admin"]
    assert admin_client.get("/api/v1/me").status_code == 200


def test_roles_are_known_values(database: Database, as_role: ClientFactory) -> None:
    admin_client, admin = as_role(Role.ADMIN)
    nurse = make_user(database, Role.NURSE)
    refused = admin_client.post(f"/api/v1/users/{nurse.username}/roles",
                                json=signed(admin, "typo", roles=["nurse", "superuser"]))
    assert (refused.status_code, refused.json()["error"]) == (400, "role_unknown")
    created = admin_client.post("/api/v1/users", json=signed(admin, new_username="eve", full_name="Eve",
                                                             roles=["root"]))
    assert (created.status_code, created.json()["error"]) == (400, "role_unknown")


def test_a_password_reset_ends_the_users_sessions_and_the_temporary_password_forces_a_new_one(
    app: FastAPI, database: Database, as_role: ClientFactory
) -> None:
    admin_client, admin = as_role(Role.ADMIN)
    qa = make_user(database, Role.QA)
    with TestClient(app, raise_server_exceptions=False) as browser:
        sign_in(browser, qa.username, qa.password)
        reset = admin_client.post(f"/api/v1/users/{qa.username}/reset-password",
                                  json=signed(admin, "forgot the password, asked in person"))
        assert reset.status_code == 200, reset.text
        assert browser.get("/api/v1/me").status_code == 401
        temporary = reset.json()["temporary_password"]
        assert sign_in(browser, qa.username, temporary) == "/account/password"
        assert browser.get("/api/v1/me").json()["error"] == "password_change_required"
    with TestClient(app, raise_server_exceptions=False) as old:
        refused = old.post("/login", data={"username": qa.username, "password": qa.password, "next": "/",
                                           "csrf_token": form_csrf(old)}, headers=HTML, follow_redirects=False)
        assert refused.status_code == 401
    assert not any(temporary in json.dumps(e) for e in _entries(database, "user.password_reset"))


def test_each_action_is_signed_and_its_signature_verifies_against_the_audit_entry(
    database: Database, as_role: ClientFactory
) -> None:
    admin_client, admin = as_role(Role.ADMIN)
    nurse = make_user(database, Role.NURSE)
    for path, body in ((f"/api/v1/users/{nurse.username}/roles", signed(admin, roles=["nurse", "collector"])),
                       (f"/api/v1/users/{nurse.username}/reset-password", signed(admin)),
                       (f"/api/v1/users/{nurse.username}/deactivate", signed(admin)),
                       (f"/api/v1/users/{nurse.username}/reactivate", signed(admin)),
                       ("/api/v1/users", signed(admin, new_username="sam", full_name="Sam Kang", roles=["courier"]))):
        assert admin_client.post(path, json=body).status_code in (200, 201), path
    with database.transaction(write=False) as session:
        rows = session.execute(text("SELECT entity_id, meaning FROM signature WHERE entity_type = 'user_account' "
                                    "ORDER BY id")).all()
        findings = signature_check.check_signatures(session=session)
    assert [tuple(r) for r in rows] == [(nurse.username, "approved")] * 4 + [("sam", "approved")]
    assert findings == []


def test_a_wrong_signature_password_changes_nothing(database: Database, as_role: ClientFactory) -> None:
    admin_client, admin = as_role(Role.ADMIN)
    nurse = make_user(database, Role.NURSE)
    refused = admin_client.post(f"/api/v1/users/{nurse.username}/deactivate",
                                json={"reason": "x", "username": admin.username, "password": "not-the-password"})
    assert refused.status_code == 403
    assert admin_client.get(f"/api/v1/users/{nurse.username}").json()["is_active"] is True


def test_an_administrator_sees_a_user_with_their_sessions_and_tokens(
    app: FastAPI, database: Database, as_role: ClientFactory
) -> None:
    admin_client, _admin = as_role(Role.ADMIN)
    operator = make_user(database, Role.OPERATOR)
    with TestClient(app, raise_server_exceptions=False) as browser:
        sign_in(browser, operator.username, operator.password)
        detail = admin_client.get(f"/api/v1/users/{operator.username}").json()
    assert detail["roles"] == ["operator"] and detail["last_login_at"] is not None
    assert len(detail["sessions"]) == 1 and [t["name"] for t in detail["tokens"]] == ["tests"]
    listed = admin_client.get("/api/v1/users", params={"role": "operator"}).json()
    assert [u["username"] for u in listed] == [operator.username]
    assert admin_client.get("/api/v1/users", params={"state": "sleeping"}).status_code == 400


def test_only_the_admin_role_administers_accounts(database: Database, as_role: ClientFactory) -> None:
    qa_client, qa = as_role(Role.QA)
    nurse = make_user(database, Role.NURSE)
    refused = qa_client.post(f"/api/v1/users/{nurse.username}/deactivate", json=signed(qa))
    assert (refused.status_code, refused.json()["error"]) == (403, "role")


def test_two_administrators_deactivating_each_other_at_once_leave_one_administrator(
    database: Database, db_url: str
) -> None:
    first_admin, second_admin = make_user(database, Role.ADMIN), make_user(database, Role.ADMIN)
    other_server = Database(make_engine(db_url))
    outcome: list[object] = []

    def second() -> None:
        try:
            with other_server.transaction() as session:
                account_service.deactivate(session=session, actor=second_admin.principal,
                                           username=first_admin.username, reason="at the same time",
                                           signing=account_service.Signing(second_admin.username,
                                                                           second_admin.password))
            outcome.append("deactivated")
        except InvalidTransition as exc:
            outcome.append([r.code for r in exc.reasons])

    try:
        with database.transaction() as session:
            account_service.deactivate(session=session, actor=first_admin.principal, username=second_admin.username,
                                       reason="at the same time",
                                       signing=account_service.Signing(first_admin.username, first_admin.password))
            racing = threading.Thread(target=second)
            racing.start()
            racing.join(timeout=1.0)
            assert racing.is_alive(), "the second waits for the first"
        racing.join(timeout=30)
    finally:
        other_server.dispose()
    assert outcome == [["last_admin"]]


def test_a_user_search_with_a_control_character_is_refused_as_malformed_not_a_server_error(
    app: FastAPI, database: Database
) -> None:
    # PostgreSQL refuses a NUL in text: the search is refused before it reaches the database, on the API and on
    # the page alike.
    with api_client(app, make_user(database, Role.ADMIN)) as client:
        assert client.get("/api/v1/users", params={"q": "\x00kim"}).status_code == 422
        assert client.get("/admin/users", params={"q": "\x00kim"}, headers=HTML).status_code == 422
        assert client.get("/api/v1/users", params={"q": "kim"}).status_code == 200
