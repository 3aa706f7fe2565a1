"""The account pages for a reader of Korean: every page in Korean, a refusal and its reasons in Korean with their
codes unchanged, and the same pages still in English for a reader of English."""

from __future__ import annotations

import re

from accounts.support import form_csrf, sign_in
from fastapi import FastAPI
from fastapi.testclient import TestClient

from batchtrack.db import Database
from batchtrack.models.user import Role

from builders import make_user

KOREAN = {"accept": "text/html", "accept-language": "ko-KR,ko;q=0.9"}
ENGLISH = {"accept": "text/html", "accept-language": "en"}
# Words of the pages' own English that must not show on a Korean page (names and codes may).
_ENGLISH_WORDS = re.compile(r">[^<]*\b(Users|Roles|State|Sign and|Your password|API tokens|No one|Why)\b[^<]*<")


def test_the_account_pages_are_in_korean_for_a_reader_of_korean(app: FastAPI, database: Database) -> None:
    admin = make_user(database, Role.ADMIN, Role.QA)
    nurse = make_user(database, Role.NURSE)
    with TestClient(app, raise_server_exceptions=False) as browser:
        sign_in(browser, admin.username, admin.password)
        expected = {"/": "대시보드", "/admin/users": "사용자 생성",
                    f"/admin/users/{nurse.username}": "서명하고 비활성화",
                    "/admin/tokens": "토큰은 사용자 페이지에서 발급합니다", "/account": "내 열린 세션",
                    "/account/password": "새 비밀번호 확인"}
        for path, korean in expected.items():
            page = browser.get(path, headers=KOREAN)
            assert page.status_code == 200, (path, page.text[:300])
            assert '<html lang="ko">' in page.text and korean in page.text, path
            assert _ENGLISH_WORDS.findall(page.text) == [], path


def test_a_refused_account_action_is_explained_in_korean_with_its_codes(app: FastAPI, database: Database) -> None:
    admin = make_user(database, Role.ADMIN)
    nurse = make_user(database, Role.NURSE)
    page = f"/admin/users/{nurse.username}"
    with TestClient(app, raise_server_exceptions=False) as browser:
        sign_in(browser, admin.username, admin.password)
        refused = browser.post(f"{page}/roles", headers=KOREAN, data={
            "reason": "업무 변경", "username": admin.username, "password": admin.password, "roles": ["nurse"],
            "csrf_token": form_csrf(browser, page)})
        assert refused.status_code == 409 and 'id="refusal"' in refused.text
        assert f"&#39;{nurse.username}&#39; 계정 역할 변경이 거부되었습니다" in refused.text
        assert "<code>roles_unchanged</code> 사용자가 이미 정확히 이 역할들을 가지고 있습니다" in refused.text

        english = browser.post(f"{page}/roles", headers=ENGLISH, data={
            "reason": "as asked", "username": admin.username, "password": admin.password, "roles": ["nurse"],
            "csrf_token": form_csrf(browser, page)})
        assert f"roles changed of &#39;{nurse.username}&#39; refused" in english.text
        assert "<code>roles_unchanged</code> the user holds exactly these roles already" in english.text


def test_a_weak_new_password_is_refused_in_korean_reason_by_reason(app: FastAPI, database: Database) -> None:
    nurse = make_user(database, Role.NURSE)
    with TestClient(app, raise_server_exceptions=False) as browser:
        sign_in(browser, nurse.username, nurse.password)
        refused = browser.post("/account/password", headers=KOREAN, data={
            "current_password": nurse.password, "new_password": "aaaa", "repeat_password": "aaaa",
            "csrf_token": form_csrf(browser, "/account/password")})
        assert refused.status_code == 400
        assert "새 비밀번호가 거부되었습니다: 비밀번호는 " in refused.text
        assert "; 비밀번호에는 서로 다른 문자가 4개 이상 있어야 합니다" in refused.text
        assert "<code>password_too_simple</code> 비밀번호에는 서로 다른 문자가 4개 이상 있어야 합니다" in refused.text
