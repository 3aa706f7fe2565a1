"""Small typed helpers for deviation tests: open one through the service, read a lot and its audit trail."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from batchtrack.audit import service as audit_service
from batchtrack.db import Database
from batchtrack.deviations import service as deviation_service
from batchtrack.lots import service as lot_service
from batchtrack.models.audit import AuditEntry
from batchtrack.models.deviation import DeviationOrigin

from builders import UserHandle

HTML = {"accept": "text/html"}
DESCRIPTION = "Incubator CO2 read 7.9 % for 40 minutes during passage 2 (limit 5.0 ± 0.5 %)."
IMPACT = "Culture exposed to a high CO2 level; viability and identity testing to confirm."


def open_deviation(database: Database, din: str, actor: UserHandle, *, description: str = DESCRIPTION,
                   impact: str = IMPACT, origin: DeviationOrigin = DeviationOrigin.MANUAL) -> str:
    """Open a deviation on the lot through the service, as step execution does; returns its number."""
    with database.transaction() as session:
        lot = lot_service.get_by_din(session=session, din=din, for_update=True)
        deviation = deviation_service.open_deviation(session=session, actor=actor.principal, lot=lot,
                                                     description=description, impact=impact, origin=origin)
        return deviation.number


def lot_state(database: Database, din: str) -> tuple[str, str | None]:
    """The lot's recorded state and the state it was in before a hold."""
    with database.transaction(write=False) as session:
        lot = lot_service.get_by_din(session=session, din=din)
        return lot.state, lot.state_before_hold


def set_lot_state(database: Database, din: str, state: str) -> None:
    """Put the lot straight into `state`, to test a rule that applies there (no audit entry: a fixture only)."""
    with database.transaction() as session:
        lot = lot_service.get_by_din(session=session, din=din, for_update=True)
        lot.state = state
        session.add(lot)


def entries(database: Database, entity_type: str, entity_id: str) -> list[AuditEntry]:
    """The audit entries about one record, oldest first."""
    with database.transaction(write=False) as session:
        return audit_service.entries_for(session=session, entity_type=entity_type, entity_id=entity_id)


def chain_length(database: Database) -> int:
    """How many entries the audit chain holds (after checking it is unbroken)."""
    with database.transaction(write=False) as session:
        result = audit_service.verify(session=session)
    assert result.ok
    return result.count


def sign_in(client: TestClient, user: UserHandle) -> None:
    """Sign the browser client in with the user's password."""
    token = csrf_of(client, "/login")
    response = client.post("/login", data={"username": user.username, "password": user.password,
                                           "csrf_token": token}, headers=HTML, follow_redirects=False)
    assert response.status_code == 303


def csrf_of(client: TestClient, path: str) -> str:
    """The CSRF token in the form of the page at `path`."""
    page = client.get(path, headers=HTML)
    assert page.status_code == 200, page.text[:300]
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match
    return match.group(1)
