"""Roles that must not see patient identity never receive it from the API or the pages."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.models.user import Role

from builders import PATIENT_DOB, PATIENT_FAMILY, PATIENT_GIVEN, PATIENT_MRN, UserHandle, seed_lot
from route_catalogue import endpoints

IDENTITY = (PATIENT_FAMILY, PATIENT_GIVEN, PATIENT_DOB.isoformat(), PATIENT_MRN, PATIENT_FAMILY.upper())
ClientFactory = Callable[..., tuple[TestClient, UserHandle]]


def _every_get_response(app: FastAPI, client: TestClient, values: dict[str, str]) -> dict[str, str]:
    bodies = {}
    for endpoint in endpoints(app):
        if endpoint.method != "GET" or endpoint.path in ("/login", "/health"):
            continue
        url = endpoint.url(values)
        response = client.get(url, headers={"accept": "text/html" if not url.startswith("/api") else "*/*"})
        bodies[url] = response.text
    return bodies


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.QC_ANALYST, Role.COURIER, Role.QA, Role.ADMIN])
def test_non_clinical_roles_never_receive_name_dob_or_mrn(
    app: FastAPI, database: Database, settings: Settings, as_role: ClientFactory, role: Role
) -> None:
    lot = seed_lot(database, settings)
    client, _user = as_role(role)
    assert client.post(f"/api/v1/lots/{lot.din}/containers", json={"kind": "qc_sample"}).status_code in (201, 403)
    bodies = _every_get_response(app, client, {"din": lot.din, "coi": lot.coi, "container_id": "1",
                                               "name": "harvest", "subject_code": "S-001", "label_id": "1"})
    assert any(lot.coi in body for body in bodies.values()), "the responses should describe the lot"
    leaks = {url: word for url, body in bodies.items() for word in IDENTITY if word in body}
    assert leaks == {}


def test_clinicians_do_see_the_recipients_identity(
    database: Database, settings: Settings, as_role: ClientFactory
) -> None:
    lot = seed_lot(database, settings)
    client, _ = as_role(Role.INVESTIGATOR)
    therapy = client.get(f"/api/v1/therapies/{lot.coi}").json()
    assert therapy["recipient_family_name"] == PATIENT_FAMILY
    assert therapy["recipient_mrn"] == PATIENT_MRN
    page = client.get(f"/therapies/{lot.coi}", headers={"accept": "text/html"}).text
    assert f"{PATIENT_FAMILY.upper()}, {PATIENT_GIVEN}" in page
