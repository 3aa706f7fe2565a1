"""Receipt at the lab in Korean: the reasons a bag could not be accepted and a wrong bag's refusal are answered in
Korean with their codes unchanged, while the receipt record keeps them in English."""

from __future__ import annotations

import json
from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlmodel import select

from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.models.collection import ReceiptRecord
from batchtrack.models.user import Role

from builders import UserHandle, bag_scan, collected_bag, enrol_eligible, make_user

ClientFactory = Callable[..., tuple[TestClient, UserHandle]]
KOREAN = {"accept-language": "ko"}
PASSED = {"bag_intact": True, "seal_intact": True, "label_legible": True, "no_clots": True}
HANGUL = range(0xAC00, 0xD7A4)


def _bag(database: Database, settings: Settings, subject: str, mrn: str) -> str:
    clinician = make_user(database, Role.INVESTIGATOR, Role.COLLECTOR)
    return collected_bag(database, settings, clinician, enrol_eligible(database, settings, clinician, subject=subject,
                                                                      mrn=mrn))


def _receipt(din: str, expected: str, decision: str, temperature: float, reason: str = "") -> dict[str, object]:
    return {"scan": bag_scan(din) + "\r", "expected_din": expected, "temperature_c": temperature,
            "inspection": {**PASSED, "seal_intact": False}, "decision": decision, "reason": reason,
            "station": "RECEIVING-KO"}


def test_a_warm_bag_quarantined_in_korean_lists_why_in_korean_and_records_it_in_english(
    database: Database, settings: Settings, as_role: ClientFactory
) -> None:
    din = _bag(database, settings, "S-A", "MRN-A")
    client, _ = as_role(Role.OPERATOR)
    response = client.post("/api/v1/receipts", json=_receipt(din, din, "quarantine", 31.5, "warm on arrival"),
                           headers=KOREAN)
    assert response.status_code == 201, response.text
    refusals = response.json()["refusals_at_receipt"]
    assert [r["code"] for r in refusals] == ["receipt.temperature", "receipt.inspection.seal_intact"]
    assert refusals[0]["message"].startswith("운송 온도 31.5 °C가 허용 범위")
    assert refusals[1]["message"] == "육안 검사 불합격 또는 미실시: 운송 용기의 봉인이 온전합니다"
    with database.transaction(write=False) as session:
        recorded = json.loads(session.execute(select(ReceiptRecord)).scalars().one().reasons)
    assert [r["code"] for r in recorded] == [r["code"] for r in refusals]
    assert recorded[1]["message"] == "inspection failed or not done: the transport container's seal is intact"
    assert not any(ord(character) in HANGUL for r in recorded for character in r["message"])


def test_a_wrong_bag_is_refused_in_korean_naming_both_bags(
    database: Database, settings: Settings, as_role: ClientFactory
) -> None:
    expected = _bag(database, settings, "S-A", "MRN-A")
    other = _bag(database, settings, "S-B", "MRN-B")
    client, _ = as_role(Role.OPERATOR)
    response = client.post("/api/v1/receipts", json=_receipt(other, expected, "accept", 20.0), headers=KOREAN)
    assert response.status_code == 409
    body = response.json()
    assert body["error"] == "identity_mismatch"
    assert body["message"] == f"백 {other}은(는) 예정된 백 {expected}이(가) 아닙니다"
    [reason] = body["reasons"]
    assert reason["code"] == "receipt.wrong_bag" and "이곳에서 입고하지 마십시오" in reason["message"]


def test_the_receiving_station_reads_in_korean(database: Database, as_role: ClientFactory) -> None:
    client, _ = as_role(Role.OPERATOR)
    page = client.get("/receiving", headers={**KOREAN, "accept": "text/html"})
    assert page.status_code == 200
    for korean in ("입고 스테이션", "육안 검사", "운송 용기의 봉인이 온전합니다", "입고 승인(로트 개설)", "입고 기록"):
        assert korean in page.text, korean
    assert "Visual inspection" not in page.text and "the bag is intact" not in page.text
