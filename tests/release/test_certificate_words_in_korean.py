"""A Korean reader reads the certificate of analysis to the last word: a limit's range and alternatives, each result's
status, what QA's signature means and the lot's state in Korean, on the page and in the printout; the API keeps the
limits as recorded."""

from __future__ import annotations

import re

from conftest import api_client
from document_builders import text_of
from fastapi import FastAPI

from batchtrack.config import Settings
from batchtrack.db import Database

from release_builders import ready_lot

KOREAN = {"accept-language": "ko"}
# A range as the evaluation records it, and as an English reader reads it.
RECORDED_RANGE = re.compile(r"\d\S* to \d")


def test_the_korean_certificate_writes_its_ranges_statuses_and_meaning_in_korean(
    app: FastAPI, database: Database, settings: Settings
) -> None:
    lot = ready_lot(database, settings)
    client = api_client(app, lot.qa)
    assert client.post(f"/api/v1/lots/{lot.din}/release", json=lot.qa.credentials).status_code == 200
    body = client.get(f"/api/v1/lots/{lot.din}/certificate", headers=KOREAN).json()
    limits = [test["limit"] for test in body["tests"]]
    assert any(RECORDED_RANGE.search(limit) for limit in limits), limits
    assert body["decision"]["signature"]["meaning"] == "released"

    printout = text_of(client.get(f"/api/v1/lots/{lot.din}/certificate.pdf", headers=KOREAN).content)
    assert not RECORDED_RANGE.search(printout) and " ~ " in printout
    assert "최종" in printout and " final " not in printout
    assert "출하 승인됨" in printout and ", released," not in printout

    page = client.get(f"/lots/{lot.din}/certificate", headers={**KOREAN, "accept": "text/html"}).text
    assert not RECORDED_RANGE.search(page) and " ~ " in page
    assert "<dd>출하 승인됨</dd>" in page
    english = client.get(f"/lots/{lot.din}/certificate", headers={"accept": "text/html"}).text
    assert RECORDED_RANGE.search(english) and "<dd>released</dd>" in english
