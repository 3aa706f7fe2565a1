"""Many stations scanning at once: each gets its own verdict, and every refusal is in the audit trail."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable

import anyio
import httpx2
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text

from batchtrack.audit import service as audit_service
from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.identifiers import coi as coi_id
from batchtrack.identifiers import din as din_id
from batchtrack.identifiers import isbt
from batchtrack.models.user import Role
from batchtrack.scanning.judging import SCANS_AT_ONCE

from builders import UserHandle, seed_lot
from own_loop import run_on_own_loop

ClientFactory = Callable[..., tuple[TestClient, UserHandle]]
STATIONS = 6 * SCANS_AT_ONCE  # far more scans in flight than are judged at once



def test_stations_scanning_at_once_each_get_their_verdict_and_are_audited(
    app: FastAPI, database: Database, as_role: ClientFactory
) -> None:
    _, user = as_role(Role.OPERATOR)

    async def scan_everywhere() -> list[httpx2.Response]:
        transport = httpx2.ASGITransport(app=app)
        headers = {"Authorization": f"Bearer {user.token}"}
        async with httpx2.AsyncClient(transport=transport, base_url="http://test", headers=headers) as client:
            return await asyncio.gather(*(
                client.post("/api/v1/scans", json={"raw": f"=W0000{n}", "station": f"ST-{n}"})
                for n in range(STATIONS)
            ))

    responses = run_on_own_loop(scan_everywhere)
    assert [r.status_code for r in responses] == [200] * STATIONS
    for n, response in enumerate(responses):
        verdict = response.json()
        assert verdict["ok"] is False and verdict["raw_escaped"] == f"=W0000{n}"
    with database.transaction(write=False) as session:
        assert audit_service.verify(session=session).ok
        for n in range(STATIONS):
            entries = audit_service.entries_for(session=session, entity_type="station", entity_id=f"ST-{n}")
            assert [e.action for e in entries] == ["scan.refused"]
            assert json.loads(entries[0].new_values)["raw_escaped"] == f"=W0000{n}"


def test_refusals_waiting_to_be_recorded_hold_up_no_other_scan(
    app: FastAPI, database: Database, settings: Settings, as_role: ClientFactory, is_postgres: bool
) -> None:
    lot = seed_lot(database, settings)
    client, user = as_role(Role.OPERATOR)
    bag = client.post(f"/api/v1/lots/{lot.din}/containers", json={"kind": "final_product"}).json()[0]
    code = isbt.product_code(bag["product_code"][:5], bag["product_code"][5], bag["division"])
    label = isbt.compound_message([isbt.din_structure(din_id.parse(lot.din)), isbt.product_structure(code),
                                   isbt.coi_structure(coi_id.parse(lot.coi))])
    refused = 3 * SCANS_AT_ONCE

    async def scan_while_the_audit_trail_is_busy() -> tuple[list[httpx2.Response], list[httpx2.Response]]:
        # Another transaction keeps the audit trail from being written: every refusal has to wait for it.
        blocker = database.engine.connect().execution_options(sqlite_begin="IMMEDIATE")
        blocker.begin()
        if is_postgres:
            blocker.execute(text("LOCK TABLE audit_entry IN EXCLUSIVE MODE"))
        transport = httpx2.ASGITransport(app=app)
        headers = {"Authorization": f"Bearer {user.token}"}
        async with httpx2.AsyncClient(transport=transport, base_url="http://test", headers=headers,
                                      timeout=60) as http:
            waiting = [asyncio.ensure_future(http.post("/api/v1/scans", json={"raw": f"=W0000{n}", "station": "R"}))
                       for n in range(refused)]
            await asyncio.sleep(0.5)
            try:
                with anyio.fail_after(20):  # scans that are not refused go through meanwhile
                    accepted = [await http.post("/api/v1/scans", json={"raw": label, "station": "A", "expect": {
                        "lot_din": lot.din}}) for _ in range(2 * SCANS_AT_ONCE)]
                assert not any(task.done() for task in waiting), "the refusals were recorded past the lock"
            finally:
                blocker.rollback()
                blocker.close()
            return accepted, list(await asyncio.gather(*waiting))

    accepted, refusals = run_on_own_loop(scan_while_the_audit_trail_is_busy)
    assert all(r.status_code == 200 and r.json()["ok"] is True for r in accepted)
    assert all(r.status_code == 200 and r.json()["ok"] is False for r in refusals)
    with database.transaction(write=False) as session:
        recorded = audit_service.entries_for(session=session, entity_type="station", entity_id="R")
        assert len(recorded) == refused and audit_service.verify(session=session).ok
