"""Sign-in: the per-account lockout, the per-address brake on password spraying, and answers that never tell
whether an account exists."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from security.support import HTML, post_login
from sqlalchemy import select
from sqlmodel import col

from batchtrack.audit import service as audit_service
from batchtrack.auth import service as auth_service
from batchtrack.auth import throttle
from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.models.base import utcnow
from batchtrack.models.sign_in import SignInFailure
from batchtrack.models.user import Role

from builders import make_user


def _alert(html: str) -> str:
    match = re.search(r'role="alert">([^<]*)<', html)
    return match.group(1).strip() if match else ""


def _actions(database: Database, user_id: int) -> list[str]:
    with database.transaction(write=False) as session:
        return [e.action for e in audit_service.entries_for(session=session, entity_type="user", entity_id=user_id)]


@pytest.fixture
def other_address(app: FastAPI) -> Iterator[TestClient]:
    """A second browser, at another client address."""
    with TestClient(app, raise_server_exceptions=False, client=("198.51.100.7", 50000)) as other:
        yield other


def test_repeated_failures_lock_the_account_and_even_the_right_password_is_refused(
    client: TestClient, database: Database, settings: Settings
) -> None:
    user = make_user(database, Role.QA)
    failures = [post_login(client, user.username, "wrong-password-123") for _ in range(settings.login_max_failures)]
    assert [r.status_code for r in failures] == [401] * settings.login_max_failures
    right = post_login(client, user.username, user.password)
    assert right.status_code == 401
    assert client.get("/", headers=HTML, follow_redirects=False).status_code == 303  # still not signed in
    actions = _actions(database, user.principal.user_id)
    assert actions.count("auth.locked") == 1
    assert actions[-1] == "auth.login_refused"  # the attempt during lockout is recorded too


def test_a_locked_account_unlocks_once_the_lockout_has_passed(
    client: TestClient, database: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = make_user(database, Role.OPERATOR)
    for _ in range(settings.login_max_failures):
        post_login(client, user.username, "wrong-password-123")
    almost = utcnow() + timedelta(minutes=settings.login_lockout_minutes) - timedelta(seconds=30)
    monkeypatch.setattr(auth_service, "utcnow", lambda: almost)
    assert post_login(client, user.username, user.password).status_code == 401
    later = utcnow() + timedelta(minutes=settings.login_lockout_minutes, seconds=30)
    monkeypatch.setattr(auth_service, "utcnow", lambda: later)
    response = post_login(client, user.username, user.password)
    assert response.status_code == 303
    assert client.get("/", headers=HTML).status_code == 200


def test_a_locked_account_answers_exactly_as_an_unknown_user_does(
    client: TestClient, database: Database, settings: Settings
) -> None:
    user = make_user(database, Role.NURSE)
    for _ in range(settings.login_max_failures):
        post_login(client, user.username, "wrong-password-123")
    locked = post_login(client, user.username, user.password)
    unknown = post_login(client, "nobody-here", user.password)
    wrong = post_login(client, make_user(database, Role.NURSE).username, "wrong-password-123")
    assert locked.status_code == unknown.status_code == wrong.status_code == 401
    assert _alert(locked.text) == _alert(unknown.text) == _alert(wrong.text) != ""
    assert "lock" not in locked.text.lower()


def test_failures_across_many_user_names_from_one_address_are_throttled(
    client: TestClient, other_address: TestClient, database: Database, settings: Settings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings.login_throttle_failures = 3  # read when the first sign-in is tried
    real = make_user(database, Role.QA)
    sprayed = "Spray-Password-2026!"
    caplog.set_level(logging.DEBUG)
    attempts = [post_login(client, name, sprayed) for name in ("alice", "bob", real.username)]
    assert [r.status_code for r in attempts] == [401, 401, 401]
    throttled = post_login(client, real.username, real.password)  # even the right password, from this address
    assert throttled.status_code == 429
    assert 0 < int(throttled.headers["retry-after"]) <= settings.login_throttle_window_seconds
    assert "Too many failed sign-ins" in _alert(throttled.text)
    # Throttled before the password is looked at: no further failure counted against the account.
    assert _actions(database, real.principal.user_id).count("auth.login_failed") == 1
    # Another address is not held back, and the account itself is not locked.
    assert post_login(other_address, real.username, real.password).status_code == 303
    logged = caplog.text
    assert "sign-in refused" in logged and "testclient" in logged
    assert sprayed not in logged and real.password not in logged


def test_the_throttle_frees_an_address_as_its_failures_leave_the_window(database: Database) -> None:
    now = [utcnow()]
    brake = throttle.LoginThrottle(limit=2, window_seconds=60, clock=lambda: now[0])
    with database.transaction() as session:
        brake.failed(session=session, address="10.0.0.1")
    now[0] += timedelta(seconds=10)
    with database.transaction() as session:
        brake.failed(session=session, address="10.0.0.1")
    with database.transaction(write=False) as session:
        # The first failure leaves the window 60 s after it was made.
        assert brake.retry_after(session=session, address="10.0.0.1") == 50
        assert brake.retry_after(session=session, address="10.0.0.2") is None
    now[0] += timedelta(seconds=50)
    with database.transaction(write=False) as session:
        assert brake.retry_after(session=session, address="10.0.0.1") is None


def test_the_throttle_forgets_failures_that_have_left_the_window(database: Database) -> None:
    now = [utcnow()]
    brake = throttle.LoginThrottle(limit=1, window_seconds=60, clock=lambda: now[0])
    with database.transaction() as session:
        for address in ("a", "b", "c"):
            brake.failed(session=session, address=address)
    now[0] += timedelta(seconds=61)
    with database.transaction() as session:
        brake.failed(session=session, address="d")
    with database.transaction(write=False) as session:
        kept = session.execute(select(col(SignInFailure.client_address))).scalars().all()
        assert kept == ["d"]
        assert brake.retry_after(session=session, address="a") is None
        assert brake.retry_after(session=session, address="d") == 60


def test_the_throttle_rule_counts_only_failures_within_the_window() -> None:
    assert throttle.retry_after([0.0, 1.0, 2.0], now=100.0, limit=3, window=60) is None
    assert throttle.retry_after([50.0, 60.0, 70.0], now=100.0, limit=3, window=60) == 10
    assert throttle.retry_after([50.0, 60.0, 70.0], now=100.0, limit=2, window=60) == 20
