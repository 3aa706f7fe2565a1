"""The language of the pages: the browser's preference, the switch on every page (kept on the browser, and on the
account of a signed-in user, in the audit trail), the site's default; the API answers in the language asked for."""

from __future__ import annotations

import re

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import select

from batchtrack.db import Database
from batchtrack.i18n.preference import LANGUAGE_CHOSEN
from batchtrack.models.audit import AuditEntry
from batchtrack.models.user import Role, User

from builders import make_user
from material_builders import HTML, csrf_of, signed_in


def _lang(page: str) -> str:
    match = re.search(r'<html lang="([a-z]+)">', page)
    assert match, page[:200]
    return match.group(1)


def test_a_browser_that_prefers_korean_gets_korean_pages(client: TestClient) -> None:
    page = client.get("/login", headers={**HTML, "accept-language": "ko-KR,ko;q=0.9,en;q=0.5"}).text
    assert _lang(page) == "ko" and "본문으로 건너뛰기" in page
    page = client.get("/login", headers={**HTML, "accept-language": "en-US,en;q=0.9"}).text
    assert _lang(page) == "en" and "Skip to content" in page


def test_the_switch_keeps_the_language_on_this_browser_and_comes_back_to_the_page(client: TestClient) -> None:
    response = client.post("/language", data={"language": "ko", "next": "/login?next=/lots",
                                              "csrf_token": csrf_of(client, "/login")},
                           headers=HTML, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/login?next=/lots"
    assert "lang=ko" in response.headers["set-cookie"] and "HttpOnly" in response.headers["set-cookie"]
    assert _lang(client.get("/login", headers={**HTML, "accept-language": "en"}).text) == "ko"


def test_the_switch_sends_a_reader_back_only_to_a_page_of_this_site(client: TestClient) -> None:
    response = client.post("/language", data={"language": "en", "next": "//evil.example/",
                                              "csrf_token": csrf_of(client, "/login")},
                           headers=HTML, follow_redirects=False)
    assert response.headers["location"] == "/"


def test_a_language_the_pages_are_not_shown_in_is_refused_with_a_reason(client: TestClient) -> None:
    response = client.post("/language", data={"language": "fr", "csrf_token": csrf_of(client, "/login")},
                           headers={"accept": "application/json"}, follow_redirects=False)
    assert response.status_code == 400 and response.json()["error"] == "language_unknown"
    assert "set-cookie" not in response.headers or "lang=" not in response.headers["set-cookie"]


def test_the_switch_without_the_form_s_csrf_token_is_refused(client: TestClient) -> None:
    response = client.post("/language", data={"language": "ko"}, headers=HTML, follow_redirects=False)
    assert response.status_code == 403


def test_a_signed_in_user_s_choice_follows_them_to_another_browser_and_is_audited(
    app: FastAPI, database: Database
) -> None:
    user = make_user(database, Role.QA)
    with TestClient(app) as first:
        signed_in(first, user)
        response = first.post("/language", data={"language": "ko", "next": "/",
                                                 "csrf_token": csrf_of(first, "/")},
                              headers=HTML, follow_redirects=False)
        assert response.status_code == 303
    with database.transaction(write=False) as session:
        stored = session.execute(select(User).where(User.username == user.username)).scalar_one()
        assert stored.language == "ko"
        entry = session.execute(select(AuditEntry).where(AuditEntry.action == LANGUAGE_CHOSEN)).scalar_one()
        assert entry.entity_id == str(stored.id) and '"ko"' in entry.new_values
    with TestClient(app) as second:
        signed_in(second, user)
        page = second.get("/", headers={**HTML, "accept-language": "en"}).text
        assert _lang(page) == "ko" and "대시보드" in page


def test_the_site_s_default_language_serves_a_browser_that_asks_for_none_the_pages_speak(
    app: FastAPI, client: TestClient
) -> None:
    app.state.settings = app.state.settings.model_copy(update={"default_language": "ko"})
    assert _lang(client.get("/login", headers={**HTML, "accept-language": "fr"}).text) == "ko"
    assert _lang(client.get("/login", headers={**HTML, "accept-language": "en"}).text) == "en"


def test_the_api_answers_a_malformed_request_in_the_language_asked_for(app: FastAPI, database: Database) -> None:
    user = make_user(database, Role.QA)
    with TestClient(app, headers={"Authorization": f"Bearer {user.token}"}) as api:
        korean = api.post("/api/v1/lots/W000026000001/deviations", json={"x": 1},
                          headers={"accept-language": "ko"})
        english = api.post("/api/v1/lots/W000026000001/deviations", json={"x": 1})
    assert korean.status_code == english.status_code == 422
    assert korean.json()["error"] == english.json()["error"] == "malformed_request"
    assert korean.json()["message"] == "요청 형식이 잘못되었습니다"
    assert english.json()["message"] == "the request is malformed"
