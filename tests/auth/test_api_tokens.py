"""Bearer tokens: looked up one at a time or many at once, a token stands for the same principal."""

from __future__ import annotations

import asyncio
import json

import httpx2
from fastapi import FastAPI
from sqlalchemy import text

from batchtrack.audit import service as audit_service
from batchtrack.auth import tokens as auth_tokens
from batchtrack.db import Database
from batchtrack.models.user import Role

from builders import UserHandle, make_user
from own_loop import run_on_own_loop


def _revoke(database: Database, user: UserHandle) -> None:
    with database.write_connection() as connection:
        connection.execute(text("UPDATE api_token SET revoked_at = CURRENT_TIMESTAMP WHERE user_id = "
                                "(SELECT id FROM app_user WHERE username = :name)"), {"name": user.username})


def _deactivate(database: Database, user: UserHandle) -> None:
    with database.write_connection() as connection:
        connection.execute(text("UPDATE app_user SET is_active = :no WHERE username = :name"),
                           {"no": False, "name": user.username})


def test_tokens_looked_up_together_stand_for_what_each_stands_for_alone(database: Database) -> None:
    operator = make_user(database, Role.OPERATOR)
    qa_and_investigator = make_user(database, Role.QA, Role.INVESTIGATOR)
    revoked = make_user(database, Role.OPERATOR)
    inactive = make_user(database, Role.NURSE)
    _revoke(database, revoked)
    _deactivate(database, inactive)
    tokens = [operator.token, qa_and_investigator.token, revoked.token, inactive.token,
              auth_tokens.TOKEN_PREFIX + "unknown", "not a token", auth_tokens.TOKEN_PREFIX + "x" * 200]
    with database.engine.begin() as connection:
        together = auth_tokens.uses(session=connection, tokens=tokens)
        alone = {token: auth_tokens.use(session=connection, token=token) for token in tokens}
    assert together == alone
    found = together[operator.token]
    assert found is not None
    assert (found.principal.user_id, found.principal.username, found.principal.roles) == (
        operator.principal.user_id, operator.principal.username, operator.principal.roles)
    assert together[qa_and_investigator.token] is not None
    assert together[qa_and_investigator.token].principal.roles == frozenset({Role.QA, Role.INVESTIGATOR})
    assert [together[token] for token in tokens[2:]] == [None] * 5


def test_stations_scanning_at_once_are_each_answered_and_audited_as_their_own_caller(
    app: FastAPI, database: Database
) -> None:
    # Scans waiting together are judged together, their callers looked up in one query: each answer, and each
    # refusal's audit entry, is still its own caller's.
    users = [make_user(database, Role.OPERATOR) for _ in range(4)]
    revoked = make_user(database, Role.OPERATOR)
    _revoke(database, revoked)
    callers = [*users, revoked] * 4

    async def scan_everywhere() -> list[httpx2.Response]:
        transport = httpx2.ASGITransport(app=app)
        async with httpx2.AsyncClient(transport=transport, base_url="http://test") as client:
            return await asyncio.gather(*(
                client.post("/api/v1/scans", headers={"Authorization": f"Bearer {caller.token}"},
                            json={"raw": f"=W0000{n}", "station": f"ST-{n}"})
                for n, caller in enumerate(callers)
            ))

    responses = run_on_own_loop(scan_everywhere)
    with database.transaction(write=False) as session:
        for n, (caller, response) in enumerate(zip(callers, responses, strict=True)):
            entries = audit_service.entries_for(session=session, entity_type="station", entity_id=f"ST-{n}")
            if caller is revoked:
                assert response.status_code == 401 and entries == []
                continue
            assert response.status_code == 200 and response.json()["ok"] is False
            assert [(e.action, e.actor_name) for e in entries] == [("scan.refused", caller.principal.full_name)]
            assert json.loads(entries[0].new_values)["raw_escaped"] == f"=W0000{n}"
