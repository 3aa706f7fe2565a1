"""The texts of the facility's data files (a step's title, a value's label, a test's title, method and results, a
criterion, a qualification) are messages like any other: extracted for the catalog, translated, and shown in the
reader's language, while what is stored and evaluated stays as the data file writes it."""

from __future__ import annotations

import io
import json
from pathlib import Path

from conftest import api_client
from document_builders import folded
from fastapi import FastAPI
from fastapi.testclient import TestClient

from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.i18n import catalogs, data_files
from batchtrack.i18n.extraction import extracted
from batchtrack.models.user import Role

from builders import make_user
from deviation_builders import sign_in
from quality_builders import HTML, enter, lot_in_qc, result_rows
from release_builders import ready_lot

KOREAN = {**HTML, "accept-language": "ko"}
CHECKOUT = Path(__file__).resolve().parents[2]


def _extract(text: str, fmt: str = "json") -> list[str]:
    found = data_files.extract(io.BytesIO(text.encode()), None, None, {"format": fmt} if fmt == "toml" else {})
    return [message for _line, _function, message, _comments in found]


def test_the_extractor_takes_the_texts_for_people_and_leaves_codes_units_and_roles() -> None:
    step = {"code": "isolation", "title": "Isolation and P0 seeding", "perform_roles": ["operator"],
            "values": [{"name": "viability", "label": "Viability", "unit": "%"}]}
    test = {"code": "sterility", "title": "Sterility", "method": "Automated culture", "unit": "EU/mL",
            "results": ["no growth", "growth"], "expected": ["no growth"]}
    assert _extract(json.dumps({"title": "Process", "steps": [step], "tests": [test]}, indent=1)) == [
        "Process", "Isolation and P0 seeding", "Viability", "Sterility", "Automated culture", "no growth", "growth"]
    assert _extract('[GMP-CULTURE]\ntitle = "MSC culture"\nvalidity_months = 12\n', "toml") == ["MSC culture"]


def test_every_text_of_the_shipped_data_files_is_extracted_for_the_catalog() -> None:
    found = {item.message for item in extracted(CHECKOUT) if not item.path.endswith((".py", ".html"))}
    process = json.loads((CHECKOUT / "processes" / "BM-MSC-EXP.json").read_text())
    specification = json.loads((CHECKOUT / "specifications" / "MSC-FP.json").read_text())
    protocol = json.loads((CHECKOUT / "protocols" / "KCT0004337.json").read_text())
    assert {s["title"] for s in process["steps"]} <= found
    assert {v["label"] for s in process["steps"] for v in s.get("values", [])} <= found
    assert {t["method"] for t in specification["tests"]} <= found
    assert {c["text"] for c in protocol["criteria"]} <= found
    assert "Endotoxin by kinetic chromogenic LAL" in found  # the qualification catalogue (TOML)


def test_a_korean_reader_sees_the_tests_methods_and_results_in_korean_while_the_result_is_stored_as_written(
    client: TestClient, database: Database, settings: Settings
) -> None:
    qc = lot_in_qc(database, settings)
    enter(database, qc, "sterility_in_process", text="no growth")
    sign_in(client, qc.analyst)
    page = client.get(f"/lots/{qc.din}/qc", headers=KOREAN).text
    assert "공정 중 무균 시험 (수확 상층액)" in page and "자동 혈액배양 시스템, 호기성 및 혐기성 배양병" in page
    assert "증식 없음" in page and '<option value="no growth">증식 없음</option>' in page  # typed as the data says
    assert "Sterility, in-process (harvest supernatant)" not in page
    assert [row.result_text for row in result_rows(database, qc.din)] == ["no growth"]
    english = client.get(f"/lots/{qc.din}/qc", headers={**HTML, "accept-language": "en"}).text
    assert "Sterility, in-process (harvest supernatant)" in english and "증식 없음" not in english


def test_the_training_matrix_shows_the_qualifications_in_korean(client: TestClient, database: Database) -> None:
    sign_in(client, make_user(database, Role.QA))
    matrix = client.get("/training", headers=KOREAN).text
    assert "카이네틱 발색법 LAL 엔도톡신 시험" in matrix and "Endotoxin by kinetic chromogenic LAL" not in matrix


def test_the_printed_records_show_the_steps_values_and_tests_in_the_readers_language(
    client: TestClient, database: Database, settings: Settings
) -> None:
    qc = lot_in_qc(database, settings)
    enter(database, qc, "gram_stain", text="no organisms seen")
    sign_in(client, make_user(database, Role.QA))
    record = folded(client.get(f"/lots/{qc.din}/batch-record.pdf", headers=KOREAN).content)
    assert "1.분리및P0접종" in record and "분리된유핵세포수" in record and "1.IsolationandP0seeding" not in record


def test_the_certificate_of_analysis_prints_the_tests_and_results_in_the_readers_language(
    app: FastAPI, database: Database, settings: Settings
) -> None:
    lot = ready_lot(database, settings)
    assert api_client(app, lot.qa).post(f"/api/v1/lots/{lot.din}/release", json=lot.qa.credentials).status_code == 200
    reader = api_client(app, make_user(database, Role.COURIER))
    korean = folded(reader.get(f"/api/v1/lots/{lot.din}/certificate.pdf", headers={"accept-language": "ko"}).content)
    assert "그람염색,직접도말" in korean and "균관찰되지않음" in korean and "Gramstain" not in korean
    english = folded(reader.get(f"/api/v1/lots/{lot.din}/certificate.pdf", headers={"accept-language": "en"}).content)
    assert "Gramstain,directsmear" in english and "noorganismsseen" in english


def test_a_data_text_the_catalog_lacks_is_shown_as_written() -> None:
    korean = catalogs.translations("ko")
    assert data_files.data_text("Gram stain", korean) == "그람 염색"
    assert data_files.data_text("a text no catalog has", korean) == "a text no catalog has"
    assert data_files.data_words("{not a template}") == "{not a template}"
