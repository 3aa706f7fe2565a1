"""A Korean reader reads the batch record's stored codes in Korean: what each signature means, the lot's and the
steps' states, the vessels' kinds, roles (in or out) and statuses; the API answers the same codes and English."""

from __future__ import annotations

import html
import re
from collections.abc import Callable

from document_builders import text_of
from fastapi.testclient import TestClient

from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.models.user import Role

from builders import UserHandle
from coi_report_builders import infused_therapy

KOREAN = {"accept-language": "ko"}


def test_the_korean_batch_record_names_its_codes_in_korean_and_the_api_keeps_them(
    database: Database, settings: Settings, as_role: Callable[..., tuple[TestClient, UserHandle]]
) -> None:
    chain = infused_therapy(database, settings)
    client, _ = as_role(Role.QA)
    english = client.get(f"/api/v1/lots/{chain.din}/batch-record", headers=KOREAN).json()
    assert english == client.get(f"/api/v1/lots/{chain.din}/batch-record").json() | {
        "generated_at": english["generated_at"]}
    assert {s["meaning"] for s in english["signatures"]} >= {"performed", "reviewed", "released"}
    assert {s["signed_for"] for s in english["signatures"]} >= {f"lot {chain.din}: released"}

    page = client.get(f"/lots/{chain.din}/batch-record", headers={**KOREAN, "accept": "text/html"}).text
    cells = {html.unescape(cell).strip() for cell in re.findall(r"<td[^>]*>([^<]*)</td>", page)}
    assert {"수행", "검토", "투입", "산출", "배양 용기", "완제품"} <= cells
    assert not {"performed", "reviewed", "in", "out", "culture vessel", "final product", "in use"} & cells
    assert "로트 " + chain.din + ": 출하 승인됨" in html.unescape(page)

    printout = text_of(client.get(f"/api/v1/lots/{chain.din}/batch-record.pdf", headers=KOREAN).content)
    for english_words in ("culture vessel", "final product", " performed ", " reviewed ", ": released"):
        assert english_words not in printout, printout[printout.find(english_words) - 150:][:300]
    assert "배양 용기" in printout and "수행" in printout
