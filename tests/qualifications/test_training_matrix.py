"""The training matrix: who holds which qualification until when, expired and expiring soon marked, filters; the
page QA grants and revokes from, refusals shown in place."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta

from fastapi import FastAPI
from fastapi.testclient import TestClient

from batchtrack.db import Database
from batchtrack.models.user import Role
from batchtrack.qualifications import service as qualification_service

from builders import UserHandle, make_user, qualify
from material_builders import HTML, csrf_of, signed_in
from quality_builders import client_of

ClientFactory = Callable[..., tuple[TestClient, UserHandle]]


def _row(matrix: dict[str, object], user: UserHandle) -> dict[str, object]:
    rows = [r for r in matrix["rows"] if r["username"] == user.username]  # type: ignore[attr-defined,index]
    assert len(rows) == 1, user.username
    return rows[0]  # type: ignore[no-any-return]


def test_the_matrix_shows_each_expiry_and_marks_expired_and_expiring_soon(
        app: FastAPI, database: Database, travel: Callable[[timedelta], date]) -> None:
    soon, fresh = make_user(database, Role.NURSE, qualified=False), make_user(database, Role.NURSE)
    qualify(database, soon.username, "CLIN-BEDSIDE", expires_on=qualification_service.today() + timedelta(days=10))
    with client_of(app, make_user(database, Role.MEDICAL_DIRECTOR)) as client:
        matrix = client.get("/api/v1/training-matrix").json()
        held = {h["qualification"]: h["standing"] for h in _row(matrix, soon)["held"]}  # type: ignore[attr-defined]
        assert held == {"CLIN-BEDSIDE": "expiring"}
        assert _row(matrix, soon)["missing"] == ["CLIN-INFUSION"]
        assert {h["standing"] for h in _row(matrix, fresh)["held"]} == {"current"}  # type: ignore[attr-defined]
        attention = client.get("/api/v1/training-matrix", params={"standing": "attention"}).json()
        assert [r["username"] for r in attention["rows"]] == [soon.username]
        travel(timedelta(days=11))
        expired = client.get("/api/v1/training-matrix", params={"standing": "expired"}).json()
        assert [r["username"] for r in expired["rows"]] == [soon.username]
        by_role = client.get("/api/v1/training-matrix", params={"role": "nurse"}).json()
        assert {r["username"] for r in by_role["rows"]} == {soon.username, fresh.username}
        bad = client.get("/api/v1/training-matrix", params={"standing": "sideways"})
        assert (bad.status_code, bad.json()["error"]) == (400, "filter.standing")


def test_the_matrix_is_read_by_qa_admin_and_the_medical_director_only(as_role: ClientFactory) -> None:
    for role in (Role.QA, Role.ADMIN, Role.MEDICAL_DIRECTOR):
        assert as_role(role)[0].get("/api/v1/training-matrix").status_code == 200, role
        assert as_role(role)[0].get("/training", headers=HTML).status_code == 200, role
    for role in (Role.OPERATOR, Role.NURSE, Role.QC_ANALYST):
        refused = as_role(role)[0].get("/api/v1/training-matrix")
        assert (refused.status_code, refused.json()["error"]) == (403, "role"), role


def test_the_page_marks_expired_and_expiring_cells_and_has_an_empty_state(
        app: FastAPI, database: Database, as_role: ClientFactory, travel: Callable[[timedelta], date]) -> None:
    client, _qa = as_role(Role.QA)
    nurse = make_user(database, Role.NURSE, qualified=False)
    qualify(database, nurse.username, "CLIN-BEDSIDE", expires_on=qualification_service.today() + timedelta(days=5))
    qualify(database, nurse.username, "CLIN-INFUSION", expires_on=qualification_service.today() + timedelta(days=90))
    page = client.get("/training", headers=HTML).text
    row = re.search(rf'<tr id="person-{nurse.username}">.*?</tr>', page, re.S)
    assert row is not None
    assert re.search(r'class="q-expiring" data-qualification="CLIN-BEDSIDE"', row.group(0))
    assert re.search(r'class="q-current" data-qualification="CLIN-INFUSION"', row.group(0))
    travel(timedelta(days=6))
    row = re.search(rf'<tr id="person-{nurse.username}">.*?</tr>', client.get("/training", headers=HTML).text, re.S)
    assert row is not None and 'class="q-expired" data-qualification="CLIN-BEDSIDE"' in row.group(0)
    assert "expired</strong>" in row.group(0)
    empty = client.get("/training", params={"role": "courier"}, headers=HTML)
    assert "Nobody matches this filter." in empty.text


def test_qa_grants_and_revokes_from_the_page_and_a_refusal_is_shown_in_place(
        app: FastAPI, database: Database) -> None:
    qa, nurse = make_user(database, Role.QA), make_user(database, Role.NURSE, qualified=False)
    with TestClient(app) as browser:
        signed_in(browser, qa)
        form = {"csrf_token": csrf_of(browser, "/training"), "holder": nurse.username, "qualification": "CLIN-BEDSIDE",
                "note": "bedside course", **qa.credentials}
        done = browser.post("/training/grants", data=form, headers=HTML)
        assert done.status_code == 200 and f"CLIN-BEDSIDE granted to {nurse.username} and signed" in done.text
        assert 'data-qualification="CLIN-BEDSIDE"' in done.text and "q-current" in done.text
        wrong = browser.post("/training/grants", data={**form, "password": "not-it"}, headers=HTML)
        assert wrong.status_code == 403 and 'id="outcome"' in wrong.text and "signature" in wrong.text
        grant = re.search(rf'value="({nurse.username}/[0-9]+)"', done.text)
        assert grant is not None
        revoke = {"csrf_token": form["csrf_token"], "grant_ref": grant.group(1), "reason": "left the ward",
                  **qa.credentials}
        revoked = browser.post("/training/revocations", data=revoke, headers=HTML)
        assert revoked.status_code == 200 and "revoked and signed" in revoked.text
        again = browser.post("/training/revocations", data=revoke, headers=HTML)
        assert again.status_code == 409 and "qualification.not_current" in again.text


def test_the_page_offers_no_grant_forms_to_readers_who_are_not_qa(as_role: ClientFactory) -> None:
    page = as_role(Role.ADMIN)[0].get("/training", headers=HTML).text
    assert 'id="training-matrix"' in page and 'id="training-forms"' not in page
