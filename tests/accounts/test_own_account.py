"""A user's own account: changing their password under the rules, seeing their sessions and ending them."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from accounts.support import HTML, form_csrf, sign_in
from fastapi import FastAPI
from fastapi.testclient import TestClient
from security.authorization_matrix import SAMPLE
from sqlalchemy import text

from batchtrack.accounts import service as account_service
from batchtrack.auth.principal import SYSTEM
from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.models.user import Role
from batchtrack.web.deps import PASSWORD_CHANGE_PATHS

from builders import UserHandle, make_user
from route_catalogue import protected

ClientFactory = Callable[..., tuple[TestClient, UserHandle]]
NEW = "violet-tram-quarry-41"


def _change(client: TestClient, current: str, new: str, repeat: str | None = None) -> tuple[int, list[str]]:
    response = client.post("/api/v1/me/password", json={"current_password": current, "new_password": new,
                                                        "repeat_password": new if repeat is None else repeat})
    body = response.json()
    return response.status_code, [r["code"] for r in body.get("reasons", [])] or [body.get("error", "")]


@pytest.mark.parametrize(("new", "code"), [
    ("short-pw-1", "password_too_short"),
    ("Password123456!", "password_common"),
    ("QWERTYUIOP2026", "password_common"),
])
def test_a_weak_new_password_is_refused_with_its_reason(as_role: ClientFactory, new: str, code: str) -> None:
    client, user = as_role(Role.OPERATOR)
    assert _change(client, user.password, new) == (400, [code])


def test_a_new_password_may_not_contain_the_user_name(as_role: ClientFactory) -> None:
    client, user = as_role(Role.OPERATOR)
    assert _change(client, user.password, f"My-{user.username.upper()}-tram") == (400, ["password_contains_username"])


def test_none_of_the_last_passwords_may_be_chosen_again(as_role: ClientFactory, settings: Settings) -> None:
    client, user = as_role(Role.OPERATOR)
    assert _change(client, user.password, user.password) == (400, ["password_reused"])
    chosen = [f"violet-tram-quarry-{n}x" for n in range(settings.password_history_count + 1)]
    current = user.password
    for password in chosen:
        assert _change(client, current, password)[0] == 200
        current = password
    # The last `password_history_count` and the one held now are refused; the oldest has left the history.
    assert _change(client, current, chosen[1]) == (400, ["password_reused"])
    assert _change(client, current, user.password)[0] == 200


def test_the_new_password_must_be_repeated_and_the_current_one_known(as_role: ClientFactory,
                                                                       database: Database) -> None:
    client, user = as_role(Role.OPERATOR)
    assert _change(client, user.password, NEW, repeat=NEW + "!") == (400, ["password_mismatch"])
    assert _change(client, "not-my-password-at-all", NEW) == (403, ["password_current"])
    with database.engine.connect() as connection:
        refused = connection.execute(text("SELECT count(*) FROM audit_entry WHERE action = "
                                          "'user.password_change_refused'")).scalar()
    assert refused == 1
    assert client.get("/api/v1/me").status_code == 200


def test_changing_ones_password_ends_ones_other_sessions_and_keeps_this_one(app: FastAPI, database: Database) -> None:
    user = make_user(database, Role.QA)
    with TestClient(app, raise_server_exceptions=False) as here, \
            TestClient(app, raise_server_exceptions=False) as elsewhere:
        sign_in(here, user.username, user.password)
        sign_in(elsewhere, user.username, user.password)
        page = here.post("/account/password", data={
            "current_password": user.password, "new_password": NEW, "repeat_password": NEW,
            "csrf_token": form_csrf(here, "/account/password")}, headers=HTML, follow_redirects=False)
        assert page.status_code == 303 and page.headers["location"].endswith("/account?changed=true")
        assert here.get("/api/v1/me").status_code == 200
        ended = elsewhere.get("/api/v1/me")
        assert ended.status_code == 401 and "password was changed" in ended.json()["message"]
    with database.engine.connect() as connection:
        history = connection.execute(text("SELECT count(*) FROM password_history h JOIN app_user u "
                                          "ON u.id = h.user_id WHERE u.username = :u"), {"u": user.username}).scalar()
    assert history == 2


def test_the_password_page_shows_a_refusal_in_place_with_its_reasons(app: FastAPI, database: Database) -> None:
    user = make_user(database, Role.QA)
    with TestClient(app, raise_server_exceptions=False) as browser:
        sign_in(browser, user.username, user.password)
        page = browser.post("/account/password", data={
            "current_password": user.password, "new_password": "letmein", "repeat_password": "letmein",
            "csrf_token": form_csrf(browser, "/account/password")}, headers=HTML)
    assert page.status_code == 400
    assert 'id="refusal"' in page.text and "password_common" in page.text and "password_too_short" in page.text
    assert 'id="password-form"' in page.text


def test_a_user_sees_their_open_sessions_and_ends_the_others(app: FastAPI, database: Database) -> None:
    user = make_user(database, Role.NURSE)
    with TestClient(app, raise_server_exceptions=False) as here, \
            TestClient(app, raise_server_exceptions=False) as elsewhere:
        sign_in(here, user.username, user.password)
        sign_in(elsewhere, user.username, user.password)
        listed = here.get("/api/v1/me/sessions").json()
        assert len(listed) == 2 and [s["current"] for s in listed].count(True) == 1
        ended = here.post("/api/v1/me/sessions/end-all", json={},
                          headers={"x-csrf-token": form_csrf(here, "/account")})
        assert ended.json() == {"ended": 1}
        assert elsewhere.get("/api/v1/me").status_code == 401
        assert here.get("/api/v1/me").status_code == 200
        page = here.get("/account", headers=HTML)
        assert page.status_code == 200 and "(this one)" in page.text and user.username in page.text


def test_ending_all_my_sessions_from_the_page_signs_me_out_too(app: FastAPI, database: Database) -> None:
    user = make_user(database, Role.NURSE)
    with TestClient(app, raise_server_exceptions=False) as browser:
        sign_in(browser, user.username, user.password)
        response = browser.post("/account/sessions/end", data={
            "include_current": "yes", "csrf_token": form_csrf(browser, "/account")}, headers=HTML,
            follow_redirects=False)
        assert response.headers["location"] == "/login"
        assert browser.get("/api/v1/me").status_code == 401


def test_a_token_lists_no_browser_session_as_its_own(as_role: ClientFactory) -> None:
    client, _user = as_role(Role.COURIER)
    assert client.get("/api/v1/me/sessions").json() == []


def test_a_temporary_password_opens_nothing_but_the_change_of_password(
    app: FastAPI, database: Database, settings: Settings
) -> None:
    user = make_user(database, Role.QA, Role.OPERATOR)
    with database.transaction() as session:
        temporary = account_service.reset_password(session=session, settings=settings, actor=SYSTEM,
                                                   username=user.username, reason="forgotten")[1]
    opened: list[str] = []
    with TestClient(app, raise_server_exceptions=False) as browser:
        assert sign_in(browser, user.username, temporary) == "/account/password"
        csrf = {"x-csrf-token": form_csrf(browser, "/account/password")}
        for endpoint in protected(app):
            if endpoint.path in PASSWORD_CHANGE_PATHS:
                continue
            url = endpoint.url(SAMPLE)
            if endpoint.path.startswith("/api/"):
                answer = browser.request(endpoint.method, url, json={}, headers=csrf)
                if (answer.status_code, answer.json().get("error")) != (403, "password_change_required"):
                    opened.append(f"{endpoint.method} {url}: {answer.status_code}")
            else:
                answer = browser.request(endpoint.method, url, headers={**HTML, **csrf}, follow_redirects=False)
                if (answer.status_code, answer.headers.get("location")) != (303, "/account/password"):
                    opened.append(f"{endpoint.method} {url}: {answer.status_code}")
    assert len(protected(app)) > 150 and opened == []
