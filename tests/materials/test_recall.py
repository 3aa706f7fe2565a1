"""Recall both ways: a material lot reaches exactly the lots that consumed it, and a lot lists exactly the
material lots that went into it, with the steps that used them."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.lots import service as lot_service
from batchtrack.materials import service as material_service
from batchtrack.models.material import MaterialKind
from batchtrack.models.user import Role

from builders import PATIENT_FAMILY, PATIENT_MRN, SeededLot, UserHandle, make_user, seed_lot
from material_builders import released_material, used_materials

ClientFactory = Callable[..., tuple[TestClient, UserHandle]]


def _three_lots(database: Database, settings: Settings) -> list[SeededLot]:
    return [seed_lot(database, settings, subject=f"S-00{n}", mrn=f"MRN-RECALL-{n}") for n in (1, 2, 3)]


def test_a_recall_reaches_exactly_the_lots_that_used_the_material_and_nothing_else(
    database: Database, settings: Settings, as_role: ClientFactory
) -> None:
    first, second, untouched = _three_lots(database, settings)
    operator = make_user(database, Role.OPERATOR)
    qa = make_user(database, Role.QA)
    medium = released_material(database, settings, operator, qa, MaterialKind.MEDIUM, supplier_lot="MED-7")
    lysate = released_material(database, settings, operator, qa, MaterialKind.PLATELET_LYSATE, supplier_lot="PL-3")
    unused = released_material(database, settings, operator, qa, MaterialKind.PEN_STREP, supplier_lot="PS-1")
    used_materials(database, first.din, operator, [medium, lysate])
    used_materials(database, second.din, operator, [medium])
    used_materials(database, second.din, operator, [medium], step_code="passage")

    client, _ = as_role(Role.COURIER)
    response = client.get(f"/api/v1/materials/{medium}/lots")
    assert response.status_code == 200, response.text
    recall = {row["din"]: row for row in response.json()}
    assert set(recall) == {first.din, second.din}
    assert untouched.din not in recall
    assert recall[first.din]["subject_code"] == "S-001" and recall[first.din]["therapy_coi"] == first.coi
    assert recall[first.din]["lot_state"] == "in_process"
    assert recall[first.din]["step_codes"] == ["isolation"]
    assert recall[second.din]["step_codes"] == ["isolation", "passage"]
    assert recall[second.din]["first_used_at"] <= recall[second.din]["last_used_at"]

    assert [row["din"] for row in client.get(f"/api/v1/materials/{lysate}/lots").json()] == [first.din]
    assert client.get(f"/api/v1/materials/{unused}/lots").json() == []


def test_a_lot_lists_exactly_the_material_lots_that_went_into_it(
    database: Database, settings: Settings, as_role: ClientFactory
) -> None:
    first, second, untouched = _three_lots(database, settings)
    operator = make_user(database, Role.OPERATOR)
    qa = make_user(database, Role.QA)
    medium = released_material(database, settings, operator, qa, MaterialKind.MEDIUM, supplier_lot="MED-7")
    lysate = released_material(database, settings, operator, qa, MaterialKind.PLATELET_LYSATE, supplier_lot="PL-3")
    trypsin = released_material(database, settings, operator, qa, MaterialKind.TRYPSIN, supplier_lot="TR-9")
    used_materials(database, first.din, operator, [medium, lysate])
    used_materials(database, first.din, operator, [medium, trypsin], step_code="passage")
    used_materials(database, second.din, operator, [lysate])

    client, _ = as_role(Role.QC_ANALYST)
    response = client.get(f"/api/v1/lots/{first.din}/materials")
    assert response.status_code == 200, response.text
    materials = {row["code"]: row for row in response.json()}
    assert set(materials) == {medium, lysate, trypsin}
    assert materials[medium]["step_codes"] == ["isolation", "passage"]
    assert materials[trypsin]["step_codes"] == ["passage"]
    row = materials[lysate]
    assert (row["kind"], row["supplier"], row["supplier_lot"], row["status"], row["step_codes"]) == (
        "platelet_lysate", "Cellgro Supplies", "PL-3", "released", ["isolation"])
    assert row["expires_at"] and row["description"]

    assert [row["code"] for row in client.get(f"/api/v1/lots/{second.din}/materials").json()] == [lysate]
    assert client.get(f"/api/v1/lots/{untouched.din}/materials").json() == []


def test_the_recall_services_read_codes_as_typed_and_lots_by_din(database: Database, settings: Settings) -> None:
    lot = seed_lot(database, settings)
    operator = make_user(database, Role.OPERATOR)
    qa = make_user(database, Role.QA)
    medium = released_material(database, settings, operator, qa)
    used_materials(database, lot.din, operator, [medium])
    with database.transaction(write=False) as session:
        typed = f"  {medium[:4].lower()} {medium[4:]} "
        assert [r.din for r in material_service.lots_using(session=session, code=typed)] == [lot.din]
        reverse = material_service.materials_of_lot(session=session, lot=lot_service.get_by_din(session=session,
                                                                                                 din=lot.din))
        assert [m.code for m in reverse] == [medium]


def test_the_recall_shows_subject_codes_never_patient_identity(
    database: Database, settings: Settings, as_role: ClientFactory
) -> None:
    lot = seed_lot(database, settings)
    operator = make_user(database, Role.OPERATOR)
    qa = make_user(database, Role.QA)
    medium = released_material(database, settings, operator, qa)
    used_materials(database, lot.din, operator, [medium])
    client, _ = as_role(Role.OPERATOR)
    for url in (f"/api/v1/materials/{medium}/lots", f"/materials/{medium}"):
        body = client.get(url, headers={"accept": "text/html"}).text
        assert "S-001" in body and lot.din in body
        assert PATIENT_FAMILY not in body and PATIENT_FAMILY.upper() not in body and PATIENT_MRN not in body


def test_recall_of_an_unknown_material_or_lot_is_404_with_a_reason(as_role: ClientFactory) -> None:
    client, _ = as_role(Role.QA)
    unknown = client.get("/api/v1/materials/MT9999999/lots")
    assert unknown.status_code == 404 and unknown.json()["error"] == "material.unknown"
    assert "MT9999999" in unknown.json()["message"]
    missing_lot = client.get("/api/v1/lots/W000026999999/materials")
    assert missing_lot.status_code == 404 and missing_lot.json()["message"]
    malformed = client.get("/api/v1/lots/not-a-din/materials")
    assert malformed.status_code == 422
