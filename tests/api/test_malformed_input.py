"""Malformed input to every API endpoint gets a 4xx with a reason, never a 500, and changes nothing."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from batchtrack.audit import service as audit_service
from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.models.audit import AuditEntry
from batchtrack.models.user import Role

from builders import UserHandle, seed_lot
from route_catalogue import endpoints

ClientFactory = Callable[..., tuple[TestClient, UserHandle]]

BAD_PATH_VALUES = ["%00", "%01%7F", "W" * 5000, "ﾟ∀ﾟ" * 5, "-1", "99999999999999999999999", "..%2F..%2Fetc",
                   "W000026000001%0A", "CH' OR 1=1 --  ", "é" * 14]
BAD_BODIES: list[object] = [
    [], "string", 12, None, {"reason": "\x00"}, {"reason": "x" * 100_000},
    {"kind": "final_product", "count": 10**30}, {"kind": "final_product", "count": -1},
    {"container_id": 2**70, "handed_over_by": "a", "received_by": "b", "location": "x"},
    {"container_id": 1, "handed_over_by": "a\x00", "received_by": "b", "location": "x"},
    {"therapy_coi": "\x00" * 20}, {"therapy_coi": "CHW000026000001", "scheduled_for": "2026-13-45"},
    {"therapy_coi": "CHW000026000001", "scheduled_for": "2026-11-24T10:00:00"},
    {"recipient": {"subject_code": "S", "family_name": "\x00", "given_name": "G",
                   "date_of_birth": "1990-02-30", "mrn": "M"}},
    {"recipient": "nested"}, {"expires_at": "yesterday"}, b'{"expires_at": 1e309, "count": NaN}',
    {"a": {"b": {"c": {"d": {"e": [[[[[[[[[[]]]]]]]]]]}}}}},
    {"subject_code": "S-9", "family_name": "F", "given_name": "G", "date_of_birth": "1990-02-30", "mrn": "M",
     "indication": "nephritis", "consent_date": "2026-01-01"},
    {"subject_code": "../../x", "family_name": "F", "given_name": "G", "date_of_birth": "1990-01-01", "mrn": "M",
     "indication": "lupus", "consent_date": "2026-01-01"},
    {"answers": {"INC-SLE": "maybe"}, "prescribed_cells_per_kg": 1e6, "password": "x"},
    {"answers": {f"C-{i}": True for i in range(500)}, "prescribed_cells_per_kg": 1e6, "password": "x"},
    {"answers": {}, "prescribed_cells_per_kg": -5, "password": "\x00"},
    {"visit_date": "tomorrow", "weight_kg": 70}, {"visit_date": "2026-01-01", "weight_kg": 1e12},
    {"substance": "", "reaction": "x"}, {"reason": "", "unknown_field": 1},
    {"scan": "", "temperature_c": 20, "inspection": {}, "decision": "accept"},
    {"scan": "=W000026000001", "temperature_c": "warm", "decision": "maybe",
     "inspection": {"bag_intact": True, "seal_intact": True, "label_legible": True, "no_clots": True}},
    {"raw": "x", "station": "<script>"}, {"raw": "x", "station": "S", "expect": {"lot_din": "nope"}},
    {"scan": "\x00", "handed_over_by": "a", "received_by": "b", "location": "x"},
]
BAD_QUERIES = ["?offset=-1", "?limit=0", "?limit=1000000", "?offset=1e3", "?state=%00", "?state=nonsense",
               "?entity_type=%00", "?entity_id=" + "x" * 500, "?q=" + "%00" * 10, "?page=0", "?page=abc"]


def test_malformed_input_to_every_api_endpoint_is_refused_without_a_server_error(
    app: FastAPI, database: Database, settings: Settings, as_role: ClientFactory
) -> None:
    lot = seed_lot(database, settings)
    client, _ = as_role(*Role)
    with database.transaction(write=False) as session:
        before = audit_service.verify(session=session)
    failures: list[str] = []
    tried = 0
    good = {"din": lot.din, "coi": lot.coi, "name": "harvest", "container_id": "1", "subject_code": "S-001",
            "label_id": "1"}
    for endpoint in endpoints(app):
        if not endpoint.path.startswith("/api/"):
            continue
        attempts: list[tuple[str, object]] = []
        for value in BAD_PATH_VALUES:
            for parameter in ("din", "coi", "name", "container_id", "subject_code", "label_id"):
                if "{" + parameter in endpoint.path:
                    attempts.append((endpoint.url({**good, parameter: value}), {}))
        if endpoint.method == "GET":
            attempts += [(endpoint.url(good) + query, {}) for query in BAD_QUERIES]
        if endpoint.method in ("POST", "PUT", "PATCH"):
            attempts += [(endpoint.url(good), body) for body in BAD_BODIES]
            attempts += [(endpoint.url(good), b"{not json"), (endpoint.url(good), b"\xff\xfe\x00")]
        for url, body in attempts:
            tried += 1
            if isinstance(body, bytes):
                response = client.request(endpoint.method, url, content=body,
                                          headers={"content-type": "application/json"})
            else:
                response = client.request(endpoint.method, url, json=body)
            if response.status_code >= 500:
                failures.append(f"{endpoint.method} {url[:80]!r} {str(body)[:60]} -> {response.status_code}")
            elif response.status_code >= 400:
                payload = response.json()
                if not payload.get("message"):
                    failures.append(f"{endpoint.method} {url[:80]!r}: refusal without a message")
    assert tried > 300
    assert failures == []
    with database.transaction(write=False) as session:
        after = audit_service.verify(session=session)
    assert after.ok
    # Refusals may be recorded; nothing else was. Every entry after `before` is a refusal record.
    with database.transaction(write=False) as session:
        actions = session.execute(select(AuditEntry.action).where(AuditEntry.seq > before.count)).scalars().all()
    assert all(a.endswith("refused") or a == "container.registered" for a in actions), set(actions)
