"""The printed records are downloaded in the reader's language: the API's in the language the request asks for,
the pages' in the page's language; recorded data (the Hangul name) is printed as recorded in either."""

from __future__ import annotations

import io

from fastapi import FastAPI
from fastapi.testclient import TestClient
from pypdf import PdfReader

from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.models.user import Role

from builders import make_user, seed_lot


def _text(data: bytes) -> str:
    return " ".join(" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(data)).pages)


def test_the_chain_of_identity_report_pdf_is_printed_in_the_language_asked_for(
    app: FastAPI, database: Database, settings: Settings
) -> None:
    lot = seed_lot(database, settings, family="\ud64d", given="\uae38\ub3d9")  # 홍 길동
    investigator = make_user(database, Role.INVESTIGATOR)
    with TestClient(app, headers={"Authorization": f"Bearer {investigator.token}"}) as api:
        korean = api.get(f"/api/v1/therapies/{lot.coi}/report.pdf", headers={"accept-language": "ko-KR,ko"})
        english = api.get(f"/api/v1/therapies/{lot.coi}/report.pdf")
    assert korean.status_code == english.status_code == 200
    korean_text, english_text = _text(korean.content), _text(english.content)
    assert "\ub3d9\uc77c\uc131 \uc5f0\uacb0(COI) \ubcf4\uace0\uc11c" in korean_text  # 동일성 연결(COI) 보고서
    assert "Chain-of-identity report" in english_text and "Chain-of-identity report" not in korean_text
    for text in (korean_text, english_text):
        assert "\ud64d\uae38\ub3d9" in text.replace(" ", "")  # the name as recorded, in both
