"""Lot transitions through the API: allowed ones are recorded; refused ones give 409 and change nothing."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import select

from batchtrack.audit import service as audit_service
from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.lots import service as lot_service
from batchtrack.models.audit import AuditEntry
from batchtrack.models.user import Role

from builders import UserHandle, seed_lot

ClientFactory = Callable[..., tuple[TestClient, UserHandle]]


def _snapshot(database: Database, din: str) -> tuple[str, str | None, int]:
    with database.transaction(write=False) as session:
        lot = lot_service.get_by_din(session=session, din=din)
        return lot.state, lot.state_before_hold, audit_service.verify(session=session).count


def test_an_illegal_transition_returns_409_with_its_reasons_and_changes_nothing(
    database: Database, settings: Settings, as_role: ClientFactory
) -> None:
    lot = seed_lot(database, settings)
    client, user = as_role(Role.COURIER)
    before = _snapshot(database, lot.din)
    response = client.post(f"/api/v1/lots/{lot.din}/transitions/release", json={"reason": "hurry"})
    assert response.status_code == 409
    body = response.json()
    assert body["error"] == "invalid_transition"
    assert {r["code"] for r in body["reasons"]} == {"lot.wrong_state", "actor.role", "lot.signed_decision"}
    assert all(r["message"] for r in body["reasons"])
    state, held_from, count = _snapshot(database, lot.din)
    assert (state, held_from) == before[:2]
    # The only trace is the record of the refusal itself, with who, what and why.
    assert count == before[2] + 1
    with database.transaction(write=False) as session:
        last = session.execute(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(1)).scalar_one()
        assert audit_service.verify(session=session).ok
    assert (last.action, last.entity_id, last.actor_name) == ("lot.transition_refused", lot.din,
                                                              f"Test {user.username.title()}")
    assert "lot.wrong_state" in last.new_values


def test_an_allowed_transition_moves_the_lot_and_records_old_and_new_state(
    database: Database, settings: Settings, as_role: ClientFactory
) -> None:
    lot = seed_lot(database, settings)
    client, _ = as_role(Role.OPERATOR)
    response = client.post(f"/api/v1/lots/{lot.din}/transitions/harvest", json={"reason": "passage 3 done"})
    assert response.status_code == 200, response.text
    assert response.json()["state"] == "harvested"
    with database.transaction(write=False) as session:
        entry = audit_service.entries_for(session=session, entity_type="lot", entity_id=lot.din)[-1]
    assert entry.action == "lot.harvest"
    assert '"state":"in_process"' in entry.old_values and '"state":"harvested"' in entry.new_values
    assert entry.reason == "passage 3 done"


def test_hold_and_lift_return_the_lot_to_where_it_was(
    database: Database, settings: Settings, as_role: ClientFactory
) -> None:
    lot = seed_lot(database, settings)
    qa, qa_user = as_role(Role.QA)
    operator, _ = as_role(Role.OPERATOR)
    assert qa.post(f"/api/v1/lots/{lot.din}/transitions/hold", json={}).json()["state"] == "on_hold"
    refused = operator.post(f"/api/v1/lots/{lot.din}/transitions/harvest", json={})
    assert refused.status_code == 409 and refused.json()["reasons"][0]["code"] == "lot.on_hold"
    assert operator.post(f"/api/v1/lots/{lot.din}/transitions/lift_hold", json={}).status_code == 409
    unsigned = qa.post(f"/api/v1/lots/{lot.din}/transitions/lift_hold", json={"reason": "investigated"})
    assert unsigned.status_code == 409 and unsigned.json()["reasons"][0]["code"] == "lot.signed_decision"
    lifted = qa.post(f"/api/v1/lots/{lot.din}/hold/lift", json={"reason": "investigated",
                                                                **qa_user.credentials})
    assert lifted.json()["state"] == "in_process"


def test_the_options_list_says_why_each_step_is_unavailable(
    database: Database, settings: Settings, as_role: ClientFactory
) -> None:
    lot = seed_lot(database, settings)
    client, _ = as_role(Role.OPERATOR)
    options = {o["name"]: o for o in client.get(f"/api/v1/lots/{lot.din}/transitions").json()}
    assert options["harvest"]["allowed"] is True
    assert options["release"]["allowed"] is False
    assert {r["code"] for r in options["release"]["reasons"]} == {"lot.wrong_state", "actor.role",
                                                                 "lot.signed_decision"}


def test_an_unknown_transition_is_404_and_a_role_without_moves_is_403(
    database: Database, settings: Settings, as_role: ClientFactory
) -> None:
    lot = seed_lot(database, settings)
    operator, _ = as_role(Role.OPERATOR)
    assert operator.post(f"/api/v1/lots/{lot.din}/transitions/teleport", json={}).status_code == 404
    admin, _ = as_role(Role.ADMIN)
    assert admin.post(f"/api/v1/lots/{lot.din}/transitions/harvest", json={}).status_code == 403


def test_changing_a_recorded_expiry_needs_a_reason(
    database: Database, settings: Settings, as_role: ClientFactory
) -> None:
    lot = seed_lot(database, settings)
    qa, _ = as_role(Role.QA)
    first = qa.put(f"/api/v1/lots/{lot.din}/expiry", json={"expires_at": "2026-12-01T10:00:00Z"})
    assert first.status_code == 200
    refused = qa.put(f"/api/v1/lots/{lot.din}/expiry", json={"expires_at": "2026-12-02T10:00:00Z"})
    assert refused.status_code == 400 and refused.json()["error"] == "reason_required"
    assert qa.get(f"/api/v1/lots/{lot.din}").json()["expires_at"].startswith("2026-12-01T10:00:00")
    corrected = qa.put(f"/api/v1/lots/{lot.din}/expiry",
                       json={"expires_at": "2026-12-02T10:00:00Z", "reason": "typo in day"})
    assert corrected.status_code == 200
    with database.transaction(write=False) as session:
        entry = audit_service.entries_for(session=session, entity_type="lot", entity_id=lot.din)[-1]
    assert entry.action == "value.corrected" and "2026-12-01T10:00:00" in entry.old_values
