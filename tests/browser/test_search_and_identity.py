"""Finding records from the header search, and who sees the patient's name on the therapy page."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.identifiers import checkchar
from batchtrack.models.user import Role

from builders import PATIENT_FAMILY, PATIENT_GIVEN, UserHandle, make_user, seed_lot

pytestmark = pytest.mark.browser

SignIn = Callable[[Page, UserHandle], None]


def find(page: Page, text: str) -> int:
    """Type `text` into the header search and press Enter; return the status of the page reached."""
    with page.expect_navigation() as navigation:
        page.get_by_label("Subject code, DIN, COI, container or name").fill(text)
        page.keyboard.press("Enter")
    response = navigation.value
    assert response is not None
    return response.status


def test_unknown_identifier_says_nothing_matches(page: Page, database: Database, sign_in: SignIn) -> None:
    sign_in(page, make_user(database, Role.OPERATOR))

    assert find(page, "NO-SUCH-SUBJECT") == 404
    expect(page.get_by_role("heading", level=1, name="Search")).to_be_visible()
    expect(page.get_by_role("alert")).to_have_text("No subject has this code.")
    expect(page.get_by_text("You searched for")).to_contain_text("NO-SUCH-SUBJECT")


def test_a_subject_code_a_din_check_would_have_refused_finds_its_therapy_from_the_page_search(
    page: Page, database: Database, settings: Settings, sign_in: SignIn
) -> None:
    lot = seed_lot(database, settings, subject="CS20AT04-S-01")
    sign_in(page, make_user(database, Role.OPERATOR))

    assert find(page, "CS20AT04-S-0") == 404
    expect(page.get_by_role("alert")).to_have_text("No subject has this code.")
    expect(page.locator("#search-again")).to_be_focused()  # the page's own box, ready to type again
    with page.expect_navigation():
        page.keyboard.type("CS20AT04-S-01")
        page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(f"/therapies/{lot.coi}$"))


def test_a_clinician_finds_a_subject_by_the_name_in_hangul(
    page: Page, database: Database, settings: Settings, sign_in: SignIn
) -> None:
    seed_lot(database, settings, subject="S-008", family="홍", given="길동")
    sign_in(page, make_user(database, Role.NURSE))

    find(page, "홍길동")
    expect(page).to_have_url(re.compile("/subjects/S-008$"))


def test_a_name_tells_an_operator_nothing_about_who_is_enrolled(
    page: Page, database: Database, settings: Settings, sign_in: SignIn
) -> None:
    seed_lot(database, settings, subject="S-009", family="홍", given="길동")
    sign_in(page, make_user(database, Role.OPERATOR))

    assert find(page, "홍길동") == 404
    expect(page.get_by_role("alert")).to_have_text(
        "This is not a DIN, COI identifier, container label or subject code.")
    expect(page.get_by_text("in Hangul or romanised")).to_have_count(0)
    expect(page.get_by_text("S-009")).to_have_count(0)


def test_mistyped_check_character_is_refused_not_guessed(
    page: Page, database: Database, settings: Settings, sign_in: SignIn
) -> None:
    lot = seed_lot(database, settings)
    sign_in(page, make_user(database, Role.OPERATOR))
    good = checkchar.check_character(lot.din)
    wrong = next(c for c in "0123456789" if c != good)

    assert find(page, lot.din + wrong) == 404
    expect(page.get_by_role("alert")).to_contain_text("does not match")
    expect(page).not_to_have_url(re.compile("/lots/"))


def test_subject_code_leads_to_the_therapy(
    page: Page, database: Database, settings: Settings, sign_in: SignIn
) -> None:
    lot = seed_lot(database, settings, subject="S-007")
    sign_in(page, make_user(database, Role.QA))

    find(page, "S-007")
    expect(page).to_have_url(re.compile(f"/therapies/{lot.coi}$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(lot.coi)


@pytest.mark.parametrize("role", [Role.QC_ANALYST, Role.COURIER])
def test_patient_name_hidden_from_those_who_need_only_identifiers(
    page: Page, database: Database, settings: Settings, sign_in: SignIn, role: Role
) -> None:
    lot = seed_lot(database, settings)
    sign_in(page, make_user(database, role))

    page.goto(f"/therapies/{lot.coi}")
    expect(page.get_by_role("heading", level=1)).to_contain_text(lot.coi)
    expect(page.locator("#recipient-name")).to_have_count(0)
    html = page.content().lower()
    assert PATIENT_FAMILY.lower() not in html
    assert PATIENT_GIVEN.lower() not in html


def test_investigator_sees_the_patient_name(
    page: Page, database: Database, settings: Settings, sign_in: SignIn
) -> None:
    lot = seed_lot(database, settings)
    sign_in(page, make_user(database, Role.INVESTIGATOR))

    page.goto(f"/therapies/{lot.coi}")
    expect(page.locator("#recipient-name")).to_have_text(f"{PATIENT_FAMILY.upper()}, {PATIENT_GIVEN}")
