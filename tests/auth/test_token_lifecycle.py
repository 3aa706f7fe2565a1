"""API tokens have a life: roles, expiry, revocation and their user's state, honoured by every server at once."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text, update
from sqlmodel import col

from batchtrack.auth import service as auth_service
from batchtrack.auth import tokens
from batchtrack.auth.principal import SYSTEM
from batchtrack.config import Settings
from batchtrack.db import Database, make_engine
from batchtrack.errors import BadRequest
from batchtrack.main import create_app
from batchtrack.models.base import utcnow
from batchtrack.models.user import ApiToken, Role

from builders import make_user

HTML = {"accept": "text/html"}


@pytest.fixture
def servers(app: object, settings: Settings, db_url: str) -> Iterator[tuple[TestClient, TestClient]]:
    """Two application servers on the same database, each with its own engine and pool."""
    other = Database(make_engine(db_url))
    with TestClient(app, raise_server_exceptions=False) as first, \
            TestClient(create_app(settings, other), raise_server_exceptions=False) as second:  # type: ignore[arg-type]
        yield first, second
    other.dispose()


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _issue(database: Database, settings: Settings, username: str, **options: object) -> str:
    with database.transaction() as session:
        return tokens.create(session=session, settings=settings, actor=SYSTEM, username=username, name="bench-3",
                             **options)  # type: ignore[arg-type]


def _token_row(database: Database, token: str) -> ApiToken:
    with database.transaction(write=False) as session:
        return session.execute(select(ApiToken).where(
            col(ApiToken.token_hash) == tokens.token_hash(token))).scalar_one()


def test_a_revoked_token_is_refused_by_every_server_at_once(servers: tuple[TestClient, TestClient],
                                                           database: Database) -> None:
    first, second = servers
    user = make_user(database, Role.OPERATOR)
    assert first.get("/api/v1/me", headers=_bearer(user.token)).status_code == 200
    assert second.get("/api/v1/me", headers=_bearer(user.token)).status_code == 200
    with database.transaction() as session:
        tokens.revoke(session=session, actor=SYSTEM, token_id=_token_row(database, user.token).id or 0,
                      reason="scanner lost")
    assert [s.get("/api/v1/me", headers=_bearer(user.token)).status_code for s in servers] == [401, 401]


def test_a_locked_accounts_token_is_refused_until_the_lockout_ends(
    servers: tuple[TestClient, TestClient], database: Database, settings: Settings
) -> None:
    first, second = servers
    user = make_user(database, Role.OPERATOR)
    assert first.get("/api/v1/me", headers=_bearer(user.token)).status_code == 200
    with database.transaction() as session:
        for _ in range(settings.login_max_failures):
            auth_service.authenticate(session=session, settings=settings, username=user.username,
                                      password="wrong-password-123")
    assert [s.get("/api/v1/me", headers=_bearer(user.token)).status_code for s in servers] == [401, 401]
    with database.transaction() as session:
        session.execute(text("UPDATE app_user SET locked_until = NULL WHERE username = :u"), {"u": user.username})
    assert second.get("/api/v1/me", headers=_bearer(user.token)).status_code == 200


def test_an_expired_token_is_refused(servers: tuple[TestClient, TestClient], database: Database) -> None:
    user = make_user(database, Role.OPERATOR)
    with database.transaction() as session:
        session.execute(update(ApiToken).where(col(ApiToken.token_hash) == tokens.token_hash(user.token))
                        .values(expires_at=utcnow() - timedelta(seconds=1)))
    assert [s.get("/api/v1/me", headers=_bearer(user.token)).status_code for s in servers] == [401, 401]


def test_a_deactivated_users_token_is_refused(servers: tuple[TestClient, TestClient], database: Database) -> None:
    user = make_user(database, Role.OPERATOR)
    with database.transaction() as session:
        session.execute(text("UPDATE app_user SET is_active = :no WHERE username = :u"),
                        {"no": False, "u": user.username})
    assert [s.get("/api/v1/me", headers=_bearer(user.token)).status_code for s in servers] == [401, 401]


def test_a_token_carries_only_the_roles_it_was_issued_with(client: TestClient, database: Database,
                                                          settings: Settings) -> None:
    user = make_user(database, Role.QA, Role.OPERATOR)
    scanner = _issue(database, settings, user.username, roles={Role.OPERATOR}, station="bench-3")
    me = client.get("/api/v1/me", headers=_bearer(scanner)).json()
    assert me["roles"] == ["operator"]
    # QA's own action is refused to the operator's token (by role, before the request is read), though its user
    # holds QA; the user's full token gets past the role check to the request itself (no such deviation).
    refused = client.post("/api/v1/deviations/999/close", json={}, headers=_bearer(scanner))
    assert refused.status_code == 403 and refused.json()["error"] == "role"
    assert client.post("/api/v1/deviations/999/close", json={}, headers=_bearer(user.token)).status_code in {404, 422}


def test_a_role_the_user_loses_is_lost_by_their_tokens(client: TestClient, database: Database) -> None:
    user = make_user(database, Role.QA, Role.OPERATOR)
    with database.transaction() as session:
        session.execute(text("DELETE FROM user_role WHERE role = 'qa' AND user_id = "
                             "(SELECT id FROM app_user WHERE username = :u)"), {"u": user.username})
    assert client.get("/api/v1/me", headers=_bearer(user.token)).json()["roles"] == ["operator"]


def test_a_token_is_refused_roles_its_user_does_not_hold_or_a_life_beyond_the_maximum(
    database: Database, settings: Settings
) -> None:
    user = make_user(database, Role.OPERATOR)
    with pytest.raises(BadRequest, match="only roles its user holds"):
        _issue(database, settings, user.username, roles={Role.QA})
    with pytest.raises(BadRequest, match=f"between 1 and {settings.token_max_days} days"):
        _issue(database, settings, user.username, days=settings.token_max_days + 1)


def test_a_token_expires_after_the_default_lifetime_unless_asked_otherwise(database: Database,
                                                                          settings: Settings) -> None:
    user = make_user(database, Role.OPERATOR)
    default = _token_row(database, user.token)
    assert default.expires_at - default.created_at == timedelta(days=settings.token_default_days)
    short = _token_row(database, _issue(database, settings, user.username, days=7))
    assert short.expires_at - short.created_at == timedelta(days=7)


def test_a_tokens_last_use_is_recorded(client: TestClient, database: Database) -> None:
    user = make_user(database, Role.OPERATOR)
    assert _token_row(database, user.token).last_used_at is None
    assert client.get("/api/v1/me", headers=_bearer(user.token)).status_code == 200
    used = _token_row(database, user.token).last_used_at
    assert used is not None and utcnow() - used < timedelta(minutes=1)


@pytest.mark.parametrize(("asked", "held", "days", "refused"), [
    ({Role.OPERATOR}, {Role.OPERATOR, Role.QA}, 90, None),
    (set(), {Role.OPERATOR}, 90, "at least one role"),
    ({Role.QA}, {Role.OPERATOR}, 90, "only roles its user holds"),
    ({Role.OPERATOR}, {Role.OPERATOR}, 0, "between 1 and 365"),
    ({Role.OPERATOR}, {Role.OPERATOR}, 366, "between 1 and 365"),
])
def test_the_token_issue_rule(asked: set[Role], held: set[Role], days: int, refused: str | None) -> None:
    why = tokens.issue_refusal(asked=frozenset(asked), held=frozenset(held), days=days, max_days=365)
    assert (why is None) if refused is None else (why is not None and refused in str(why))
