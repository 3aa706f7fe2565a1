"""The equipment pages: the list with calibration due times (overdue ones marked), registration, calibration
and taking out of service through the forms, and an instrument's record and use history."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

from fastapi.testclient import TestClient

from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.equipment import service as equipment_service
from batchtrack.models.base import utcnow
from batchtrack.models.equipment import EquipmentKind
from batchtrack.models.user import Role

from builders import UserHandle, make_user, seed_lot
from material_builders import HTML, csrf_of, registered_instrument, signed_in, used_instrument

ClientFactory = Callable[..., tuple[TestClient, UserHandle]]


def _local(delta: timedelta) -> str:
    """A form's time `delta` from now, as people type it (the test installation shows UTC)."""
    return (utcnow() + delta).strftime("%Y-%m-%d %H:%M")


def _row_of(page: str, code: str) -> str:
    match = re.search(rf"<tr[^>]*>\s*<td><a class=\"din\" href=\"[^\"]*/equipment/{code}\">", page)
    assert match, code
    return match.group(0)


def test_the_list_marks_instruments_overdue_for_calibration(database: Database, as_role: ClientFactory) -> None:
    client, _ = as_role(Role.OPERATOR)
    empty = client.get("/equipment", headers=HTML)
    assert empty.status_code == 200 and "No instrument has been registered yet." in empty.text
    assert 'id="register"' not in empty.text
    keeper = make_user(database, Role.QA)
    overdue = registered_instrument(database, keeper, "INC-OLD", due_in=timedelta(days=-1))
    current = registered_instrument(database, keeper, "INC-NEW", due_in=timedelta(days=30))
    page = client.get("/equipment", headers=HTML).text
    assert page.index(overdue) < page.index(current)  # soonest due first
    assert 'class="overdue"' in _row_of(page, overdue) and "overdue" not in _row_of(page, current)
    assert "OVERDUE" in page.upper()
    only_cabinets = client.get("/equipment?kind=biosafety_cabinet", headers=HTML).text
    assert "No instrument matches this filter." in only_cabinets
    assert client.get("/equipment?service=sometimes", headers=HTML).status_code == 400
    detail = client.get(f"/equipment/{overdue}", headers=HTML).text
    assert 'id="calibration-due" class="overdue"' in detail and 'id="keeping"' not in detail


def test_qa_registers_calibrates_and_retires_through_the_forms(
    client: TestClient, database: Database, settings: Settings
) -> None:
    qa = make_user(database, Role.QA)
    signed_in(client, qa)
    registered = client.post("/equipment", headers=HTML, follow_redirects=False, data={
        "code": "cc-09", "kind": "cell_counter", "description": "Automated cell counter", "location": "Suite A",
        "calibration_due": _local(timedelta(days=3)), "csrf_token": csrf_of(client, "/equipment")})
    assert registered.status_code == 303 and registered.headers["location"].endswith("/equipment/CC-09")
    page = client.get("/equipment/CC-09", headers=HTML).text
    assert 'id="do-calibrate"' in page and "equipment.registered" in page

    past = client.post("/equipment/CC-09/calibrations", headers=HTML, data={
        "calibration_due": _local(timedelta(days=-2)), "certificate": "CAL-77",
        "csrf_token": csrf_of(client, "/equipment/CC-09")})
    assert past.status_code == 400 and "calibration.due_not_future" in past.text

    calibrated = client.post("/equipment/CC-09/calibrations", headers=HTML, follow_redirects=False, data={
        "calibration_due": _local(timedelta(days=365)), "certificate": "CAL-78",
        "csrf_token": csrf_of(client, "/equipment/CC-09")})
    assert calibrated.status_code == 303
    page = client.get("/equipment/CC-09", headers=HTML).text
    assert "equipment.calibrated" in page and "CAL-78" in page

    retired = client.post("/equipment/CC-09/retire", headers=HTML, follow_redirects=False, data={
        "reason": "failed daily check", "csrf_token": csrf_of(client, "/equipment/CC-09")})
    assert retired.status_code == 303
    page = client.get("/equipment/CC-09", headers=HTML).text
    assert "out of service" in page and "failed daily check" in page and 'id="keeping"' not in page
    with database.transaction(write=False) as session:
        assert equipment_service.get_by_code(session=session, code="CC-09").active is False


def test_a_malformed_asset_tag_in_the_form_is_refused_with_the_reason(client: TestClient, database: Database) -> None:
    signed_in(client, make_user(database, Role.ADMIN))
    response = client.post("/equipment", headers=HTML, data={
        "code": "A B", "kind": "incubator", "description": "Incubator", "calibration_due": _local(timedelta(days=3)),
        "csrf_token": csrf_of(client, "/equipment")})
    assert response.status_code == 400 and "input.code" in response.text


def test_the_instrument_page_shows_where_it_was_used(
    database: Database, settings: Settings, as_role: ClientFactory
) -> None:
    keeper = make_user(database, Role.ADMIN)
    operator = make_user(database, Role.OPERATOR)
    code = registered_instrument(database, keeper, "BSC-04", EquipmentKind.BIOSAFETY_CABINET)
    client, _ = as_role(Role.QC_ANALYST)
    assert "has not been used at any step yet" in client.get(f"/equipment/{code}", headers=HTML).text
    lot = seed_lot(database, settings)
    used_instrument(database, lot.din, operator, code)
    page = client.get(f"/equipment/{code}", headers=HTML).text
    assert f'/lots/{lot.din}"' in page and "Isolation and P0 seeding" in page
    assert client.get("/equipment/NOPE-9", headers=HTML).status_code == 404
    admin, _ = as_role(Role.ADMIN)
    assert 'id="keeping"' in admin.get(f"/equipment/{code}", headers=HTML).text
