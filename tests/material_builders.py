"""Builders of materials, instruments and their use at steps of a lot, for the materials and equipment tests."""

from __future__ import annotations

import re
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlmodel import col, select

from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.equipment import schemas as equipment_schemas
from batchtrack.equipment import service as equipment_service
from batchtrack.lots import service as lot_service
from batchtrack.materials import schemas as material_schemas
from batchtrack.materials import service as material_service
from batchtrack.models.base import utcnow
from batchtrack.models.equipment import EquipmentKind, EquipmentUse
from batchtrack.models.material import MaterialKind, MaterialUse
from batchtrack.models.processing import ProcessStep

from builders import UserHandle

STEPS = {
    "isolation": ("isolation", 1, "Isolation and P0 seeding"),
    "passage": ("passage", 2, "Passage"),
    "harvest": ("harvest", 3, "Harvest"),
}


def material_lot(
    kind: MaterialKind = MaterialKind.MEDIUM, *, expires_in: timedelta = timedelta(days=180),
    supplier_lot: str = "SUP-0001",
) -> material_schemas.MaterialLotCreate:
    """What a receiver enters for a supplier's lot."""
    return material_schemas.MaterialLotCreate(
        kind=kind, description=f"{kind.value.replace('_', ' ')} for MSC expansion", supplier="Cellgro Supplies",
        supplier_lot=supplier_lot, expires_at=utcnow() + expires_in)


def received_material(
    database: Database, settings: Settings, receiver: UserHandle, kind: MaterialKind = MaterialKind.MEDIUM, *,
    expires_in: timedelta = timedelta(days=180), supplier_lot: str = "SUP-0001",
) -> str:
    """Receive a material lot into quarantine; returns its code."""
    with database.transaction() as session:
        material = material_service.receive(session=session, settings=settings, actor=receiver.principal,
                                            data=material_lot(kind, expires_in=expires_in, supplier_lot=supplier_lot))
        return material.code


def released_material(
    database: Database, settings: Settings, receiver: UserHandle, qa: UserHandle,
    kind: MaterialKind = MaterialKind.MEDIUM, *, supplier_lot: str = "SUP-0001",
) -> str:
    """Receive a material lot and have QA release it; returns its code."""
    code = received_material(database, settings, receiver, kind, supplier_lot=supplier_lot)
    with database.transaction() as session:
        material_service.release(session=session, actor=qa.principal, code=code,
                                 data=material_schemas.MaterialDecision(username=qa.username, password=qa.password))
    return code


def registered_instrument(
    database: Database, keeper: UserHandle, code: str, kind: EquipmentKind = EquipmentKind.INCUBATOR, *,
    due_in: timedelta = timedelta(days=90),
) -> str:
    """Register an instrument whose calibration is due `due_in` from now; returns its asset tag."""
    with database.transaction() as session:
        equipment = equipment_service.register(
            session=session, actor=keeper.principal,
            data=equipment_schemas.EquipmentCreate(code=code, kind=kind, description=f"{kind.value} in suite A",
                                                   location="Suite A", calibration_due=utcnow() + due_in))
        return equipment.code


def executed_step(database: Database, din: str, operator: UserHandle, step_code: str = "isolation") -> int:
    """Record that a step of the lot was started (as step execution would); returns the step's id."""
    code, ordinal, title = STEPS[step_code]
    with database.transaction() as session:
        lot = lot_service.get_by_din(session=session, din=din)
        assert lot.id is not None and operator.principal.user_id is not None
        existing = session.execute(
            select(ProcessStep).where(col(ProcessStep.lot_id) == lot.id, col(ProcessStep.step_code) == code)
        ).scalar_one_or_none()
        if existing is not None and existing.id is not None:
            return existing.id
        step = ProcessStep(lot_id=lot.id, process_code="BM-MSC-EXP", process_version=1, step_code=code,
                           step_type=code, ordinal=ordinal, title=title, station="ST-1",
                           started_by=operator.principal.user_id)
        session.add(step)
        session.flush()
        assert step.id is not None
        return step.id


def used_materials(
    database: Database, din: str, operator: UserHandle, codes: list[str], step_code: str = "isolation"
) -> None:
    """Record that material lots `codes` were used at a step of the lot, as a station scan would."""
    step_id = executed_step(database, din, operator, step_code)
    with database.transaction() as session:
        lot = lot_service.get_by_din(session=session, din=din)
        assert lot.id is not None and operator.principal.user_id is not None
        for code in codes:
            material = material_service.get_by_code(session=session, code=code)
            assert material.id is not None
            session.add(MaterialUse(step_id=step_id, lot_id=lot.id, material_lot_id=material.id, quantity=50.0,
                                    unit="mL", used_by=operator.principal.user_id))


def used_instrument(database: Database, din: str, operator: UserHandle, code: str,
                    step_code: str = "isolation") -> None:
    """Record that an instrument was used at a step of the lot, as a station scan would."""
    step_id = executed_step(database, din, operator, step_code)
    with database.transaction() as session:
        equipment = equipment_service.get_by_code(session=session, code=code)
        assert equipment.id is not None and operator.principal.user_id is not None
        session.add(EquipmentUse(step_id=step_id, equipment_id=equipment.id, used_by=operator.principal.user_id))


HTML = {"accept": "text/html"}


def signed_in(client: TestClient, user: UserHandle) -> TestClient:
    """Sign the browser client in as `user` through the sign-in form."""
    response = client.post("/login", data={"username": user.username, "password": user.password,
                                           "csrf_token": csrf_of(client, "/login")},
                           headers=HTML, follow_redirects=False)
    assert response.status_code == 303
    return client


def csrf_of(client: TestClient, path: str) -> str:
    """The CSRF token of the form on the page at `path`, as the browser would submit it."""
    page = client.get(path, headers=HTML)
    assert page.status_code == 200, page.text[:300]
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match
    return match.group(1)
