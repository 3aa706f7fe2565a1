"""The search box finds a lot, therapy or subject from a subject code, a DIN or COI identifier with or without its
check character, a container's label, and (for clinical roles) a name; anything else gets a reason, never a DIN
format error, and roles that see identifiers only get no hint that a name exists."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlmodel import col, select

from batchtrack.config import Settings
from batchtrack.dashboard import search
from batchtrack.db import Database
from batchtrack.identifiers import checkchar, isbt
from batchtrack.identifiers import coi as coi_id
from batchtrack.identifiers import din as din_id
from batchtrack.models.container import Container, ContainerKind
from batchtrack.models.lot import Lot
from batchtrack.models.user import Role

from builders import PATIENT_FAMILY, UserHandle, bag_scan, collected_bag, enrol_eligible, make_user, seed_lot

ClientFactory = Callable[..., tuple[TestClient, UserHandle]]
HTML = {"accept": "text/html"}


def searched(client: TestClient, query: str) -> tuple[int, str]:
    """The status and where the search leads (its Location), or the page that says why nothing was found."""
    response = client.get("/search", params={"q": query}, headers=HTML, follow_redirects=False)
    return response.status_code, response.headers.get("location", "") or response.text


def add_container(database: Database, din: str, **slot: str) -> None:
    """A container of the lot with DIN `din` in the given slot (division, sample_flag, product_code)."""
    with database.transaction() as session:
        lot_id = session.execute(select(col(Lot.id)).where(col(Lot.din) == din)).scalar_one()
        session.add(Container(din=din, kind=ContainerKind.CULTURE_VESSEL, lot_id=lot_id, **slot))


@pytest.mark.parametrize("subject", ["CS20AT04-S-001", "S-007", "KCT0004337-08"])
def test_a_subject_code_of_any_length_leads_to_its_therapy(
    database: Database, settings: Settings, as_role: ClientFactory, subject: str
) -> None:
    lot = seed_lot(database, settings, subject=subject)
    client, _ = as_role(Role.OPERATOR)
    assert searched(client, subject) == (303, f"http://testserver/therapies/{lot.coi}")
    assert searched(client, f"  {subject.lower()} ") == (303, f"http://testserver/therapies/{lot.coi}")


def test_a_din_with_or_without_its_check_character_leads_to_the_lot(
    database: Database, settings: Settings, as_role: ClientFactory
) -> None:
    lot = seed_lot(database, settings)
    client, _ = as_role(Role.QC_ANALYST)
    check = checkchar.check_character(lot.din)
    eye_readable = din_id.eye_readable(din_id.parse(lot.din))
    for query in (lot.din, lot.din + check, eye_readable, bag_scan(lot.din)):
        assert searched(client, query) == (303, f"http://testserver/lots/{lot.din}"), query


def test_a_coi_identifier_with_or_without_its_check_character_leads_to_the_therapy(
    database: Database, settings: Settings, as_role: ClientFactory
) -> None:
    lot = seed_lot(database, settings)
    client, _ = as_role(Role.COURIER)
    for query in (lot.coi, coi_id.eye_readable(coi_id.parse(lot.coi)), isbt.coi_structure(coi_id.parse(lot.coi))):
        assert searched(client, query) == (303, f"http://testserver/therapies/{lot.coi}"), query


def test_the_din_of_a_bag_not_yet_received_leads_to_its_therapy(
    database: Database, settings: Settings, as_role: ClientFactory
) -> None:
    clinician = make_user(database, Role.INVESTIGATOR, Role.COLLECTOR)
    coi = enrol_eligible(database, settings, clinician)
    din = collected_bag(database, settings, clinician, coi)
    client, _ = as_role(Role.OPERATOR)
    assert searched(client, din + checkchar.check_character(din)) == (303, f"http://testserver/therapies/{coi}")


def test_a_vessels_label_typed_or_scanned_leads_to_its_lot(
    database: Database, settings: Settings, as_role: ClientFactory
) -> None:
    lot = seed_lot(database, settings)
    add_container(database, lot.din, sample_flag="03")
    client, _ = as_role(Role.OPERATOR)
    for query in (isbt.din_structure(din_id.parse(lot.din), flags="03"), f"{lot.din} 03"):
        assert searched(client, query) == (303, f"http://testserver/lots/{lot.din}"), query
    status, page = searched(client, f"{lot.din}04")
    assert status == 404 and "No container recorded here has this label." in page


def test_a_product_bags_label_leads_to_its_lot(database: Database, settings: Settings, as_role: ClientFactory) -> None:
    lot = seed_lot(database, settings)
    code = isbt.product_code("Y0001", "1", "A0")
    add_container(database, lot.din, division="A0", product_code=code[:6])
    label = isbt.compound_message([isbt.din_structure(din_id.parse(lot.din)), isbt.product_structure(code),
                                   isbt.coi_structure(coi_id.parse(lot.coi))])
    client, _ = as_role(Role.QA)
    assert searched(client, label) == (303, f"http://testserver/lots/{lot.din}")


@pytest.mark.parametrize(("query", "message"), [
    ("G123426999999", "No lot or collection has this DIN."),
    ("CHW000026999999", "No therapy has this COI identifier."),
    ("S-404", "No subject has this code."),
    ("!!!", "This is not a DIN, COI identifier, container label or subject code."),
    ("G123417654321B", "The check character B does not match DIN G123417654321"),
    ("=G12341765432", "The barcode cannot be read: "),
])
def test_what_finds_nothing_is_refused_with_a_reason_not_a_format_error(
    as_role: ClientFactory, query: str, message: str
) -> None:
    client, _ = as_role(Role.OPERATOR)
    status, page = searched(client, query)
    assert status == 404 and message in page
    assert "a DIN is a FIN letter" not in page and "a DIN has 13 characters" not in page


def test_an_empty_search_says_what_to_type(as_role: ClientFactory) -> None:
    clinician, _ = as_role(Role.NURSE)
    operator, _ = as_role(Role.OPERATOR)
    assert "or type a subject code or name." in searched(clinician, " ")[1]
    assert "or type a subject code." in searched(operator, "")[1]


def test_a_clinician_finds_a_subject_by_name(database: Database, settings: Settings, as_role: ClientFactory) -> None:
    seed_lot(database, settings, subject="S-301", family="홍", given="길동")
    client, _ = as_role(Role.COLLECTOR)
    for query in ("홍길동", "Hong Gildong", "gildong hong"):
        assert searched(client, query) == (303, "http://testserver/subjects/S-301"), query
    status, page = searched(client, "이순신")
    assert status == 404 and "No subject has this name." in page


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.QA, Role.QC_ANALYST, Role.COURIER, Role.ADMIN])
def test_a_name_gives_other_roles_no_match_and_no_hint(
    database: Database, settings: Settings, as_role: ClientFactory, role: Role
) -> None:
    seed_lot(database, settings, subject="S-302", family="홍", given="길동")
    client, _ = as_role(role)
    answers = {query: searched(client, query) for query in ("홍길동", "이순신", "Hong Gildong", "Yi Sunsin")}
    assert {status for status, _ in answers.values()} == {404}
    messages = {query: page.split('id="search-message">')[1].split("<")[0] for query, (_, page) in answers.items()}
    assert set(messages.values()) == {"This is not a DIN, COI identifier, container label or subject code."}
    assert all("S-302" not in page and "홍" not in page.replace("홍길동", "") for _, page in answers.values())
    assert "name, in Hangul" not in answers["홍길동"][1]


@contextmanager
def statements(database: Database) -> Iterator[list[str]]:
    """The SQL statements run meanwhile."""
    seen: list[str] = []

    def note(*args: Any) -> None:
        seen.append(args[2])

    event.listen(database.engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(database.engine, "before_cursor_execute", note)


def test_a_search_runs_a_few_bounded_queries_whatever_the_number_of_records(
    database: Database, settings: Settings
) -> None:
    seed_lot(database, settings, subject="S-303", family="Kim", given="Sua")
    with database.transaction(write=False) as session, statements(database) as seen:
        assert search.find(session=session, query="Kim Sua", sees_identity=True).kind == "subject"
        assert search.find(session=session, query="S-404", sees_identity=True).kind == "none"
        assert search.find(session=session, query="G123426999999", sees_identity=False).kind == "none"
    assert len(seen) <= 5
    assert all(" LIMIT " in sql.upper() or " = " in sql or " IN " in sql.upper() for sql in seen)


def test_the_search_page_names_what_it_finds_and_offers_to_search_again(as_role: ClientFactory) -> None:
    nurse, _ = as_role(Role.NURSE)
    operator, _ = as_role(Role.OPERATOR)
    page = searched(nurse, "!!!")[1]
    assert "This is not a DIN, COI identifier, container label, subject code or name." in page
    assert 'id="search-again"' in page and "in Hangul or romanised" in page
    assert 'action="http://testserver/search"' in page  # the page, not the API
    assert PATIENT_FAMILY not in page
    assert "in Hangul or romanised" not in searched(operator, "!!!")[1]


def test_a_directed_donors_name_leads_a_clinician_to_the_recipient(as_role: ClientFactory) -> None:
    investigator, _ = as_role(Role.INVESTIGATOR)
    body = {"subject_code": "S-304", "family_name": "Lee", "given_name": "Ana", "date_of_birth": "1990-05-01",
            "mrn": "MRN-S-304", "indication": "nephritis", "consent_date": "2026-01-05", "donor_kind": "directed",
            "donor": {"donor_code": "D-304", "date_of_birth": "1970-06-01", "family_name": "박",
                      "given_name": "서준"}}
    assert investigator.post("/api/v1/recipients", json=body).status_code == 201
    for query in ("박서준", "Park Seojun", "seojun park"):
        assert searched(investigator, query) == (303, "http://testserver/subjects/S-304"), query
    operator, _ = as_role(Role.OPERATOR)
    assert searched(operator, "박서준")[0] == 404
