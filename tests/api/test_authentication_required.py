"""Every route except sign-in, health and static files refuses a caller without credentials."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from batchtrack.web.deps import Allow

from route_catalogue import Endpoint, endpoints, protected

SAMPLE = {"din": "W000026000001", "coi": "CHW000026000001", "name": "harvest", "container_id": "1",
          "subject_code": "S-001", "label_id": "1"}


def _declares_roles(endpoint: Endpoint) -> bool:
    dependant = endpoint.dependant
    stack = [dependant]
    while stack:
        current = stack.pop()
        if isinstance(current.call, Allow):
            return True
        stack.extend(current.dependencies)
    return False


def test_the_route_list_is_not_empty_and_covers_api_and_pages(app: FastAPI) -> None:
    paths = {e.path for e in protected(app)}
    assert "/api/v1/lots/{din}" in paths and "/lots/{din}" in paths and "/" in paths
    assert len(paths) >= 15


def test_every_protected_route_declares_the_roles_it_allows(app: FastAPI) -> None:
    missing = [f"{e.method} {e.path}" for e in protected(app) if not _declares_roles(e)]
    assert missing == []


def test_every_protected_route_refuses_a_caller_without_credentials(app: FastAPI, client: TestClient) -> None:
    for endpoint in protected(app):
        url = endpoint.url(SAMPLE)
        for accept in ("application/json", "text/html"):
            response = client.request(endpoint.method, url, json={}, headers={"accept": accept},
                                      follow_redirects=False)
            if url.startswith("/api/") or accept == "application/json":
                assert response.status_code == 401, f"{endpoint.method} {url}: {response.status_code}"
                assert response.json()["error"] == "not_authenticated"
            else:
                assert response.status_code == 303, f"{endpoint.method} {url}: {response.status_code}"
                assert response.headers["location"].startswith("/login")


def test_a_forged_or_unknown_bearer_token_is_refused(app: FastAPI, client: TestClient) -> None:
    for header in ("Bearer bt_not-a-real-token", "Basic dXNlcjpwYXNz", "Bearer", "bt_x"):
        response = client.get("/api/v1/lots", headers={"Authorization": header})
        assert response.status_code == 401, header


def test_public_routes_answer_without_credentials(client: TestClient, app: FastAPI) -> None:
    assert client.get("/health").json() == {"status": "ok", "database": "ok"}
    assert client.get("/login").status_code == 200
    assert client.get("/static/style.css").status_code == 200
    assert {(e.path, e.method) for e in endpoints(app)} >= {("/health", "GET"), ("/login", "GET")}
