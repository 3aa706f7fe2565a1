"""Browser sessions held by the server: ended at sign-out, after idle and absolute time, at lockout, on every
server at once (two applications on the same database stand for two app servers)."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from itsdangerous import TimestampSigner
from sqlalchemy import select, text, update
from sqlmodel import col

from batchtrack.auth import sessions
from batchtrack.config import Settings
from batchtrack.db import Database, make_engine
from batchtrack.main import SESSION_COOKIE, create_app
from batchtrack.models.base import utcnow
from batchtrack.models.user import Role, UserSession
from batchtrack.web.deps import SESSION_KEY

from builders import UserHandle, make_user

HTML = {"accept": "text/html"}


@pytest.fixture
def other_server(settings: Settings, db_url: str) -> Iterator[TestClient]:
    """A second application server on the same database: its own engine, pool and process state."""
    database = Database(make_engine(db_url))
    with TestClient(create_app(settings, database), raise_server_exceptions=False) as client:
        yield client
    database.dispose()


def _csrf(client: TestClient, path: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path, headers=HTML).text)
    assert match, f"{path} carries a CSRF token"
    return match.group(1)


def _sign_in(client: TestClient, user: UserHandle) -> None:
    response = client.post("/login", data={"username": user.username, "password": user.password, "next": "/",
                                           "csrf_token": _csrf(client, "/login")}, headers=HTML,
                           follow_redirects=False)
    assert response.status_code == 303, response.text


def _with_cookie_of(client: TestClient, source: TestClient) -> TestClient:
    client.cookies.set(SESSION_COOKIE, source.cookies[SESSION_COOKIE])
    return client


def _session_rows(database: Database, username: str) -> list[UserSession]:
    with database.transaction(write=False) as session:
        user_id = session.execute(text("SELECT id FROM app_user WHERE username = :u"), {"u": username}).scalar_one()
        return list(session.execute(select(UserSession).where(col(UserSession.user_id) == user_id)).scalars())


def _age_sessions(database: Database, username: str, *, idle: timedelta = timedelta(0),
                  age: timedelta = timedelta(0)) -> None:
    rows = _session_rows(database, username)
    with database.transaction() as session:
        for row in rows:
            session.execute(update(UserSession).where(col(UserSession.id) == row.id).values(
                last_seen_at=row.last_seen_at - idle, started_at=row.started_at - age))


def test_a_cookie_saved_before_sign_out_is_refused_afterwards_by_every_server(
    client: TestClient, other_server: TestClient, database: Database
) -> None:
    user = make_user(database, Role.OPERATOR)
    _sign_in(client, user)
    saved = client.cookies[SESSION_COOKIE]
    assert _with_cookie_of(other_server, client).get("/api/v1/me").status_code == 200
    signed_out = client.post("/logout", data={"csrf_token": _csrf(client, "/")}, headers=HTML, follow_redirects=False)
    assert signed_out.status_code == 303
    other_server.cookies.set(SESSION_COOKIE, saved)
    refused = other_server.get("/api/v1/me")
    assert refused.status_code == 401
    assert refused.json()["error"] == "session_ended"
    [row] = _session_rows(database, user.username)
    assert row.ended_at is not None and row.end_reason == "signed_out"


def test_a_session_left_idle_longer_than_the_setting_is_refused(
    client: TestClient, database: Database, settings: Settings
) -> None:
    user = make_user(database, Role.QA)
    _sign_in(client, user)
    assert client.get("/api/v1/me").status_code == 200
    _age_sessions(database, user.username, idle=timedelta(minutes=settings.session_idle_minutes, seconds=1))
    refused = client.get("/api/v1/me")
    assert refused.status_code == 401
    assert "without use" in refused.json()["message"]
    assert client.get("/", headers=HTML, follow_redirects=False).headers["location"].startswith("/login")


def test_a_session_in_use_ends_at_its_absolute_time(client: TestClient, database: Database,
                                                    settings: Settings) -> None:
    user = make_user(database, Role.QA)
    _sign_in(client, user)
    _age_sessions(database, user.username, age=timedelta(seconds=settings.session_max_age_seconds))
    refused = client.get("/api/v1/me")
    assert refused.status_code == 401 and "longest allowed time" in refused.json()["message"]


def test_use_of_a_session_is_recorded_so_its_idle_time_starts_again(client: TestClient, database: Database,
                                                                      settings: Settings) -> None:
    user = make_user(database, Role.QA)
    _sign_in(client, user)
    # Nearly idle: a request now restarts the idle time, so the session is still open well after the limit
    # counted from the sign-in would have ended it.
    _age_sessions(database, user.username, idle=timedelta(minutes=settings.session_idle_minutes - 1))
    before = _session_rows(database, user.username)[0].last_seen_at
    assert client.get("/api/v1/me").status_code == 200
    after = _session_rows(database, user.username)[0].last_seen_at
    assert after - before >= timedelta(minutes=settings.session_idle_minutes - 1)


def test_each_sign_in_is_its_own_session_and_only_a_key_hash_is_stored(
    client: TestClient, other_server: TestClient, database: Database
) -> None:
    user = make_user(database, Role.NURSE)
    _sign_in(client, user)
    _sign_in(other_server, user)
    rows = _session_rows(database, user.username)
    assert len(rows) == 2 and len({r.key_hash for r in rows}) == 2
    cookies = {client.cookies[SESSION_COOKIE], other_server.cookies[SESSION_COOKIE]}
    assert not any(row.key_hash in cookie for row in rows for cookie in cookies)


def test_a_lockout_ends_the_users_open_sessions(client: TestClient, other_server: TestClient,
                                               database: Database, settings: Settings) -> None:
    user = make_user(database, Role.QA)
    _sign_in(client, user)
    for _ in range(settings.login_max_failures):
        other_server.post("/login", data={"username": user.username, "password": "wrong-password-123",
                                          "csrf_token": _csrf(other_server, "/login")}, headers=HTML)
    refused = client.get("/api/v1/me")
    assert refused.status_code == 401 and "locked" in refused.json()["message"]


def test_a_deactivated_users_session_is_refused_at_once(client: TestClient, database: Database) -> None:
    user = make_user(database, Role.OPERATOR)
    _sign_in(client, user)
    with database.transaction() as session:
        session.execute(text("UPDATE app_user SET is_active = :no WHERE username = :u"),
                        {"no": False, "u": user.username})
    refused = client.get("/api/v1/me")
    assert refused.status_code == 401 and refused.json()["message"] == "your account was deactivated"


@pytest.mark.parametrize(("idle", "age", "ended", "expected"), [
    (timedelta(minutes=14, seconds=59), timedelta(hours=1), False, None),
    (timedelta(minutes=15), timedelta(hours=1), False, sessions.EndReason.IDLE),
    (timedelta(0), timedelta(hours=8), False, sessions.EndReason.EXPIRED),
    (timedelta(0), timedelta(0), True, sessions.EndReason.SIGNED_OUT),
])
def test_the_session_rule(idle: timedelta, age: timedelta, ended: bool,
                          expected: sessions.EndReason | None) -> None:
    now = utcnow()
    assert sessions.refusal(started_at=now - age, last_seen_at=now - idle, ended_at=now if ended else None, now=now,
                            idle=timedelta(minutes=15), absolute=timedelta(hours=8)) == expected


def test_an_ended_sessions_stored_reason_is_the_one_given() -> None:
    now = utcnow()
    assert sessions.refusal(started_at=now, last_seen_at=now, ended_at=now, now=now, idle=timedelta(minutes=15),
                            absolute=timedelta(hours=8), end_reason="deactivated") == sessions.EndReason.DEACTIVATED


def test_a_cookie_that_names_a_user_rather_than_a_session_opens_nothing(
    client: TestClient, database: Database, settings: Settings
) -> None:
    # Cookies signed before sessions were held by the server named the user; one forged so by someone who knows
    # the secret key, or kept from before the upgrade, names no session.
    user = make_user(database, Role.QA)
    forged = base64.b64encode(json.dumps({"user_id": user.principal.user_id}).encode())
    client.cookies.set(SESSION_COOKIE, TimestampSigner(settings.secret_key.get_secret_value()).sign(forged).decode())
    assert client.get("/api/v1/me").status_code == 401
    client.cookies.set(SESSION_COOKIE, TimestampSigner(settings.secret_key.get_secret_value()).sign(
        base64.b64encode(json.dumps({SESSION_KEY: "guessed"}).encode())).decode())
    assert client.get("/api/v1/me").status_code == 401
