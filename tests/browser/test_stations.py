"""Station pages driven as a keyboard-wedge scanner drives them: characters typed into the focused field,
then Enter. The verdict is large and unambiguous; the field is ready for the next scan."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.identifiers import coi as coi_id
from batchtrack.identifiers import din as din_id
from batchtrack.identifiers import isbt
from batchtrack.models.user import Role

from builders import UserHandle, bag_scan, collected_bag, enrol_eligible, make_user, seed_lot

pytestmark = pytest.mark.browser
SignIn = Callable[[Page, UserHandle], None]
# A Korean IME left in Hangul mode turns the letters a scanner "types" into jamo (2-beolsik layout).
HANGUL_KEYS = dict(zip("QWERTASDFGZXCVYHUJKLBNMIOP",
                       "ㅂㅈㄷㄱㅅㅁㄴㅇㄹㅎㅋㅌㅊㅍㅛㅗㅕㅓㅏㅣㅠㅜㅡㅑㅐㅔ", strict=True))


def product_label(din: str, coi: str, division: str = "A0") -> str:
    """The Data Matrix of a final-product bag label: DIN, product code and COI identifier."""
    code = isbt.product_code("Y0001", "1", division)
    return isbt.compound_message([isbt.din_structure(din_id.parse(din)), isbt.product_structure(code),
                                  isbt.coi_structure(coi_id.parse(coi))])


def wedge(page: Page, text: str) -> None:
    """Type like a scanner into whatever has focus, then press Enter."""
    expect(page.locator(":focus")).to_have_count(1)  # a scanner types into the field that has focus
    page.keyboard.type(text)
    page.keyboard.press("Enter")


def test_the_scan_station_says_proceed_for_the_right_bag_and_stop_for_another_lots(
    page: Page, live_server: str, database: Database, settings: Settings, sign_in: SignIn,
) -> None:
    lot_a = seed_lot(database, settings, subject="S-A", mrn="MRN-A")
    lot_b = seed_lot(database, settings, subject="S-B", mrn="MRN-B")
    operator = make_user(database, Role.OPERATOR)
    sign_in(page, operator)
    page.goto(f"{live_server}/lots/{lot_a.din}")  # registering a product bag of each lot
    for lot in (lot_a, lot_b):
        page.request.post(f"{live_server}/api/v1/lots/{lot.din}/containers",
                          data={"kind": "final_product"}, headers={"Authorization": f"Bearer {operator.token}"})
    page.goto(f"{live_server}/station?station=BSC-2&lot={lot_a.din}&kind=final_product")
    expect(page.locator("#raw")).to_be_focused()
    wedge(page, product_label(lot_a.din, lot_a.coi))
    expect(page.locator("#verdict")).to_contain_text("PROCEED")
    expect(page.locator("#raw")).to_be_focused()
    wedge(page, product_label(lot_b.din, lot_b.coi))
    verdict = page.locator("#verdict")
    expect(verdict).to_contain_text("STOP")
    expect(verdict).to_contain_text("scan.wrong_lot")
    expect(verdict).to_contain_text(lot_a.din)
    expect(verdict).to_contain_text(lot_b.din)


def test_a_scan_typed_in_hangul_mode_is_read_back(
    page: Page, live_server: str, database: Database, settings: Settings, sign_in: SignIn,
) -> None:
    lot = seed_lot(database, settings)
    operator = make_user(database, Role.OPERATOR)
    sign_in(page, operator)
    page.goto(f"{live_server}/station?station=BSC-1&lot={lot.din}&kind=aspirate_bag")
    expect(page.locator("#raw")).to_be_focused()
    damaged = "".join(HANGUL_KEYS.get(ch, ch) for ch in bag_scan(lot.din))
    assert damaged != bag_scan(lot.din)
    wedge(page, damaged)
    expect(page.locator("#verdict")).to_contain_text("PROCEED")


def test_garbage_at_the_station_is_a_red_refusal_not_an_error(
    page: Page, live_server: str, database: Database, sign_in: SignIn,
) -> None:
    sign_in(page, make_user(database, Role.OPERATOR))
    page.goto(f"{live_server}/station")
    expect(page.locator("#raw")).to_be_focused()
    wedge(page, "=W00002600000199")
    expect(page.locator("#verdict")).to_contain_text("STOP")
    expect(page.locator("#verdict [role=alert], #verdict")).to_contain_text("din.")


def test_the_receiving_station_takes_a_wedge_scan_and_opens_the_lot(
    page: Page, live_server: str, database: Database, settings: Settings, sign_in: SignIn,
) -> None:
    clinician = make_user(database, Role.INVESTIGATOR, Role.COLLECTOR)
    din = collected_bag(database, settings, clinician, enrol_eligible(database, settings, clinician))
    sign_in(page, make_user(database, Role.OPERATOR))
    page.goto(f"{live_server}/receiving?expected={din}")
    page.fill("#temperature_c", "19.5")
    for item in ("bag_intact", "seal_intact", "label_legible", "no_clots"):
        page.check(f"#check-{item}")
    page.check("input[name=decision][value=accept]")
    page.focus("#scan")
    wedge(page, bag_scan(din))
    expect(page.locator("#verdict")).to_contain_text("ACCEPTED")
    page.get_by_role("link", name=din).click()
    expect(page.locator("#lot-state")).to_contain_text("in process")
