"""Every state-changing route a signed-in browser can reach refuses a request without the session's CSRF token
(or with a wrong one), and changes nothing; bearer-token calls need no token."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI
from fastapi.testclient import TestClient
from security.authorization_matrix import SAMPLE
from security.support import HTML, JSON, error_code, form_csrf, row_counts

from batchtrack.db import Database
from batchtrack.models.user import Role
from batchtrack.web.deps import CSRF_HEADER, SAFE_METHODS

from builders import UserHandle, make_user
from route_catalogue import Endpoint, protected


def _state_changing(app: FastAPI) -> list[Endpoint]:
    return [e for e in protected(app) if e.method not in SAFE_METHODS]


def test_every_state_changing_route_refuses_a_browser_request_without_the_csrf_token(
    app: FastAPI, client: TestClient, database: Database, sign_in: Callable[[UserHandle], TestClient]
) -> None:
    routes = _state_changing(app)
    assert len(routes) >= 80 and any(e.path.startswith("/api/") for e in routes)
    assert any(not e.path.startswith("/api/") for e in routes)
    browser = sign_in(make_user(database, *Role))  # every role: only CSRF can refuse
    before = row_counts(database)
    wrong: list[str] = []
    for endpoint in routes:
        url = endpoint.url(SAMPLE)
        attempts = {
            "no token": ({}, {}),
            "a wrong token in the form": ({"csrf_token": "forged"}, {}),
            "a wrong token in the header": ({}, {CSRF_HEADER: "forged"}),
        }
        for what, (form, headers) in attempts.items():
            response = browser.request(endpoint.method, url, data={"reason": "x", **form}, headers={**JSON, **headers},
                                       follow_redirects=False)
            if (response.status_code, error_code(response)) != (403, "csrf"):
                wrong.append(f"{endpoint.method} {url} with {what}: {response.status_code} {error_code(response)}")
    assert wrong == []
    assert row_counts(database) == before
    assert browser.get("/", headers=HTML).status_code == 200  # still signed in: not even sign-out went through


def test_a_refused_form_renders_a_page_for_the_browser(
    client: TestClient, database: Database, sign_in: Callable[[UserHandle], TestClient]
) -> None:
    browser = sign_in(make_user(database, Role.QA))
    response = browser.post("/specifications/default", data={"csrf_token": "forged"}, headers=HTML,
                            follow_redirects=False)
    assert response.status_code == 403 and response.headers["content-type"].startswith("text/html")
    assert "did not come from this site" in response.text


def test_the_right_token_is_accepted(
    client: TestClient, database: Database, sign_in: Callable[[UserHandle], TestClient]
) -> None:
    browser = sign_in(make_user(database, Role.NURSE))
    by_header = browser.post("/api/v1/bedside/checks", json={}, headers={**JSON, CSRF_HEADER: form_csrf(browser, "/")})
    assert (by_header.status_code, error_code(by_header)) == (422, "malformed_request")  # past the token check
    response = browser.post("/logout", data={"csrf_token": form_csrf(browser, "/")}, headers=HTML,
                            follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/login"


def test_bearer_token_calls_need_no_csrf_token(app: FastAPI, database: Database) -> None:
    user = make_user(database, *Role)
    with TestClient(app, raise_server_exceptions=False, headers={"authorization": f"Bearer {user.token}"}) as api:
        for endpoint in _state_changing(app):
            response = api.request(endpoint.method, endpoint.url(SAMPLE), json={}, headers=JSON,
                                   follow_redirects=False)
            assert response.status_code != 401 and error_code(response) not in ("csrf", "role"), \
                f"{endpoint.method} {endpoint.path}: {response.status_code} {error_code(response)}"
