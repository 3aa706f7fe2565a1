"""The therapy page names the recipient as the recipient writes the name and in its romanised form, for the roles
that see patient identity, in the reader's language."""

from __future__ import annotations

import re

from conftest import api_client
from fastapi import FastAPI
from sqlmodel import col, select

from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.models.party import Recipient
from batchtrack.models.user import Role

from builders import make_user, seed_lot

HTML = {"accept": "text/html"}
KOREAN = {**HTML, "accept-language": "ko-KR,ko;q=0.9"}


def _romanise(database: Database, subject: str, family: str, given: str) -> None:
    with database.transaction() as session:
        recipient = session.execute(select(Recipient).where(col(Recipient.subject_code) == subject)).scalar_one()
        recipient.family_name_latin, recipient.given_name_latin = family, given
        session.add(recipient)


def _field(page: str, element_id: str) -> str | None:
    found = re.search(rf'id="{element_id}">([^<]*)<', page)
    return found.group(1) if found else None


def test_a_clinician_reads_the_hangul_name_as_written_and_romanised_on_a_korean_page(
    app: FastAPI, database: Database, settings: Settings
) -> None:
    lot = seed_lot(database, settings, subject="S-HG", family="홍", given="길동")
    _romanise(database, "S-HG", "Hong", "Gildong")
    page = api_client(app, make_user(database, Role.INVESTIGATOR)).get(f"/therapies/{lot.coi}", headers=KOREAN)
    assert page.status_code == 200, page.text
    assert _field(page.text, "recipient-name") == "홍길동"
    assert _field(page.text, "recipient-name-romanised") == "HONG, Gildong"
    assert "<dt>수혜자</dt>" in page.text and "<dt>로마자 이름</dt>" in page.text
    assert "동일성 연결(COI) 보고서" in page.text and "Chain-of-identity report" not in page.text


def test_the_api_gives_both_forms_of_the_name_to_clinical_roles_only(
    app: FastAPI, database: Database, settings: Settings
) -> None:
    lot = seed_lot(database, settings, subject="S-HG", family="홍", given="길동")
    _romanise(database, "S-HG", "Hong", "Gildong")
    therapy = api_client(app, make_user(database, Role.INVESTIGATOR)).get(f"/api/v1/therapies/{lot.coi}").json()
    assert therapy["recipient_name"] == "홍길동" and therapy["recipient_name_romanised"] == "HONG, Gildong"
    assert therapy["recipient_family_name_latin"] == "Hong" and therapy["recipient_given_name_latin"] == "Gildong"
    operator = api_client(app, make_user(database, Role.OPERATOR)).get(f"/api/v1/therapies/{lot.coi}").json()
    assert "recipient_name" not in operator and "recipient_name_romanised" not in operator
    page = api_client(app, make_user(database, Role.OPERATOR)).get(f"/therapies/{lot.coi}", headers=KOREAN)
    assert page.status_code == 200 and "홍길동" not in page.text and "Gildong" not in page.text


def test_a_latin_name_without_a_romanised_form_reads_as_before_in_english(
    app: FastAPI, database: Database, settings: Settings
) -> None:
    lot = seed_lot(database, settings, subject="S-LT", family="Hong", given="Gildong")
    _romanise(database, "S-LT", "", "")
    page = api_client(app, make_user(database, Role.INVESTIGATOR)).get(f"/therapies/{lot.coi}", headers=HTML)
    assert page.status_code == 200
    assert _field(page.text, "recipient-name") == "HONG, Gildong"
    assert 'id="recipient-name-romanised"' not in page.text
    assert "<dt>Recipient</dt>" in page.text and "Chain-of-identity report" in page.text
