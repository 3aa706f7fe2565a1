"""The release checklist and its refusals in Korean: the page, the API and the gate's reasons answer in the reader's
language while the reason codes and the English of logs and the audit trail stay as they are."""

from __future__ import annotations

from datetime import UTC, datetime

from conftest import api_client
from fastapi import FastAPI
from fastapi.testclient import TestClient

from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.i18n import catalogs
from batchtrack.release import gate

from deviation_builders import HTML, sign_in
from release_builders import ready_lot, record_allergy

KOREAN = {"accept-language": "ko-KR,ko;q=0.9"}
KO = catalogs.translations("ko")


def test_the_release_page_reads_in_korean_with_every_unmet_condition_and_its_code(
    client: TestClient, database: Database, settings: Settings
) -> None:
    lot = ready_lot(database, settings, skip=("mycoplasma",))
    record_allergy(database, lot.subject, "penicillin")
    sign_in(client, lot.qa)
    html = client.get(f"/lots/{lot.din}/release", headers={**HTML, **KOREAN}).text
    assert "출하 승인 불가: 충족되지 않은 조건 2개." in html
    assert "미충족:</span> 모든 시험에 기준 이내의 최종 결과가 있습니다" in html
    assert "충족:</span> 관리 연속성(인계 기록)에 빈틈이 없습니다" in html
    assert "release.test_missing" in html and "마이코플라스마: 결과 없음" in html
    assert "release.pen_strep_hypersensitivity" in html
    assert "수혜자는 penicillin에 과민 반응이 있습니다. 제조에 페니실린과 스트렙토마이신이 사용됩니다" in html
    assert "서명하고 출하 승인" in html and "Not releasable" not in html
    english = client.get(f"/lots/{lot.din}/release", headers=HTML).text
    assert "Not releasable: 2 unmet conditions." in english and "Mycoplasma: no result" in english


def test_the_api_checklist_and_refusal_answer_in_the_language_asked_with_the_same_codes(
    app: FastAPI, database: Database, settings: Settings
) -> None:
    lot = ready_lot(database, settings, skip=("mycoplasma",))
    qa = api_client(app, lot.qa)
    korean = qa.get(f"/api/v1/lots/{lot.din}/release", headers=KOREAN).json()
    english = qa.get(f"/api/v1/lots/{lot.din}/release").json()
    assert korean["release_refusals"] == [{"code": "release.test_missing", "message": "마이코플라스마: 결과 없음"}]
    assert english["release_refusals"] == [{"code": "release.test_missing", "message": "Mycoplasma: no result"}]
    refused = qa.post(f"/api/v1/lots/{lot.din}/release", headers=KOREAN,
                      json={"username": lot.qa.username, "password": lot.qa.password, "pending_sterility": False})
    assert refused.status_code == 409
    body = refused.json()
    assert body["error"] == "release.refused"
    assert body["message"] == f"로트 {lot.din}은(는) 출하 승인할 수 없습니다. 충족되지 않은 조건 1개"
    assert body["reasons"] == [{"code": "release.test_missing", "message": "마이코플라스마: 결과 없음"}]


def test_the_gate_keeps_its_values_until_the_reason_is_shown_in_a_language() -> None:
    facts = gate.ReleaseFacts(lot_din="W000026000001", lot_state="released", now=datetime(2026, 5, 4, tzinfo=UTC),
                              expires_at=None, specification=None, actor_is_qa=False, open_deviations=2,
                              co_signatures=frozenset({"medical_director"}))
    reasons = {r.code: r for r in gate.pending_sterility_refusals(facts)}
    wrong_state = reasons["lot.wrong_state"]
    assert wrong_state.message == "lot W000026000001 is released; only a lot in QC is released"
    assert wrong_state.as_dict(KO)["message"] == (
        "로트 W000026000001은(는) released 상태입니다. 품질관리(QC) 중인 로트만 출하 승인합니다")
    assert reasons["release.open_deviation"].as_dict(KO)["message"] == "종결되지 않은 일탈 2건"
    assert reasons["release.co_signature_missing"].as_dict(KO)["message"] == (
        "무균 시험 결과 대기 중 출하 승인에 대한 담당 의사의 서명")
    assert reasons["release.co_signature_missing"].message == (
        "the treating physician's signature for a release pending sterility")
    assert reasons["lot.no_expiry"].as_dict(KO)["message"] == "로트에 유효기한이 기록되어 있지 않습니다"
