"""The recipient's name in the chain-of-identity report: as the recipient writes it (Hangul without a space) and
romanised, in the JSON and on the page, for the roles that see patient identity only; the page in Korean."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlmodel import col, select

from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.models.party import Recipient
from batchtrack.models.therapy import Therapy
from batchtrack.models.user import Role

from builders import UserHandle
from coi_report_builders import InfusedTherapy, infused_therapy

ClientFactory = Callable[..., tuple[TestClient, UserHandle]]
HTML = {"accept": "text/html"}
KOREAN = {"accept-language": "ko-KR,ko;q=0.9"}


def _name(database: Database, coi: str, family: str, given: str, family_latin: str, given_latin: str) -> None:
    """Record the recipient's name as written and romanised (the builders enrol in Latin script)."""
    with database.transaction() as session:
        therapy = session.execute(select(Therapy).where(col(Therapy.coi) == coi)).scalar_one()
        recipient = session.get(Recipient, therapy.recipient_id)
        assert recipient is not None
        recipient.family_name, recipient.given_name = family, given
        recipient.family_name_latin, recipient.given_name_latin = family_latin, given_latin
        session.add(recipient)


@pytest.fixture
def chain(database: Database, settings: Settings) -> InfusedTherapy:
    therapy = infused_therapy(database, settings)
    _name(database, therapy.coi, "홍", "길동", "Hong", "Gildong")
    return therapy


def test_a_clinician_reads_the_name_as_written_and_romanised_in_json_and_page(
    chain: InfusedTherapy, as_role: ClientFactory
) -> None:
    client, _ = as_role(Role.INVESTIGATOR)
    recipient = client.get(f"/api/v1/therapies/{chain.coi}/report").json()["recipient"]
    assert (recipient["name"], recipient["romanised_name"]) == ("홍길동", "HONG, Gildong")
    assert (recipient["family_name"], recipient["given_name"]) == ("홍", "길동")
    page = client.get(f"/therapies/{chain.coi}/report", headers=HTML).text
    assert '<dd id="recipient-name" lang="ko">홍길동</dd>' in page
    assert '<dd id="recipient-name-latin">HONG, Gildong</dd>' in page and "Romanised name" in page


def test_a_name_without_a_romanised_form_says_so_and_a_latin_name_is_not_marked_korean(
    chain: InfusedTherapy, database: Database, as_role: ClientFactory
) -> None:
    _name(database, chain.coi, "Smith", "Anna", "", "")
    client, _ = as_role(Role.NURSE)
    recipient = client.get(f"/api/v1/therapies/{chain.coi}/report").json()["recipient"]
    assert (recipient["name"], recipient["romanised_name"]) == ("SMITH, Anna", None)
    page = client.get(f"/therapies/{chain.coi}/report", headers=HTML).text
    assert '<dd id="recipient-name">SMITH, Anna</dd>' in page
    assert '<dd id="recipient-name-latin">not recorded</dd>' in page


def test_roles_that_do_not_see_patient_identity_get_neither_name(
    chain: InfusedTherapy, as_role: ClientFactory
) -> None:
    client, _ = as_role(Role.QA)
    response = client.get(f"/api/v1/therapies/{chain.coi}/report")
    assert response.json()["recipient"]["romanised_name"] is None and response.json()["recipient"]["name"] is None
    page = client.get(f"/therapies/{chain.coi}/report", headers=HTML).text
    for word in ("홍길동", "HONG", "Gildong", "recipient-name-latin"):
        assert word not in response.text and word not in page


def test_the_report_page_reads_in_korean(chain: InfusedTherapy, as_role: ClientFactory) -> None:
    client, _ = as_role(Role.INVESTIGATOR)
    page = client.get(f"/therapies/{chain.coi}/report", headers={**HTML, **KOREAN}).text
    assert '<html lang="ko"' in page
    assert "<dt>수혜자</dt>" in page and "<dt>로마자 이름</dt>" in page and "<dt>생년월일</dt>" in page
    for heading in ("채취", "로트", "인수인계", "라벨 출력", "투여 전 병상 확인 및 투여", "이벤트(오래된 순)"):
        assert f">{heading}</h2>" in page
    assert 'title="검사 문자"' in page and "PDF 내려받기" in page
