"""No patient's name, date of birth or MRN reaches the logs: the application's own, SQLAlchemy's at DEBUG, and the
server's access log (whose query strings would carry what was typed into a search box)."""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable
from datetime import date, timedelta

import httpx2 as httpx
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from security.support import HTML, form_csrf
from uvicorn.logging import AccessFormatter

from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.models.user import Role
from batchtrack.web import log_privacy

from bedside_builders import at_clinic, bag_scan, check_body, wristband
from builders import PATIENT_DOB, PATIENT_FAMILY, PATIENT_GIVEN, PATIENT_MRN, UserHandle, make_user

SECOND = {"family_name": "Quartermaine", "given_name": "Ottoline", "date_of_birth": "1979-11-02",
          "mrn": "MRN-55120987"}


def _identity_in(text: str, *extra: str) -> list[str]:
    needles = [PATIENT_FAMILY, PATIENT_GIVEN, PATIENT_MRN, PATIENT_DOB.isoformat(), PATIENT_DOB.strftime("%d/%m/%Y"),
               *SECOND.values(), *extra]
    return [n for n in needles if n.lower() in text.lower()]


def test_enrolment_pages_search_and_the_bedside_log_no_patient_identity(
    app: FastAPI, client: TestClient, database: Database, settings: Settings,
    sign_in: Callable[[UserHandle], TestClient], caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)  # every logger; SQLAlchemy's keeps a level of its own (WARNING) unless set
    caplog.set_level(logging.DEBUG, logger="sqlalchemy")
    lot, people = at_clinic(database, settings)
    browser = sign_in(people.doctor)
    form = {"csrf_token": form_csrf(browser, "/subjects/new"), "subject_code": "S-002", "sex": "female",
            "indication": "nephritis", "consent_date": (date.today() - timedelta(days=1)).isoformat(), **SECOND}
    assert browser.post("/subjects/new", data=form, headers=HTML, follow_redirects=False).status_code == 303
    again = browser.post("/subjects/new", data={**form, "subject_code": "S-003"}, headers=HTML)
    assert again.status_code >= 400  # the same MRN twice: refused, and the refusal is logged
    assert SECOND["family_name"].upper() in browser.get("/subjects/S-002", headers=HTML).text
    # A clinician finds a patient by name (the subject's page); an MRN is not searched.
    found = browser.get("/search", params={"q": PATIENT_FAMILY}, headers=HTML, follow_redirects=False)
    assert found.status_code == 303 and found.headers["location"].endswith("/subjects/S-001")
    assert browser.get("/search", params={"q": SECOND["mrn"]}, headers=HTML).status_code == 404
    bedside = browser.post("/bedside", headers=HTML, data={
        "csrf_token": form_csrf(browser, "/bedside"), "wristband_scan": wristband(lot.coi)})
    assert PATIENT_FAMILY.upper() in bedside.text
    with TestClient(app, raise_server_exceptions=False,
                    headers={"authorization": f"Bearer {people.nurse.token}"}) as nurse:
        bag = bag_scan(database, lot.bag_ids[0])
        checked = nurse.post("/api/v1/bedside/checks", json=check_body(wristband(lot.coi), bag, people.doctor))
        assert checked.status_code == 200 and checked.json()["ok"]
        first = nurse.get("/api/v1/recipients/S-001").json()
        assert first["family_name"] == PATIENT_FAMILY and first["mrn"]
    # The server's logs: the test's own HTTP client logs what it sends, and is no part of the server.
    records = [r for r in caplog.records if not r.name.startswith("httpx")]
    assert any(r.name.startswith("sqlalchemy.engine") for r in records)  # the SQL log was on
    assert any(r.name == "batchtrack.errors" for r in records)  # and the refusal was logged
    logged = "\n".join(f"{r.getMessage()} {r.exc_text or ''}" for r in records)
    assert _identity_in(logged, first["mrn"]) == []


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_the_servers_access_log_keeps_paths_but_not_query_strings(
    app: FastAPI, database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    user = make_user(database, Role.INVESTIGATOR)
    caplog.set_level(logging.INFO, logger=log_privacy.ACCESS_LOGGER)
    port = _free_port()
    # As `batchtrack serve` runs it (uvicorn, proxy headers, access log on); its logging left to the test.
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, access_log=True,
                                           proxy_headers=True, lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.02)
        assert server.started
        response = httpx.get(f"http://127.0.0.1:{port}/search", params={"q": PATIENT_FAMILY},
                             headers={"authorization": f"Bearer {user.token}", **HTML})
        assert response.status_code == 404
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    [line] = [r for r in caplog.records if r.name == log_privacy.ACCESS_LOGGER]
    formatted = AccessFormatter('%(client_addr)s - "%(request_line)s" %(status_code)s').format(line)
    assert "GET /search HTTP/1.1" in formatted and "404" in formatted
    assert _identity_in(formatted) == [] and _identity_in(caplog.text) == []


def test_a_constraint_violation_is_logged_without_the_values_it_quotes(
    app: FastAPI, caplog: pytest.LogCaptureFixture
) -> None:
    # PostgreSQL quotes the duplicate values on the lines after the first (DETAIL): those may be a patient's.
    from sqlalchemy.exc import IntegrityError

    class DriverError(Exception):
        pass

    detail = DriverError('duplicate key value violates unique constraint "uq_subject_mrn"\n'
                         f'DETAIL:  Key (mrn)=({SECOND["mrn"]}) already exists.')

    @app.get("/_raise_integrity")
    def _raise() -> None:
        raise IntegrityError("INSERT INTO subject ...", {"mrn": SECOND["mrn"]}, detail)

    caplog.set_level(logging.DEBUG)
    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.get("/_raise_integrity").status_code == 409
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "uq_subject_mrn" in logged
    assert _identity_in(logged) == []
