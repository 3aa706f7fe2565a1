"""The materials pages: the list with filters, pages and an empty state; receipt through the form; QA's signed
decision with the password; and the recall table of lots that used a material."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.materials import service as material_service
from batchtrack.models.material import MaterialKind
from batchtrack.models.user import Role

from builders import UserHandle, make_user, seed_lot
from material_builders import HTML, csrf_of, received_material, released_material, signed_in, used_materials

ClientFactory = Callable[..., tuple[TestClient, UserHandle]]


def _status(database: Database, code: str) -> str:
    with database.transaction(write=False) as session:
        return material_service.get_by_code(session=session, code=code).status


def test_the_list_shows_an_empty_state_then_the_lots_filtered_and_paged(
    database: Database, settings: Settings, as_role: ClientFactory
) -> None:
    client, _ = as_role(Role.COURIER)
    empty = client.get("/materials", headers=HTML)
    assert empty.status_code == 200 and "No material lot has been received yet." in empty.text
    assert 'id="receive"' not in empty.text
    receiver = make_user(database, Role.OPERATOR)
    media = [received_material(database, settings, receiver) for _ in range(26)]
    lysate = received_material(database, settings, receiver, MaterialKind.PLATELET_LYSATE)  # newest: listed first
    first_page = client.get("/materials", headers=HTML).text
    assert "Page 1 of 2" in first_page and lysate in first_page and media[0] not in first_page
    second_page = client.get("/materials?page=2", headers=HTML).text
    assert media[0] in second_page and lysate not in second_page
    filtered = client.get("/materials?kind=platelet_lysate", headers=HTML).text
    assert lysate in filtered and media[0] not in filtered and "Page 1 of" not in filtered
    paged_filter = client.get("/materials?kind=medium&status=quarantine", headers=HTML).text
    assert 'href="/materials?kind=medium&amp;status=quarantine&amp;page=2"' in paged_filter
    none = client.get("/materials?status=rejected", headers=HTML).text
    assert "No material lot matches this filter." in none
    unknown = client.get("/materials?kind=unobtainium", headers=HTML)
    assert unknown.status_code == 400 and "unobtainium" in unknown.text


def test_an_operator_receives_a_lot_through_the_form(client: TestClient, database: Database) -> None:
    operator = make_user(database, Role.OPERATOR)
    signed_in(client, operator)
    form = {"kind": "pen_strep", "description": "Penicillin-streptomycin 100x", "supplier": "Cellgro Supplies",
            "supplier_lot": "PS-5512", "expires_at": "2099-06-30T23:59", "csrf_token": csrf_of(client, "/materials")}
    response = client.post("/materials", data=form, headers=HTML, follow_redirects=False)
    assert response.status_code == 303
    page = client.get(response.headers["location"], headers=HTML)
    assert page.status_code == 200
    assert "PS-5512" in page.text and "quarantine" in page.text and "material.received" in page.text
    assert 'id="decision"' not in page.text  # only QA decides
    refused = client.post("/materials", headers=HTML, data={**form, "expires_at": "2001-01-01T00:00",
                                                            "csrf_token": csrf_of(client, "/materials")})
    assert refused.status_code == 400 and "expired" in refused.text
    forged = client.post("/materials", data={**form, "csrf_token": "forged"}, headers=HTML)
    assert forged.status_code == 403


def test_qa_releases_through_the_page_only_with_the_right_password(
    client: TestClient, database: Database, settings: Settings
) -> None:
    code = received_material(database, settings, make_user(database, Role.OPERATOR))
    qa = make_user(database, Role.QA)
    signed_in(client, qa)
    page = client.get(f"/materials/{code}", headers=HTML).text
    assert 'id="do-release"' in page and 'id="do-reject"' in page and 'type="password"' in page
    wrong = client.post(f"/materials/{code}/release", headers=HTML,
                        data={"username": qa.username, "password": "wrong",
                              "csrf_token": csrf_of(client, f"/materials/{code}")})
    assert wrong.status_code == 403 and "password does not match" in wrong.text
    assert _status(database, code) == "quarantine"
    right = client.post(f"/materials/{code}/release", headers=HTML, follow_redirects=False,
                        data={**qa.credentials, "reason": "CoA reviewed",
                              "csrf_token": csrf_of(client, f"/materials/{code}")})
    assert right.status_code == 303 and _status(database, code) == "released"
    page = client.get(f"/materials/{code}", headers=HTML).text
    assert 'id="do-release"' not in page and 'id="do-reject"' in page and "CoA reviewed" in page
    no_reason = client.post(f"/materials/{code}/reject", headers=HTML,
                            data={**qa.credentials, "csrf_token": csrf_of(client, f"/materials/{code}")})
    assert no_reason.status_code == 400 and "needs a reason" in no_reason.text
    assert _status(database, code) == "released"


def test_someone_other_than_qa_cannot_decide_from_the_page(
    database: Database, settings: Settings, as_role: ClientFactory
) -> None:
    code = received_material(database, settings, make_user(database, Role.OPERATOR))
    client, operator = as_role(Role.OPERATOR)
    assert 'id="decision"' not in client.get(f"/materials/{code}", headers=HTML).text
    response = client.post(f"/materials/{code}/release", headers=HTML, data=operator.credentials)
    assert response.status_code == 403 and _status(database, code) == "quarantine"
    assert client.get("/materials/MT0000000", headers=HTML).status_code == 404


def test_the_material_page_shows_the_lots_that_used_it(
    database: Database, settings: Settings, as_role: ClientFactory
) -> None:
    used, unused = seed_lot(database, settings, subject="S-101", mrn="MRN-101"), seed_lot(
        database, settings, subject="S-102", mrn="MRN-102")
    operator = make_user(database, Role.OPERATOR)
    qa = make_user(database, Role.QA)
    medium = released_material(database, settings, operator, qa)
    client, _ = as_role(Role.QC_ANALYST)
    assert "No lot has used this material lot." in client.get(f"/materials/{medium}", headers=HTML).text
    used_materials(database, used.din, operator, [medium])
    page = client.get(f"/materials/{medium}", headers=HTML).text
    assert "Lots that used this material" in page
    assert f'/lots/{used.din}"' in page and "S-101" in page and "isolation" in page
    assert unused.din not in page and "S-102" not in page
