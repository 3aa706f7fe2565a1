"""The QC bench and the specification pages in Korean: verdicts, refusals and the bench's labels in the reader's
language; test titles, limits and codes as the specification and the record hold them; the English unchanged."""

from __future__ import annotations

from fastapi.testclient import TestClient

from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.i18n import catalogs
from batchtrack.models.user import Role
from batchtrack.quality import gates, specification

from builders import make_user
from deviation_builders import csrf_of, sign_in
from quality_builders import HTML, lot_in_qc, qc_sample_of_another_lot

KOREAN = {**HTML, "accept-language": "ko-KR,ko;q=0.9"}
KO = catalogs.translations("ko")


def test_the_bench_records_and_refuses_in_korean(client: TestClient, database: Database, settings: Settings) -> None:
    qc = lot_in_qc(database, settings)
    sign_in(client, qc.analyst)
    bench = client.get(f"/lots/{qc.din}/qc", headers=KOREAN).text
    assert f"로트 {qc.din} 품질관리(QC)" in bench and "결과 기록" in bench
    assert "QC 검체의 라벨을 스캔한 후 Enter" in bench and "MSC-FP v1" in bench

    form = {"test_code": "gram_stain", "result_text": "no organisms seen", "status": "final", "scan": qc.samples[0],
            "csrf_token": csrf_of(client, f"/lots/{qc.din}/qc")}
    recorded = client.post(f"/lots/{qc.din}/qc/results", headers=KOREAN, data=form)
    assert recorded.status_code == 200
    assert "<h2>기록됨</h2>" in recorded.text and "no organisms seen 기록됨(final)" in recorded.text
    assert "에 적합" in recorded.text and "RECORDED" not in recorded.text

    other_din, other_sample = qc_sample_of_another_lot(database, settings)
    wrong = client.post(f"/lots/{qc.din}/qc/results", headers=KOREAN,
                        data={**form, "test_code": "mycoplasma", "result_text": "not detected", "scan": other_sample})
    assert wrong.status_code == 409 and "<h2>기록 안 됨</h2>" in wrong.text and "scan.wrong_lot" in wrong.text
    assert f"로트 {qc.din}의 QC 검체가 아닙니다" in wrong.text and other_din in wrong.text

    twice = client.post(f"/lots/{qc.din}/qc/results", headers=KOREAN, data=form)
    assert twice.status_code == 409 and "result.final_exists" in twice.text
    assert f"로트 {qc.din}에 gram_stain의 결과를 기록할 수 없습니다" in twice.text
    assert "최종 결과가 이미 기록되어 있습니다. 변경은 사유를 적은 정정으로 하십시오" in twice.text


def test_the_specification_pages_read_in_korean(client: TestClient, database: Database) -> None:
    qa = make_user(database, Role.QA)
    sign_in(client, qa)
    listed = client.get("/specifications", headers=KOREAN).text
    assert "<h1>출하 승인 규격</h1>" in listed and "저장된 규격이 아직 없습니다." in listed
    assert "기본 제공 규격을 초안으로 저장" in listed


def test_form_refusals_read_the_test_title_in_korean_and_keep_the_unit_as_the_specification_writes_it() -> None:
    test = specification.shipped_default().test("viability")
    assert test is not None and test.kind == "numeric"
    [reason] = gates.form_refusals(test, value=None, text="")
    assert reason.code == "result.value_missing"
    assert reason.message == f"{test.title}: enter a number in {test.unit}"
    assert test.title == "Viability"
    assert reason.as_dict(KO)["message"] == f"생존율: {test.unit} 단위의 숫자를 입력하십시오"
