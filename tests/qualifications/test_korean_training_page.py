"""The training matrix for a reader of Korean: the page, a grant's outcome and a refusal with its reasons in Korean;
qualification codes and titles as the catalogue names them."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from batchtrack.db import Database
from batchtrack.models.user import Role

from builders import make_user
from material_builders import HTML, csrf_of, signed_in

KOREAN = {**HTML, "accept-language": "ko-KR,ko;q=0.9"}


def test_qa_grants_in_korean_and_a_self_grant_is_refused_in_korean(app: FastAPI, database: Database) -> None:
    qa, nurse = make_user(database, Role.QA), make_user(database, Role.NURSE, qualified=False)
    with TestClient(app) as browser:
        signed_in(browser, qa)
        page = browser.get("/training", headers=KOREAN).text
        assert '<html lang="ko">' in page and "<h1>교육훈련 현황표</h1>" in page and "서명하고 부여" in page
        assert "CLIN-BEDSIDE" in page and "Training matrix" not in page

        form = {"csrf_token": csrf_of(browser, "/training"), "holder": nurse.username, "qualification": "CLIN-BEDSIDE",
                "note": "병상 교육", **qa.credentials}
        done = browser.post("/training/grants", data=form, headers=KOREAN)
        assert done.status_code == 200
        assert f"{nurse.username}에게 CLIN-BEDSIDE 자격이 부여되고 서명되었습니다" in done.text

        own = browser.post("/training/grants", data={**form, "holder": qa.username}, headers=KOREAN)
        assert own.status_code in (400, 403) and 'id="outcome"' in own.text
        assert "<code>qualification.self_grant</code> 자격은 다른 사람이 부여해야 합니다" in own.text
        english = browser.post("/training/grants", data={**form, "holder": qa.username}, headers=HTML)
        assert "<code>qualification.self_grant</code> a qualification is granted by another person" in english.text
