"""Electronic signatures in a session (21 CFR 11.200(a)(1)): the first signature of a browser session needs the user
id and the password, later ones the password; every signature through an API token needs both. Every failed
signature counts toward lockout like a failed sign-in (11.300(d)), and a lockout appears on QA's alerts."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta

import httpx2 as httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlmodel import col

from batchtrack.auth import signatures
from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.deviations import service as deviation_service
from batchtrack.errors import SignatureRefused
from batchtrack.models.base import utcnow
from batchtrack.models.signature import SignatureMeaning
from batchtrack.models.user import Role, User, UserSession

from builders import UserHandle, make_user, seed_lot
from deviation_builders import HTML, csrf_of, entries, open_deviation, sign_in

ClientFactory = Callable[..., tuple[TestClient, UserHandle]]
CLOSURE = "CO2 sensor drifted; recalibrated and verified. Viability 94 %, identity within limits. No impact."


def _deviations(database: Database, settings: Settings, count: int = 1) -> list[str]:
    lot = seed_lot(database, settings)
    operator = make_user(database, Role.OPERATOR)
    return [open_deviation(database, lot.din, operator) for _ in range(count)]


def _close(client: TestClient, number: str, *, browser: bool = False, **credentials: str) -> httpx.Response:
    """Close the deviation through the API, from a browser session (with its CSRF token) or with a token."""
    headers = {"x-csrf-token": csrf_of(client, f"/deviations/{number}")} if browser else {}
    return client.post(f"/api/v1/deviations/{number}/close", json={"closure": CLOSURE, **credentials},
                       headers=headers)


def _state(database: Database, number: str) -> str:
    with database.transaction(write=False) as session:
        return deviation_service.get_by_number(session=session, number=number).state


def _user(database: Database, username: str) -> User:
    with database.transaction(write=False) as session:
        return session.execute(select(User).where(col(User.username) == username)).scalar_one()


def _user_actions(database: Database, username: str) -> list[str]:
    return [e.action for e in entries(database, "user", str(_user(database, username).id))]


def test_the_first_signature_of_a_browser_session_needs_the_user_id_and_later_ones_the_password_alone(
    client: TestClient, database: Database, settings: Settings
) -> None:
    first, second = _deviations(database, settings, 2)
    qa = make_user(database, Role.QA)
    sign_in(client, qa)

    refused = _close(client, first, browser=True, password=qa.password)
    assert refused.status_code == 403
    assert refused.json()["error"] == "signature.user_id_required" and "user ID" in refused.json()["message"]
    assert _state(database, first) == "open"
    assert entries(database, "deviation", first)[-1].action == "signature.refused"

    assert _close(client, first, browser=True, username=qa.username, password=qa.password).status_code == 200
    assert _close(client, second, browser=True, password=qa.password).status_code == 200
    assert (_state(database, first), _state(database, second)) == ("closed", "closed")
    # Asking for the user id is no failed attempt: nothing counted toward lockout.
    assert _user(database, qa.username).failed_logins == 0


def test_a_new_session_asks_for_the_user_id_again(
    client: TestClient, database: Database, settings: Settings
) -> None:
    first, second = _deviations(database, settings, 2)
    qa = make_user(database, Role.QA)
    sign_in(client, qa)
    assert _close(client, first, browser=True, username=qa.username, password=qa.password).status_code == 200
    signed_out = client.post("/logout", data={"csrf_token": csrf_of(client, "/")}, headers=HTML,
                             follow_redirects=False)
    assert signed_out.status_code == 303
    sign_in(client, qa)

    refused = _close(client, second, browser=True, password=qa.password)
    assert refused.status_code == 403 and refused.json()["error"] == "signature.user_id_required"
    with database.transaction(write=False) as session:
        signed = session.execute(select(col(UserSession.first_signed_at)).join(User)
                                 .where(col(User.username) == qa.username)
                                 .order_by(col(UserSession.id))).scalars().all()
    assert signed[0] is not None and signed[-1] is None


def test_every_signature_through_an_api_token_needs_the_user_id(
    database: Database, settings: Settings, as_role: ClientFactory
) -> None:
    first, second = _deviations(database, settings, 2)
    qa, user = as_role(Role.QA)
    assert _close(qa, first, username=user.username, password=user.password).status_code == 200

    refused = _close(qa, second, password=user.password)
    assert refused.status_code == 403 and refused.json()["error"] == "signature.user_id_required"
    assert _state(database, second) == "open"


def test_a_user_id_that_is_not_the_signers_is_refused_audited_and_counts_toward_lockout(
    database: Database, settings: Settings, as_role: ClientFactory
) -> None:
    (number,) = _deviations(database, settings)
    qa, user = as_role(Role.QA)
    colleague = make_user(database, Role.QA)

    refused = _close(qa, number, username=colleague.username, password=user.password)
    assert refused.status_code == 403 and refused.json()["error"] == "signature.user_id"
    assert _state(database, number) == "open"
    last = entries(database, "deviation", number)[-1]
    assert last.action == "signature.refused"
    assert json.loads(last.new_values)["refused_because"] == "signature.user_id"
    assert _user(database, user.username).failed_logins == 1
    assert _user_actions(database, user.username)[-1] == "signature.failed"
    assert _user(database, colleague.username).failed_logins == 0


def test_in_a_signed_session_a_user_id_typed_must_still_be_the_signers(
    client: TestClient, database: Database, settings: Settings
) -> None:
    first, second = _deviations(database, settings, 2)
    qa = make_user(database, Role.QA)
    colleague = make_user(database, Role.QA)
    sign_in(client, qa)
    assert _close(client, first, browser=True, username=qa.username, password=qa.password).status_code == 200

    refused = _close(client, second, browser=True, username=colleague.username, password=qa.password)
    assert refused.status_code == 403 and refused.json()["error"] == "signature.user_id"
    assert _state(database, second) == "open"


def test_twelve_wrong_passwords_at_a_signature_lock_the_account_and_the_right_one_is_then_refused(
    database: Database, settings: Settings, as_role: ClientFactory
) -> None:
    (number,) = _deviations(database, settings)
    qa, user = as_role(Role.QA)
    statuses = [_close(qa, number, username=user.username, password=f"wrong-password-{i}").status_code
                for i in range(12)]
    right = _close(qa, number, username=user.username, password=user.password)

    # Refused at the signature until the lockout; then the locked user's token opens nothing at all.
    limit = settings.login_max_failures
    assert statuses[:limit] == [403] * limit and set(statuses[limit:]) == {401}
    assert right.status_code == 401
    assert _state(database, number) == "open"
    actions = _user_actions(database, user.username)
    assert actions.count("signature.failed") == limit - 1 and actions.count("auth.locked") == 1
    locked = entries(database, "user", str(_user(database, user.username).id))[-1]
    assert json.loads(locked.new_values)["after"] == "signature.failed"
    assert _user(database, user.username).locked_until is not None


def test_a_lockout_at_a_signature_ends_the_signers_browser_session(
    client: TestClient, database: Database, settings: Settings
) -> None:
    (number,) = _deviations(database, settings)
    qa = make_user(database, Role.QA)
    sign_in(client, qa)
    token = csrf_of(client, f"/deviations/{number}")
    for i in range(settings.login_max_failures):
        refused = client.post(f"/api/v1/deviations/{number}/close", headers={"x-csrf-token": token},
                              json={"closure": CLOSURE, "username": qa.username, "password": f"wrong-{i}"})
        assert refused.status_code == 403, i

    ended = _close_with(client, number, token, qa)
    assert ended.status_code == 401 and ended.json()["error"] == "session_ended"
    assert _state(database, number) == "open"


def _close_with(client: TestClient, number: str, token: str, user: UserHandle) -> httpx.Response:
    return client.post(f"/api/v1/deviations/{number}/close", headers={"x-csrf-token": token},
                       json={"closure": CLOSURE, **user.credentials})


def test_a_lockout_appears_on_qas_alerts(
    client: TestClient, database: Database, settings: Settings, as_role: ClientFactory
) -> None:
    (number,) = _deviations(database, settings)
    signer, user = as_role(Role.QA)
    for i in range(settings.login_max_failures):
        _close(signer, number, username=user.username, password=f"wrong-password-{i}")
    reviewer, other = as_role(Role.QA)

    shown = reviewer.get("/api/v1/alerts/lockouts")
    assert shown.status_code == 200
    newest = shown.json()[0]
    assert (newest["username"], newest["after"], newest["locked_now"]) == (user.username, "signature.failed", True)
    operator, _ = as_role(Role.OPERATOR)
    assert operator.get("/api/v1/alerts/lockouts").status_code == 403

    sign_in(client, other)
    dashboard = client.get("/", headers=HTML).text
    section = dashboard[dashboard.index('id="lockouts"'):]
    assert user.username in section[:section.index("</section>")] and "locked until" in section


def test_the_dashboard_says_when_no_account_was_locked_out(
    client: TestClient, database: Database
) -> None:
    sign_in(client, make_user(database, Role.QA))
    assert "No account has been locked out." in client.get("/", headers=HTML).text
    client.cookies.clear()
    sign_in(client, make_user(database, Role.OPERATOR))
    assert 'id="lockouts"' not in client.get("/", headers=HTML).text


def test_a_locked_user_cannot_sign_even_with_the_right_password(
    database: Database, settings: Settings
) -> None:
    (number,) = _deviations(database, settings)
    qa = make_user(database, Role.QA)
    with database.transaction() as session:
        user = session.execute(select(User).where(col(User.username) == qa.username)).scalar_one()
        user.locked_until = utcnow() + timedelta(minutes=settings.login_lockout_minutes)
        session.add(user)
    with database.transaction() as session, pytest.raises(SignatureRefused) as refused:
        signatures.sign(session=session, signer=qa.principal, username=qa.username, password=qa.password,
                        meaning=SignatureMeaning.APPROVED, entity_type="deviation", entity_id=number,
                        content={"closure": CLOSURE})
    assert refused.value.code == "signature.locked"
    assert refused.value.audit is not None and refused.value.audit.failed_attempt_of is None
