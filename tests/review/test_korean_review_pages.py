"""The review pages for a reader of Korean: the record review with its exceptions grouped and explained, the audit
trail and the access review in Korean; the codes and recorded values as recorded."""

from __future__ import annotations

from fastapi.testclient import TestClient

from batchtrack.config import Settings
from batchtrack.db import Database

from deviation_builders import HTML, csrf_of, sign_in
from release_builders import ready_lot

KOREAN = {**HTML, "accept-language": "ko-KR,ko;q=0.9"}


def test_the_review_pages_are_in_korean_with_a_refused_signature_explained(
    client: TestClient, database: Database, settings: Settings
) -> None:
    lot = ready_lot(database, settings, reviewed=False)
    sign_in(client, lot.qa)
    page = f"/lots/{lot.din}/record-review"
    wrong = client.post(page, headers=KOREAN, data={"username": lot.qa.username, "password": "not-it",
                                                    "csrf_token": csrf_of(client, page)})
    assert wrong.status_code == 403
    assert "비밀번호가 서명자와 일치하지 않습니다. 서명이 적용되지 않았습니다" in wrong.text

    review = client.get(page, headers=KOREAN).text
    assert '<html lang="ko">' in review and "검토되지 않음: 출하 승인에는" in review
    assert "<h3>거부 (1)</h3>" in review and "<td>거부됨</td>" in review and "signature.refused" in review
    assert "Refusals" not in review and "Not reviewed" not in review

    trail = client.get("/audit", headers=KOREAN).text
    assert "<h1>감사 추적</h1>" in trail and "최신순." in trail and "Newest first" not in trail
    access = client.get("/access-review", headers=KOREAN).text
    assert "접근 권한 검토 서명" in access and lot.qa.username in access and "Sign the access review" not in access


def test_a_filter_of_the_wrong_shape_is_refused_in_korean(
    client: TestClient, database: Database, settings: Settings
) -> None:
    lot = ready_lot(database, settings, reviewed=False)
    sign_in(client, lot.qa)
    refused = client.get("/audit?lot=not-a-din", headers=KOREAN)
    assert refused.status_code == 400
    assert "&#39;not-a-din&#39;은(는) DIN(13자, 검사 문자 제외)이(가) 아닙니다" in refused.text
    english = client.get("/audit?lot=not-a-din", headers=HTML)
    assert "&#39;not-a-din&#39; is not a DIN (13 characters, no check character)" in english.text
