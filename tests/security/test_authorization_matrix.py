"""Every route x every role: a role a route does not declare is refused, a declared one is never refused for its
role; and the reviewable document of the matrix is current."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient
from security.authorization_matrix import DOCUMENT, REGENERATE, SAMPLE, declared_roles, document_app, markdown, rows
from security.support import JSON, error_code

from batchtrack.db import Database
from batchtrack.models.user import Role

from builders import make_user
from route_catalogue import protected


def test_every_protected_route_declares_its_roles_and_the_matrix_is_large(app: FastAPI) -> None:
    undeclared = [f"{e.method} {e.path}" for e in protected(app) if declared_roles(e) is None]
    assert undeclared == []
    matrix = [(e, admitted) for e, admitted in rows(app) if admitted is not None]
    assert len(matrix) >= 150
    # Every role is admitted somewhere and refused somewhere: the matrix separates them all.
    for role in Role:
        assert any(role in admitted for _, admitted in matrix), role
        assert any(role not in admitted for _, admitted in matrix) or role is Role.ADMIN, role


def test_each_role_is_refused_exactly_where_it_is_not_declared(app: FastAPI, database: Database) -> None:
    users = {role: make_user(database, role) for role in Role}
    wrong: list[str] = []
    calls = 0
    with TestClient(app, raise_server_exceptions=False) as client:
        for endpoint, admitted in rows(app):
            if admitted is None:
                continue
            url = endpoint.url(SAMPLE)
            for role, user in users.items():
                response = client.request(endpoint.method, url, json={}, follow_redirects=False,
                                          headers={**JSON, "authorization": f"Bearer {user.token}"})
                calls += 1
                status, code = response.status_code, error_code(response)
                if role not in admitted:
                    if (status, code) != (403, "role"):
                        wrong.append(f"{role.value} {endpoint.method} {url}: {status} {code}, expected 403 role")
                    elif role.value in response.json()["message"]:
                        wrong.append(f"{role.value} {endpoint.method} {url}: names the refused role as needed")
                elif status == 401 or (status == 403 and code in ("role", "csrf")) or status >= 500:
                    wrong.append(f"{role.value} {endpoint.method} {url}: {status} {code} for a declared role")
    assert calls >= 150 * len(Role)
    assert wrong == []


def test_a_user_holding_several_roles_is_admitted_by_any_of_them(app: FastAPI, database: Database) -> None:
    qa_only, both = make_user(database, Role.QA), make_user(database, Role.QA, Role.NURSE)
    with TestClient(app, raise_server_exceptions=False) as client:
        # The bedside check admits clinicians: QA alone is refused, QA who is also a nurse gets past the roles.
        body = {"wristband_scan": "x", "bag_scan": "y"}
        refused = client.post("/api/v1/bedside/checks", json=body, headers={"authorization": f"Bearer {qa_only.token}"})
        admitted = client.post("/api/v1/bedside/checks", json=body, headers={"authorization": f"Bearer {both.token}"})
    assert (refused.status_code, error_code(refused)) == (403, "role")
    assert admitted.status_code not in (401, 403) and admitted.status_code < 500


def test_the_authorization_matrix_document_is_current() -> None:
    current = markdown(document_app())
    written = DOCUMENT.read_text(encoding="utf-8") if DOCUMENT.exists() else ""
    assert written == current, f"{DOCUMENT.name} is out of date with the routes: regenerate it with `{REGENERATE}`"
