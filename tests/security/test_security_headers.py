"""Security headers on every kind of response: pages, API answers, errors (401/403/404/413/422/429/500), static
files and redirects; Strict-Transport-Security over TLS only."""

from __future__ import annotations

from collections.abc import Callable

import httpx2 as httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient
from security.support import HTML, JSON, post_login

from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.main import create_app
from batchtrack.models.user import Role

from builders import PATIENT_MRN, UserHandle, make_user, seed_lot

EXPECTED = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
    "cache-control": "no-store",
}


def _broken(app: FastAPI) -> None:
    def explode() -> None:
        raise RuntimeError("a bug")

    app.add_api_route("/api/v1/explode", explode)
    app.add_api_route("/explode", explode)


def _responses(app: FastAPI, client: TestClient, database: Database, settings: Settings,
               sign_in: Callable[[UserHandle], TestClient]) -> dict[str, httpx.Response]:
    _broken(app)
    settings.login_throttle_failures = 1  # read at the first sign-in: one failure throttles an address
    lot = seed_lot(database, settings)
    operator = make_user(database, Role.OPERATOR)
    api = {"authorization": f"Bearer {operator.token}", **JSON}
    seen = {
        "sign-in page": client.get("/login", headers=HTML),
        "redirect to sign in": client.get("/", headers=HTML, follow_redirects=False),
        "static file": client.get("/static/style.css"),
        "health": client.get("/health"),
        "API 401": client.get("/api/v1/lots"),
        "API JSON": client.get(f"/api/v1/lots/{lot.din}", headers=api),
        "API 403": client.get("/api/v1/audit", headers=api),
        "API 404": client.get("/api/v1/lots/W000026999999", headers=api),
        "API 404 no route": client.get("/api/v1/nothing-here", headers=api),
        "API 422": client.post("/api/v1/scans", json={"nonsense": 1}, headers=api),
        "API 413": client.post("/api/v1/scans", content=b"x" * (settings.max_request_bytes + 1), headers=api),
        "API 500": client.get("/api/v1/explode", headers=api),
        "page 500": client.get("/explode", headers=HTML),
        "page 404 no route": client.get("/nothing-here", headers=HTML),
    }
    browser = sign_in(make_user(database, Role.INVESTIGATOR))
    seen |= {
        "dashboard": browser.get("/", headers=HTML),
        "subject page (patient identity)": browser.get("/subjects/S-001", headers=HTML),
        "page 403": browser.get("/specifications", headers=HTML),
        "page 404": browser.get("/lots/W000026999999", headers=HTML),
        "page 422": browser.get("/deviations?page=0", headers=HTML),
        "redirect after search": browser.get(f"/search?q={lot.din}", headers=HTML, follow_redirects=False),
        "batch record PDF": browser.get(f"/lots/{lot.din}/batch-record.pdf"),
    }
    with TestClient(app, raise_server_exceptions=False, client=("192.0.2.1", 1)) as other:
        post_login(other, "nobody", "wrong-password-123")
        seen["page 429"] = post_login(other, "nobody", "wrong-password-123")
    return seen


def test_every_kind_of_response_carries_the_security_headers(
    app: FastAPI, client: TestClient, database: Database, settings: Settings,
    sign_in: Callable[[UserHandle], TestClient],
) -> None:
    seen = _responses(app, client, database, settings, sign_in)
    statuses = {what: r.status_code for what, r in seen.items()}
    assert statuses["API 500"] == statuses["page 500"] == 500
    assert statuses["API 413"] == 413 and statuses["page 429"] == 429 and statuses["page 422"] == 422
    assert statuses["subject page (patient identity)"] == 200 and PATIENT_MRN in seen[
        "subject page (patient identity)"].text
    assert {statuses["redirect to sign in"], statuses["redirect after search"]} == {303}
    assert statuses["static file"] == 200 and statuses["batch record PDF"] in (200, 403)
    missing: list[str] = []
    for what, response in seen.items():
        for name, value in EXPECTED.items():
            if response.headers.get(name) != value:
                missing.append(f"{what} ({response.status_code}): {name}={response.headers.get(name)!r}")
        policy = response.headers.get("content-security-policy", "")
        if "frame-ancestors 'none'" not in policy or "default-src 'self'" not in policy:
            missing.append(f"{what} ({response.status_code}): content-security-policy={policy!r}")
        if "strict-transport-security" in response.headers:
            missing.append(f"{what}: HSTS over plain HTTP")
    assert missing == []


def test_over_tls_every_kind_of_response_also_carries_hsts(settings: Settings, database: Database) -> None:
    app = create_app(settings.model_copy(update={"cookie_secure": True}), database)
    _broken(app)
    with TestClient(app, raise_server_exceptions=False) as client:
        responses = [client.get("/login"), client.get("/static/style.css"), client.get("/api/v1/lots"),
                     client.get("/", headers=HTML, follow_redirects=False), client.get("/api/v1/explode"),
                     client.get("/explode", headers=HTML)]
    assert [r.status_code for r in responses] == [200, 200, 401, 303, 500, 500]
    for response in responses:
        assert response.headers["strict-transport-security"] == "max-age=63072000; includeSubDomains"
        assert response.headers["x-frame-options"] == "DENY"
