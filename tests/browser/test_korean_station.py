"""The scan station in a browser that prefers Korean, driven as a keyboard-wedge scanner drives it (characters typed
into the focused field, then Enter): a wrong container is refused with its reason in Korean and its code as it is,
the right one proceeds, a scan typed while the Korean IME is in Hangul mode is read back and proceeds, and nothing
is wider than its box on a phone or a small laptop."""

from __future__ import annotations

import pytest
from page_sign_in import sign_in_by_fields as _sign_in
from playwright.sync_api import Page, expect

from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.identifiers import coi as coi_id
from batchtrack.identifiers import din as din_id
from batchtrack.identifiers import isbt
from batchtrack.models.user import Role

from builders import bag_scan, make_user, seed_lot

pytestmark = pytest.mark.browser
# A Korean IME left in Hangul mode turns the letters a scanner "types" into jamo (2-beolsik layout).
HANGUL_KEYS = dict(zip("QWERTASDFGZXCVYHUJKLBNMIOP",
                       "ㅂㅈㄷㄱㅅㅁㄴㅇㄹㅎㅋㅌㅊㅍㅛㅗㅕㅓㅏㅣㅠㅜㅡㅑㅐㅔ", strict=True))

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1024, "height": 768}
# Every element that holds text and has a box of its own, wider inside than that box (1 px of rounding allowed);
# an element that scrolls sideways on purpose is not counted, nor text meant for screen readers alone.
_OVERFLOWING = """() => {
  const found = [];
  if (document.documentElement.scrollWidth > window.innerWidth) {
    found.push(`the page: ${document.documentElement.scrollWidth} > ${window.innerWidth}`);
  }
  for (const el of document.querySelectorAll('body *')) {
    const style = getComputedStyle(el);
    if (el.clientWidth === 0 || ['auto', 'scroll'].includes(style.overflowX) || !el.textContent.trim()) continue;
    if (el.closest('.visually-hidden')) continue;
    if (el.scrollWidth > el.clientWidth + 1) {
      found.push(`${el.tagName.toLowerCase()}#${el.id}.${el.className}: ${el.scrollWidth} > ${el.clientWidth}`);
    }
  }
  return found;
}"""



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




def _nothing_overflows(page: Page) -> None:
    for size in (PHONE, LAPTOP):
        page.set_viewport_size(size)
        found = page.evaluate(_OVERFLOWING)
        assert found == [], f"at {size['width']}x{size['height']}: {found}"


def test_at_a_korean_station_a_wrong_bag_is_refused_in_korean_and_the_right_one_proceeds(
    korean_page: Page, live_server: str, database: Database, settings: Settings,
) -> None:
    page = korean_page
    lot_a = seed_lot(database, settings, subject="S-A", mrn="MRN-A")
    lot_b = seed_lot(database, settings, subject="S-B", mrn="MRN-B")
    operator = make_user(database, Role.OPERATOR)
    for lot in (lot_a, lot_b):
        registered = page.request.post(f"{live_server}/api/v1/lots/{lot.din}/containers",
                                       data={"kind": "final_product"},
                                       headers={"Authorization": f"Bearer {operator.token}"})
        assert registered.ok, registered.text()
    _sign_in(page, operator)
    page.goto(f"/station?station=BSC-2&lot={lot_a.din}&kind=final_product")
    expect(page.locator("html")).to_have_attribute("lang", "ko")
    expect(page.get_by_role("heading", name="스캔 스테이션")).to_be_visible()
    expect(page.locator(".expect")).to_contain_text("완제품")
    expect(page.get_by_label("라벨을 스캔하십시오")).to_be_focused()

    wedge(page, product_label(lot_b.din, lot_b.coi))
    verdict = page.locator("#verdict")
    expect(verdict).to_contain_text("중지")
    expect(verdict).to_contain_text("scan.wrong_lot")
    expect(verdict).to_contain_text(f"로트 {lot_b.din}에 속하지만, 로트 {lot_a.din}이(가) 필요합니다")
    expect(verdict).not_to_contain_text("belongs to")
    expect(page.locator("#raw")).to_be_focused()
    _nothing_overflows(page)
    page.get_by_role("button", name="중지 내용을 확인했습니다: 수신 확인").click()  # a STOP stays until acknowledged
    expect(page.locator("#acknowledged")).to_contain_text("중지를 수신 확인했습니다")

    wedge(page, product_label(lot_a.din, lot_a.coi))
    expect(verdict).to_contain_text("진행")
    expect(verdict).to_contain_text(f"완제품 {lot_a.din}")
    expect(verdict).not_to_contain_text("scan.")
    expect(page.locator("#raw")).to_be_focused()
    _nothing_overflows(page)


def test_at_a_korean_station_a_scan_typed_in_hangul_mode_is_read_back_and_proceeds(
    korean_page: Page, database: Database, settings: Settings,
) -> None:
    page = korean_page
    lot = seed_lot(database, settings)
    _sign_in(page, make_user(database, Role.OPERATOR))
    page.goto(f"/station?station=BSC-1&lot={lot.din}&kind=aspirate_bag")
    expect(page.locator("#raw")).to_be_focused()
    damaged = "".join(HANGUL_KEYS.get(character, character) for character in bag_scan(lot.din))
    assert damaged != bag_scan(lot.din)
    wedge(page, damaged)
    verdict = page.locator("#verdict")
    expect(verdict).to_contain_text("진행")
    expect(verdict).to_contain_text(f"골수 흡인물 백 {lot.din}")
    _nothing_overflows(page)

    # A scan that cannot be repaired (a character no layout types) is refused in Korean, with its code.
    wedge(page, "=W0000\u00e926000001")
    expect(verdict).to_contain_text("중지")
    expect(verdict).to_contain_text("scan.characters")
    expect(verdict).to_contain_text("스캐너의 키보드 배열을 확인하십시오")
    _nothing_overflows(page)
