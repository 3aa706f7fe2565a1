"""A server killed with SIGKILL in the middle of a write load loses no acknowledged write and leaves nothing
half-written: after a restart on the same database every acknowledged record is there with its audit entry, every
audit entry of a creation has its record, and the audit chain verifies.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx2 as httpx
import pytest
from sqlalchemy import text
from sqlmodel import col, select

from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.models.audit import AuditEntry
from batchtrack.models.base import utcnow
from batchtrack.models.collection import Collection
from batchtrack.models.container import Container
from batchtrack.models.deviation import Deviation
from batchtrack.models.material import MaterialLot
from batchtrack.models.user import Role

from builders import UserHandle, enrol_eligible, make_user, seed_lot

WRITERS = 6
KILL_AFTER = 300  # acknowledged writes before the kill
AT_LEAST = 150  # on a machine too busy to reach KILL_AFTER within the bound, the kill comes after no fewer
LOAD_BOUND_S = 15.0

# kind -> (audit action of the creation, model, its identifier column)
KINDS: dict[str, tuple[str, Any, Any]] = {
    "material": ("material.received", MaterialLot, MaterialLot.code),
    "collection": ("collection.scheduled", Collection, Collection.din),
    "deviation": ("deviation.opened", Deviation, Deviation.number),
}


class Load:
    """Writer threads that post creations until the server stops answering, keeping what was acknowledged."""

    def __init__(self, url: str, people: dict[str, UserHandle], coi: str, din: str) -> None:
        self.url, self.people, self.coi, self.din = url, people, coi, din
        self.acknowledged: dict[str, set[str]] = {kind: set() for kind in KINDS}
        self.unexpected: list[str] = []
        self.interrupted = 0  # writers whose request was cut off by the kill
        self.lock = threading.Lock()
        self.stop = threading.Event()

    def request(self, kind: str, n: int) -> tuple[str, str, dict[str, Any], str]:
        """(user, path, body, the field of the answer that names the record) of the n-th write of `kind`."""
        if kind == "material":
            return "qa", "/api/v1/materials", {
                "kind": "medium", "description": f"medium {n}", "supplier": "Supplier", "supplier_lot": f"SL-{n}",
                "expires_at": (utcnow() + timedelta(days=90)).isoformat()}, "code"
        if kind == "collection":
            return "clinician", "/api/v1/collections", {"therapy_coi": self.coi}, "din"
        return "qa", f"/api/v1/lots/{self.din}/deviations", {"description": f"load deviation {n}"}, "number"

    def write(self, worker: int) -> None:
        clients = {name: httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {user.token}"},
                                      timeout=10.0) for name, user in self.people.items()}
        kinds = list(KINDS)
        n = worker
        try:
            while not self.stop.is_set():
                kind = kinds[n % len(kinds)]
                user, path, body, key = self.request(kind, n)
                n += WRITERS
                try:
                    response = clients[user].post(path, json=body)
                except httpx.TransportError:
                    with self.lock:  # the server is gone: this write was never acknowledged
                        self.interrupted += 1
                    return
                with self.lock:
                    if response.status_code == 201:
                        self.acknowledged[kind].add(response.json()[key])
                    else:
                        self.unexpected.append(f"{kind}: {response.status_code} {response.text[:300]}")
        finally:
            for client in clients.values():
                client.close()

    def count(self) -> int:
        with self.lock:
            return sum(len(ids) for ids in self.acknowledged.values())


def _created(database: Database) -> dict[str, tuple[set[str], set[str]]]:
    """kind -> (identifiers of the records, identifiers named by the audit entries of their creation)."""
    found = {}
    with database.transaction(write=False) as session:
        for kind, (action, _model, column) in KINDS.items():
            records = set(session.execute(select(col(column))).scalars())
            audited = set(session.execute(select(col(AuditEntry.entity_id))
                                          .where(col(AuditEntry.action) == action)).scalars())
            found[kind] = (records, audited)
    return found


def _bags_without_collection(database: Database) -> list[str]:
    with database.transaction(write=False) as session:
        dins = set(session.execute(select(col(Collection.din))).scalars())
        bags = set(session.execute(select(col(Container.din)).where(
            col(Container.kind) == "aspirate_bag", col(Container.collection_id).is_not(None))).scalars())
    return sorted(dins ^ bags)


@pytest.mark.slow
def test_a_server_killed_mid_load_keeps_every_acknowledged_write_and_nothing_half_written(
    database: Database, settings: Settings, server_factory: Callable[..., Any], is_postgres: bool,
    whole_database: Callable[[], dict[str, int]],
) -> None:
    clinician = make_user(database, Role.INVESTIGATOR, Role.COLLECTOR)
    coi = enrol_eligible(database, settings, clinician, subject="S-900", mrn="MRN-S-900")
    din = seed_lot(database, settings, subject="S-901", mrn="MRN-S-901").din
    people = {"clinician": clinician, "qa": make_user(database, Role.QA)}
    before = _created(database)

    server = server_factory("before-kill")
    load = Load(server.url, people, coi, din)
    writers = [threading.Thread(target=load.write, args=(i,), daemon=True) for i in range(WRITERS)]
    for writer in writers:
        writer.start()
    deadline = time.monotonic() + LOAD_BOUND_S
    while load.count() < KILL_AFTER and time.monotonic() < deadline:
        time.sleep(0.01)
    server.kill()  # the writers are still sending: some requests die half-way through
    load.stop.set()
    for writer in writers:
        writer.join(timeout=15)
    assert not any(writer.is_alive() for writer in writers)
    assert load.unexpected == [], load.unexpected[:5]
    assert load.interrupted >= 1, "the kill came after the load, not in the middle of it"
    acknowledged = {kind: set(ids) for kind, ids in load.acknowledged.items()}
    assert sum(map(len, acknowledged.values())) >= AT_LEAST, {k: len(v) for k, v in acknowledged.items()}

    if not is_postgres:
        with database.transaction(write=False) as session:
            assert session.execute(text("PRAGMA integrity_check")).scalar_one() == "ok"
    restarted = server_factory("after-kill")
    after = _created(database)
    for kind, (records, audited) in after.items():
        assert acknowledged[kind] <= records, f"acknowledged {kind}s lost: {sorted(acknowledged[kind] - records)[:5]}"
        # Nothing half-written: each creation and its audit entry were committed together, or neither was.
        assert records == audited, f"{kind}: records without audit {sorted(records - audited)[:5]}, " \
                                   f"audit without record {sorted(audited - records)[:5]}"
        lost_in_flight = records - before[kind][0] - acknowledged[kind]
        assert len(lost_in_flight) <= WRITERS, lost_in_flight  # at most the requests in flight at the kill
    assert _bags_without_collection(database) == []
    counts = whole_database()

    # The restarted server serves what the killed one acknowledged, and its sequences go on past it.
    with httpx.Client(base_url=restarted.url, headers={"Authorization": f"Bearer {people['qa'].token}"}) as qa:
        for code in sorted(acknowledged["material"])[:5]:
            assert qa.get(f"/api/v1/materials/{code}").status_code == 200
        for number in sorted(acknowledged["deviation"])[-5:]:
            assert qa.get(f"/api/v1/deviations/{number}").status_code == 200
        fresh = qa.post(f"/api/v1/lots/{din}/deviations", json={"description": "after the restart"})
        assert fresh.status_code == 201, fresh.text
        assert fresh.json()["number"] not in after["deviation"][0]
    assert whole_database()["deviations"] == counts["deviations"] + 1
    assert restarted.errors_logged() == [] and server.errors_logged() == []
