"""Twenty QA releases of one lot at once produce exactly one release; the others are refused cleanly (409)."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from conftest import api_client
from fastapi import FastAPI
from sqlmodel import col, func, select

from batchtrack.audit import service as audit_service
from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.errors import BatchtrackError
from batchtrack.models.audit import AuditEntry
from batchtrack.models.signature import Signature
from batchtrack.models.user import Role
from batchtrack.release import service as release_service
from batchtrack.web.deps import run_audited

from builders import UserHandle, make_user
from release_builders import decisions, lot_state, ready_lot

ATTEMPTS = 20


def _after(database: Database, din: str) -> tuple[int, int, int]:
    """(release signatures on the lot, audited refusals of a release, whether the audit chain is whole)."""
    with database.transaction(write=False) as session:
        signed = session.execute(select(func.count()).select_from(Signature).where(
            col(Signature.entity_id) == din, col(Signature.meaning) == "released")).scalar_one()
        refused = session.execute(select(func.count()).select_from(AuditEntry).where(
            col(AuditEntry.entity_id) == din, col(AuditEntry.action) == "release.refused")).scalar_one()
        whole = audit_service.verify(session=session).ok
    return int(signed), int(refused), int(whole)


def test_twenty_concurrent_release_transactions_release_the_lot_exactly_once(
    database: Database, settings: Settings
) -> None:
    lot = ready_lot(database, settings)
    releasers = [lot.qa] + [make_user(database, Role.QA) for _ in range(ATTEMPTS - 1)]
    barrier = threading.Barrier(ATTEMPTS)

    def attempt(user: UserHandle) -> str:
        barrier.wait()
        try:
            run_audited(database, lambda session: release_service.release(
                session=session, actor=user.principal, din=lot.din, username=user.username, password=user.password,
                pending_sterility=False), settings=settings)
        except BatchtrackError as exc:
            return f"{exc.status_code} {','.join(sorted(r.code for r in exc.reasons))}"
        return "released"

    with ThreadPoolExecutor(max_workers=ATTEMPTS) as pool:
        outcomes = Counter(pool.map(attempt, releasers))
    assert outcomes["released"] == 1, outcomes
    refused = {outcome: n for outcome, n in outcomes.items() if outcome != "released"}
    assert sum(refused.values()) == ATTEMPTS - 1
    # Each later attempt waited for the lock, then found the lot already released.
    assert set(refused) == {"409 lot.wrong_state"}, outcomes
    assert len(decisions(database, lot.din)) == 1 and lot_state(database, lot.din) == "released"
    assert _after(database, lot.din) == (1, ATTEMPTS - 1, 1)


def test_twenty_concurrent_release_requests_release_the_lot_exactly_once(
    app: FastAPI, database: Database, settings: Settings
) -> None:
    lot = ready_lot(database, settings)
    releasers = [lot.qa] + [make_user(database, Role.QA) for _ in range(ATTEMPTS - 1)]
    clients = [api_client(app, user) for user in releasers]
    barrier = threading.Barrier(ATTEMPTS)

    def attempt(index: int) -> tuple[int, str]:
        barrier.wait()
        response = clients[index].post(f"/api/v1/lots/{lot.din}/release",
                                       json=releasers[index].credentials)
        return response.status_code, response.json().get("error") or response.json().get("decision", "")

    try:
        with ThreadPoolExecutor(max_workers=ATTEMPTS) as pool:
            outcomes = Counter(pool.map(attempt, range(ATTEMPTS)))
    finally:
        for client in clients:
            client.close()
    assert outcomes == Counter({(200, "released"): 1, (409, "release.refused"): ATTEMPTS - 1}), outcomes
    assert len(decisions(database, lot.din)) == 1 and lot_state(database, lot.din) == "released"
    assert _after(database, lot.din) == (1, ATTEMPTS - 1, 1)
