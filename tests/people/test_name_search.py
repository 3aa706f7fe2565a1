"""Finding a recipient by name from the search box: as written (Hangul, whole or family name alone) or romanised
(any case, either order), only for the roles that see patient identity."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient

from batchtrack.models.base import utcnow
from batchtrack.models.user import Role

from builders import UserHandle

ClientFactory = Callable[..., tuple[TestClient, UserHandle]]
HTML = {"accept": "text/html"}
SUBJECTS = {"S-201": ("김", "수아", None, None), "S-202": ("김", "민준", "Gim", "Min-jun"),
            "S-203": ("홍", "길동", "Hong", "Gildong"), "S-204": ("Zwierzynska", "Philomena", None, None)}


@pytest.fixture
def investigator(as_role: ClientFactory) -> TestClient:
    client, _ = as_role(Role.INVESTIGATOR)
    for subject, (family, given, family_latin, given_latin) in SUBJECTS.items():
        body = {"subject_code": subject, "family_name": family, "given_name": given, "date_of_birth": "1990-01-02",
                "mrn": f"MRN-{subject}", "indication": "nephritis",
                "consent_date": (utcnow().date() - timedelta(days=2)).isoformat()}
        if family_latin is not None:
            body |= {"family_name_latin": family_latin, "given_name_latin": given_latin}
        assert client.post("/api/v1/recipients", json=body).status_code == 201
    return client


def search(client: TestClient, query: str) -> tuple[int, str]:
    response = client.get("/search", params={"q": query}, headers=HTML, follow_redirects=False)
    return response.status_code, response.headers.get("location", "") or response.text


@pytest.mark.parametrize(("query", "subject"), [
    ("김수아", "S-201"), ("김 수아", "S-201"), ("Kim Sua", "S-201"), ("kim sua", "S-201"), ("SUA KIM", "S-201"),
    ("KIM, Sua", "S-201"), ("gim minjun", "S-202"), ("Min-jun Gim", "S-202"), ("홍", "S-203"), ("hong", "S-203"),
    ("Hong Gildong", "S-203"), ("zwierzynska", "S-204"), ("Zwierzynska Philomena", "S-204"),
])
def test_a_name_leads_an_investigator_to_the_one_subject_with_it(
    investigator: TestClient, query: str, subject: str
) -> None:
    status, location = search(investigator, query)
    assert status == 303 and location.endswith(f"/subjects/{subject}")


def test_a_family_name_several_subjects_share_lists_them(investigator: TestClient) -> None:
    status, location = search(investigator, "김")
    assert status == 303 and urlsplit(location).path.endswith("/subjects")
    assert parse_qs(urlsplit(location).query) == {"name": ["김"]}
    listed = investigator.get(location, headers=HTML).text
    assert "S-201" in listed and "S-202" in listed and "S-203" not in listed and "S-204" not in listed
    assert "김수아" in listed and "GIM, Min-jun" in listed and 'id="name-filter"' in listed


def test_a_name_nobody_has_is_refused_with_a_reason(investigator: TestClient) -> None:
    status, page = search(investigator, "이순신")
    assert status == 404 and "No subject has this name." in page
    assert search(investigator, "Kim Minjun")[0] == 404  # S-202's romanised given name is Min-jun, family Gim


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.QA, Role.QC_ANALYST, Role.COURIER])
def test_a_name_finds_nothing_for_roles_that_see_identifiers_only(
    investigator: TestClient, as_role: ClientFactory, role: Role
) -> None:
    client, _ = as_role(role)
    for query in ("김수아", "Kim Sua", "홍"):
        status, page = search(client, query)
        assert status == 404 and "This is not a DIN, COI identifier, container label or subject code." in page
    listed = client.get("/subjects", params={"name": "김"}, headers=HTML).text
    assert "S-203" in listed and "김" not in listed  # the name filter is ignored, and no name is shown


def test_a_nurse_finds_a_subject_by_name(investigator: TestClient, as_role: ClientFactory) -> None:
    nurse, _ = as_role(Role.NURSE)
    status, location = search(nurse, "김수아")
    assert status == 303 and location.endswith("/subjects/S-201")
