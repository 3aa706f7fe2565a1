"""A deviation opened by a refused bedside check says it was the bedside check that opened it."""

from __future__ import annotations

from conftest import api_client
from fastapi import FastAPI

from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.models.deviation import Deviation, DeviationOrigin
from batchtrack.models.user import Role

from bedside_builders import at_clinic, bag_scan, check_body, wristband
from builders import enrol_eligible, make_user


def test_the_deviation_of_a_refused_check_names_the_bedside_check_as_its_origin(
    app: FastAPI, database: Database, settings: Settings
) -> None:
    lot, people = at_clinic(database, settings)
    other = enrol_eligible(database, settings, make_user(database, Role.INVESTIGATOR), subject="S-002", mrn="MRN-2")
    response = api_client(app, people.nurse).post("/api/v1/bedside/checks", json=check_body(
        wristband(other), bag_scan(database, lot.bag_ids[0]), people.doctor))
    assert response.status_code == 409
    number = response.json()["check"]["deviation_number"]
    assert number
    with database.transaction(write=False) as session:
        deviation = session.query(Deviation).filter_by(number=number).one()
        assert deviation.origin == DeviationOrigin.BEDSIDE_CHECK == "bedside_check"
