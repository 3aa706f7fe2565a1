"""A scan at a station that expects nothing is identified (what it is, in words), never a PROCEED; a station that
expects something still proceeds or stops as before."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from batchtrack.i18n import catalogs
from batchtrack.scanning import identification
from batchtrack.scanning import parser as scan_parser
from batchtrack.scanning import verdict as scan_verdict
from batchtrack.scanning.expectations import (
    ResolvedCollection,
    ResolvedContainer,
    ResolvedTherapy,
    StationExpectation,
)
from batchtrack.scanning.parser import ScanRefusal

SEOUL = ZoneInfo("Asia/Seoul")
RAW = "=W00002600000175"
CONTAINER = ResolvedContainer(container_id=7, din="W000026000001", kind="final_product", lot_id=1,
                              lot_din="W000026000001", therapy_coi="CHW000026000001", status="in_use",
                              lot_state="released")


def _parsed(raw: str) -> scan_parser.ParsedScan:
    parsed = scan_parser.parse_scan(raw)
    assert not isinstance(parsed, ScanRefusal), parsed
    return parsed


def test_a_completed_therapy_scanned_where_nothing_is_expected_says_when_it_was_completed_not_proceed() -> None:
    therapy = ResolvedTherapy(therapy_id=3, coi="CHW000026000001", state="completed",
                              completed_at=datetime(2026, 12, 8, 1, 30, tzinfo=UTC))
    verdict = scan_verdict.judge(raw=RAW, parsed=_parsed(RAW), resolved=therapy, expectation=StationExpectation(),
                                 zone=SEOUL)
    assert verdict.kind == "identified" and verdict.ok and verdict.reasons == []
    assert verdict.identified is not None and verdict.identified.code == "scan.identified.therapy"
    assert verdict.identified.message == (
        "therapy CHW000026000001, completed on 2026-12-08 KST: its product was infused")
    data = verdict.as_dict()
    assert data["verdict"] == "identified" and data["identified"]["code"] == "scan.identified.therapy"
    assert data["resolved"]["completed_at"] == "2026-12-08T01:30:00+00:00"


def test_the_day_of_completion_is_the_sites_day() -> None:
    late_evening_utc = datetime(2026, 12, 7, 20, 0, tzinfo=UTC)  # 05:00 on the 8th in Seoul
    therapy = ResolvedTherapy(therapy_id=3, coi="CHW000026000001", state="completed", completed_at=late_evening_utc)
    assert "completed on 2026-12-08 KST" in identification.identify(therapy, zone=SEOUL).message


def test_a_container_is_named_with_its_lot_and_the_lots_state_in_the_readers_language() -> None:
    found = identification.identify(CONTAINER, zone=SEOUL)
    assert found.code == "scan.identified.container"
    assert found.message == "final product W000026000001 (container 7) of lot W000026000001, released"
    korean = found.as_dict(catalogs.translations("ko"))
    assert korean["code"] == "scan.identified.container"
    assert "완제품" in korean["message"] and "W000026000001" in korean["message"]
    assert "final product" not in korean["message"]


def test_a_collection_and_an_open_therapy_are_named_with_their_state() -> None:
    collection = ResolvedCollection(collection_id=1, din="W000026000002", therapy_coi="CHW000026000002",
                                    state="in_transit")
    assert identification.identify(collection, zone=SEOUL).message == (
        "collection W000026000002 of therapy CHW000026000002, in transit")
    therapy = ResolvedTherapy(therapy_id=1, coi="CHW000026000002", state="open")
    assert identification.identify(therapy, zone=SEOUL).message == "therapy CHW000026000002, open"


def test_a_station_that_expects_a_lot_still_proceeds() -> None:
    verdict = scan_verdict.judge(raw=RAW, parsed=_parsed(RAW), resolved=CONTAINER,
                                 expectation=StationExpectation(lot_din="W000026000001"))
    assert verdict.kind == "proceed" and verdict.identified is None
    assert verdict.as_dict()["verdict"] == "proceed"


def test_a_used_up_container_where_nothing_is_expected_is_still_a_stop() -> None:
    consumed = ResolvedContainer(container_id=8, din="W000026000001", kind="culture_vessel", lot_id=1,
                                 lot_din="W000026000001", therapy_coi=None, status="consumed")
    verdict = scan_verdict.judge(raw=RAW, parsed=_parsed(RAW), resolved=consumed, expectation=StationExpectation())
    assert verdict.kind == "stop" and [r.code for r in verdict.reasons] == ["scan.container_status"]
    assert verdict.as_dict()["identified"] is None
