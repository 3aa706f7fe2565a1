"""A refused scan is answered in the reader's language (the request's Accept-Language), its reason codes the same in
every language; the audit trail records the reasons in English whatever the language of the answer."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from batchtrack.audit import service as audit_service
from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.errors import Reason
from batchtrack.i18n import catalogs, negotiation
from batchtrack.models.user import Role
from batchtrack.scanning import expectations, parser, verdict
from batchtrack.scanning.expectations import ResolvedContainer, StationExpectation

from builders import UserHandle, bag_scan, seed_lot

ClientFactory = Callable[..., tuple[TestClient, UserHandle]]
KOREAN = {"accept-language": "ko-KR,ko;q=0.9,en;q=0.5"}
HANGUL = range(0xAC00, 0xD7A4)


def _has_hangul(text: str) -> bool:
    return any(ord(character) in HANGUL for character in text)


def _scan(client: TestClient, raw: str, expect: dict[str, object], headers: dict[str, str] | None = None,
          station: str = "BSC-KO") -> dict[str, object]:
    response = client.post("/api/v1/scans", json={"raw": raw, "station": station, "expect": expect},
                           headers=headers or {})
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


def test_a_bag_of_another_lot_is_refused_in_korean_with_the_same_codes_as_in_english(
    database: Database, settings: Settings, as_role: ClientFactory
) -> None:
    lot_a = seed_lot(database, settings, subject="S-A", mrn="MRN-A")
    lot_b = seed_lot(database, settings, subject="S-B", mrn="MRN-B")
    client, _ = as_role(Role.OPERATOR)
    expect = {"lot_din": lot_b.din, "container_kinds": ["final_product"], "step": "harvest"}
    english = _scan(client, bag_scan(lot_a.din), expect)
    korean = _scan(client, bag_scan(lot_a.din), expect, KOREAN)
    assert english["ok"] is False and korean["ok"] is False
    english_reasons, korean_reasons = english["reasons"], korean["reasons"]
    assert isinstance(english_reasons, list) and isinstance(korean_reasons, list)
    assert [r["code"] for r in korean_reasons] == [r["code"] for r in english_reasons]
    assert {r["code"] for r in korean_reasons} == {"scan.wrong_lot", "scan.wrong_container_kind"}
    wrong_lot = next(r["message"] for r in korean_reasons if r["code"] == "scan.wrong_lot")
    assert wrong_lot.startswith("골수 흡인물 백 ") and "로트 " + lot_b.din in wrong_lot
    assert lot_a.din in wrong_lot and "공정 단계 harvest에서는" in wrong_lot
    english_wrong_lot = next(r["message"] for r in english_reasons if r["code"] == "scan.wrong_lot")
    assert english_wrong_lot.startswith("aspirate bag ") and not _has_hangul(english_wrong_lot)
    assert english_wrong_lot.endswith(f"lot {lot_b.din} is expected at step harvest")
    # The trail records what happened in English, whichever language the station reads.
    with database.transaction(write=False) as session:
        entries = audit_service.entries_for(session=session, entity_type="station", entity_id="BSC-KO")
    assert len(entries) == 2
    for entry in entries:
        recorded = json.loads(entry.new_values)["reasons"]
        assert [r["code"] for r in recorded] == [r["code"] for r in english_reasons]
        assert not any(_has_hangul(r["message"]) for r in recorded)


def test_an_unreadable_scan_is_refused_in_korean_and_a_good_one_proceeds_in_any_language(
    database: Database, settings: Settings, as_role: ClientFactory
) -> None:
    lot = seed_lot(database, settings)
    client, _ = as_role(Role.OPERATOR)
    garbage = _scan(client, "=W00002600000", {}, KOREAN)
    assert garbage["ok"] is False
    reasons = garbage["reasons"]
    assert isinstance(reasons, list) and reasons[0]["code"] == "din.length"
    assert reasons[0]["message"] == "DIN 데이터 구조는 16자입니다. 입력된 글자 수: 13"
    proceed = _scan(client, bag_scan(lot.din), {"lot_din": lot.din}, KOREAN)
    assert proceed["ok"] is True and proceed["reasons"] == []


def test_the_lang_cookie_chosen_in_a_browser_answers_the_scan_in_korean(
    database: Database, settings: Settings, as_role: ClientFactory
) -> None:
    client, _ = as_role(Role.OPERATOR)
    client.cookies.set(negotiation.LANGUAGE_COOKIE, "ko")
    body = _scan(client, "", {})
    reasons = body["reasons"]
    assert isinstance(reasons, list)
    assert reasons == [{"code": "scan.empty", "message": "스캔된 내용이 없습니다"}]


@pytest.mark.parametrize("status", ["consumed", "infused", "destroyed"])
def test_a_used_up_container_is_named_in_korean_with_its_status(status: str) -> None:
    container = ResolvedContainer(container_id=7, din="W000026000001", kind="culture_vessel", lot_id=1,
                                  lot_din="W000026000001", therapy_coi="CHW000026000001", status=status)
    [reason] = expectations.compare(StationExpectation(lot_id=1), container)
    assert reason.code == "scan.container_status" and status in reason.message
    korean = catalogs.translations("ko")
    in_korean = korean.gettext(status)
    assert _has_hangul(in_korean)
    assert reason.as_dict(korean) == {
        "code": "scan.container_status",
        "message": f"배양 용기 W000026000001 (용기 7)은(는) '{in_korean}' 상태이므로 사용할 수 없습니다"}


def test_a_verdict_in_english_shows_the_messages_the_audit_trail_records() -> None:
    refusal = parser.parse_scan("=W00002600000")
    assert isinstance(refusal, parser.ScanRefusal)
    result = verdict.refused("=W00002600000", refusal)
    english = result.as_dict()["reasons"]
    assert english == [{"code": r.code, "message": r.message} for r in result.reasons]
    assert english == [Reason(r.code, r.text).as_dict() for r in result.reasons]
