"""The search API answers as the search box does: what an identifier (or, for clinical roles, a name) leads to,
and a 404 with the reason when nothing matches."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.identifiers import checkchar
from batchtrack.models.user import Role

from builders import UserHandle, seed_lot

ClientFactory = Callable[..., tuple[TestClient, UserHandle]]


def test_a_din_with_its_check_character_names_the_lot(
    database: Database, settings: Settings, as_role: ClientFactory
) -> None:
    lot = seed_lot(database, settings)
    client, _ = as_role(Role.COURIER)
    response = client.get("/api/v1/search", params={"q": lot.din + checkchar.check_character(lot.din)})
    assert response.status_code == 200
    assert response.json() == {"kind": "lot", "key": lot.din, "page": f"/lots/{lot.din}"}


def test_a_subject_code_names_its_therapy(database: Database, settings: Settings, as_role: ClientFactory) -> None:
    lot = seed_lot(database, settings, subject="CS20AT04-S-002")
    client, _ = as_role(Role.QA)
    assert client.get("/api/v1/search", params={"q": "CS20AT04-S-002"}).json() == {
        "kind": "therapy", "key": lot.coi, "page": f"/therapies/{lot.coi}"}


def test_a_name_names_the_subject_for_a_clinician_only(
    database: Database, settings: Settings, as_role: ClientFactory
) -> None:
    seed_lot(database, settings, subject="S-401", family="김", given="수아")
    nurse, _ = as_role(Role.NURSE)
    operator, _ = as_role(Role.OPERATOR)
    assert nurse.get("/api/v1/search", params={"q": "Kim Sua"}).json() == {
        "kind": "subject", "key": "S-401", "page": "/subjects/S-401"}
    refused = operator.get("/api/v1/search", params={"q": "Kim Sua"})
    assert refused.status_code == 404
    assert refused.json()["error"] == "search.nothing_found"
    assert refused.json()["message"] == "This is not a DIN, COI identifier, container label or subject code."


def test_nothing_found_and_nothing_typed_are_refused_with_their_reasons(as_role: ClientFactory) -> None:
    client, _ = as_role(Role.OPERATOR)
    wrong = client.get("/api/v1/search", params={"q": "G123417654321B"})
    assert wrong.status_code == 404 and "does not match DIN G123417654321" in wrong.json()["message"]
    empty = client.get("/api/v1/search", params={"q": " "})
    assert empty.status_code == 400 and empty.json()["error"] == "search.empty"
    assert client.get("/api/v1/search", params={"q": "x" * 201}).status_code == 422


def test_the_reason_is_in_the_readers_language(as_role: ClientFactory) -> None:
    client, _ = as_role(Role.OPERATOR)
    response = client.get("/api/v1/search", params={"q": "S-404"}, headers={"accept-language": "ko"})
    assert response.json()["message"] == "이 대상자 번호에 해당하는 대상자가 없습니다."
