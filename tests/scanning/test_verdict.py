"""Verdicts: proceed or stop with reasons, and a JSON form that echoes the raw scan safely."""

from __future__ import annotations

import json

from batchtrack.scanning import parser as scan_parser
from batchtrack.scanning import verdict as scan_verdict
from batchtrack.scanning.expectations import ResolvedContainer, StationExpectation
from batchtrack.scanning.parser import ScanRefusal

RAW = "]C0=+02000=W00002600000175=<S1234100\r\n"
CONTAINER = ResolvedContainer(
    container_id=7,
    din="W000026000001",
    kind="final_product",
    lot_id=1,
    lot_din="W000026000001",
    therapy_coi="CHW000026000001",
    status="in_use",
)


def _parsed(raw: str) -> scan_parser.ParsedScan:
    parsed = scan_parser.parse_scan(raw)
    assert not isinstance(parsed, ScanRefusal), parsed
    return parsed


def test_expected_scan_gives_a_green_verdict_as_json() -> None:
    verdict = scan_verdict.judge(
        raw=RAW, parsed=_parsed(RAW), resolved=CONTAINER, expectation=StationExpectation(lot_id=1)
    )
    assert verdict.ok and verdict.reasons == []
    data = json.loads(json.dumps(verdict.as_dict()))
    assert data["parsed"]["type"] == "compound"
    assert data["parsed"]["parts"][0] == {
        "type": "din",
        "din": "W000026000001",
        "check": "F",
        "flags": "75",
        "sample_flag": "00",
        "keyed": False,
    }
    assert data["resolved"]["type"] == "container" and data["resolved"]["container_id"] == 7
    assert data["raw_escaped"] == "]C0=+02000=W00002600000175=<S1234100\\r\\n"


def test_wrong_lot_gives_a_red_verdict() -> None:
    verdict = scan_verdict.judge(
        raw=RAW, parsed=_parsed(RAW), resolved=CONTAINER, expectation=StationExpectation(lot_id=2)
    )
    assert not verdict.ok and [reason.code for reason in verdict.reasons] == ["scan.wrong_lot"]


def test_unknown_identifier_gives_not_found() -> None:
    verdict = scan_verdict.judge(
        raw=RAW, parsed=_parsed(RAW), resolved=None, expectation=StationExpectation()
    )
    assert not verdict.ok and verdict.reasons[0].code == "scan.not_found"


def test_refused_scan_echoes_raw_input_escaped_and_bounded() -> None:
    raw = "\x00<script>é\ud800" + "x" * 10_000
    refusal = scan_parser.parse_scan(raw)
    assert isinstance(refusal, ScanRefusal)
    data = scan_verdict.refused(raw, refusal).as_dict()
    assert data["ok"] is False and data["parsed"] is None and data["reasons"]
    assert data["raw_escaped"].startswith("\\x00<script>\\xe9\\ud800")
    assert data["raw_escaped"].isascii() and len(data["raw_escaped"]) < 250
    assert data["raw_length"] == len(raw)
    json.dumps(data)
