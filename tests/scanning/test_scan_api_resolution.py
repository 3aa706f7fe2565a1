"""What a scan resolves to when it names no container: the collection of its DIN, or the therapy of its COI."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.identifiers import coi as coi_id
from batchtrack.identifiers import isbt
from batchtrack.models.user import Role

from builders import UserHandle, seed_lot

ClientFactory = Callable[..., tuple[TestClient, UserHandle]]


def test_a_din_naming_no_container_resolves_to_its_collection_and_lot(
    database: Database, settings: Settings, as_role: ClientFactory
) -> None:
    lot = seed_lot(database, settings)
    client, _ = as_role(Role.OPERATOR)
    # Sample flag 01: no sample of this DIN is registered, so the DIN names the collection itself.
    verdict = client.post("/api/v1/scans", json={"raw": f"={lot.din}01", "station": "S",
                                                  "expect": {"lot_din": lot.din}}).json()
    assert verdict["resolved"]["type"] == "collection"
    assert verdict["resolved"]["din"] == lot.din and verdict["resolved"]["lot_din"] == lot.din
    assert verdict["resolved"]["therapy_coi"] == lot.coi
    assert verdict["ok"] is True, verdict["reasons"]


def test_a_coi_identifier_resolves_to_its_therapy_which_names_no_lot(
    database: Database, settings: Settings, as_role: ClientFactory
) -> None:
    lot = seed_lot(database, settings)
    client, _ = as_role(Role.OPERATOR)
    raw = isbt.coi_structure(coi_id.parse(lot.coi))
    right = client.post("/api/v1/scans", json={"raw": raw, "station": "S", "expect": {"therapy_coi": lot.coi}}).json()
    assert right["ok"] is True and right["resolved"]["type"] == "therapy" and right["resolved"]["coi"] == lot.coi
    wrong = client.post("/api/v1/scans", json={"raw": raw, "station": "S", "expect": {"lot_din": lot.din}}).json()
    assert wrong["ok"] is False and [r["code"] for r in wrong["reasons"]] == ["scan.wrong_entity"]


def test_an_identifier_recorded_nowhere_is_not_found(as_role: ClientFactory) -> None:
    client, _ = as_role(Role.OPERATOR)
    for raw in ("=W00002699999900", "&/CHW000026999999"):
        verdict = client.post("/api/v1/scans", json={"raw": raw, "station": "S"}).json()
        assert verdict["ok"] is False and [r["code"] for r in verdict["reasons"]] == ["scan.not_found"], raw
