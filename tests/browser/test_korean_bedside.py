"""A nurse's bedside check in Korean with a keyboard-wedge scanner: the recipient's name as written (Hangul) and
romanised, the largest text on the page; another recipient's bag refused with the Korean reason and both names side
by side; the right bag accepted; nothing wider than its box on a phone or a small laptop."""

from __future__ import annotations

import pytest
from page_sign_in import sign_in_by_fields as _sign_in
from playwright.sync_api import Page, expect

from batchtrack.config import Settings
from batchtrack.db import Database

from bedside_builders import HONG_GILDONG, KIM_SEOYEON, at_clinic, bag_scan, formulated_lot, name_recipient, wristband
from builders import PATIENT_DOB

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1024, "height": 768}
NAMES = ("#recipient-name", "#recipient-name-latin")

# Every element that holds text and has a box of its own, wider inside than that box (1 px of rounding allowed);
# a field's own scrolling (a long scan in its input), a box that scrolls sideways on purpose and text for screen
# readers only (clipped to one pixel) are not counted.
_OVERFLOWING = """() => {
  const found = [];
  if (document.documentElement.scrollWidth > window.innerWidth) {
    found.push(`the page: ${document.documentElement.scrollWidth} > ${window.innerWidth}`);
  }
  for (const el of document.querySelectorAll('body *')) {
    const style = getComputedStyle(el);
    if (el.clientWidth <= 1 || ['auto', 'scroll'].includes(style.overflowX) || !el.textContent.trim()) continue;
    if (el.scrollWidth > el.clientWidth + 1) {
      found.push(`${el.tagName.toLowerCase()}#${el.id}.${el.className}: ${el.scrollWidth} > ${el.clientWidth}`);
    }
  }
  return found;
}"""

# The font size of the element named, and the largest of any other element showing text of its own.
_SIZES = """(selector) => {
  const named = document.querySelector(selector);
  let largest = 0, where = '';
  for (const el of document.querySelectorAll('body *')) {
    if (named.contains(el) || !el.getClientRects().length) continue;
    if (![...el.childNodes].some((n) => n.nodeType === Node.TEXT_NODE && n.textContent.trim())) continue;
    const size = parseFloat(getComputedStyle(el).fontSize);
    if (size > largest) { largest = size; where = `${el.tagName.toLowerCase()}#${el.id}.${el.className}`; }
  }
  return {named: parseFloat(getComputedStyle(named).fontSize), largest, where};
}"""





def wedge(page: Page, text: str) -> None:
    """Type like a scanner into the field that has focus, then press Enter."""
    expect(page.locator(":focus")).to_have_count(1)
    page.keyboard.type(text)
    page.keyboard.press("Enter")


def _fits_on_a_phone_and_a_laptop(page: Page, *, names: bool = True) -> None:
    """Nothing overflows at either size; the names are not clipped and the name as written is the largest text."""
    for size in (PHONE, LAPTOP):
        page.set_viewport_size(size)
        where = f"at {size['width']}x{size['height']}"
        overflowing = page.evaluate(_OVERFLOWING)
        assert overflowing == [], f"{where}: {overflowing}"
        if not names:
            continue
        for name in NAMES:
            clipped = page.locator(name).evaluate("(el) => el.scrollWidth > el.clientWidth")
            assert not clipped, f"{name} {where}"
        sizes = page.evaluate(_SIZES, "#recipient-name")
        assert sizes["named"] > sizes["largest"], f"{sizes} {where}"


def test_a_nurses_bedside_check_in_korean_with_a_recipient_named_in_hangul(
    korean_page: Page, database: Database, settings: Settings
) -> None:
    lot, people = at_clinic(database, settings)
    name_recipient(database, lot.coi, HONG_GILDONG)
    # Another recipient's lot, its bags labelled: one of them is the wrong bag.
    other = formulated_lot(database, settings, subject="S-002", stock=lot.bench.stock)
    name_recipient(database, other.coi, KIM_SEOYEON)
    page = korean_page
    _sign_in(page, people.nurse)
    page.goto("/bedside")
    expect(page.locator("html")).to_have_attribute("lang", "ko")
    expect(page.get_by_role("heading", name="투여 전 병상 신원 확인")).to_be_visible()
    expect(page.locator("#wristband")).to_be_focused()

    wedge(page, wristband(lot.coi))
    expect(page.locator("#recipient-name")).to_have_text("홍길동")
    expect(page.locator("#recipient-name")).to_have_attribute("lang", "ko")
    expect(page.locator("#recipient-name-latin")).to_have_text("HONG, Gildong")
    expect(page.locator("#recipient")).to_contain_text(f"생년월일 {PATIENT_DOB.isoformat()}")
    expect(page.locator("#bag")).to_be_focused()
    _fits_on_a_phone_and_a_laptop(page)

    wedge(page, bag_scan(database, other.bag_ids[0]))  # the wrong bag: another recipient's
    verdict = page.locator("#preview")
    expect(verdict).to_contain_text("이 백을 투여하지 마십시오")
    expect(verdict).to_contain_text("bedside.wrong_recipient")
    expect(verdict).to_contain_text("이 제품은 이 환자의 것이 아닙니다")
    expect(page.locator("#comparison-recipient .compare-wristband")).to_contain_text("홍길동")
    expect(page.locator("#comparison-recipient .compare-label")).to_contain_text("김서연")
    expect(page.locator("#comparison-recipient .compare-label")).to_contain_text("KIM, Seoyeon")
    expect(page.locator("#comparison-recipient .compare-mark")).to_have_text("✖ 불일치")
    expect(page.locator("#second")).to_be_focused()
    _fits_on_a_phone_and_a_laptop(page)

    page.goto("/bedside")
    wedge(page, wristband(lot.coi))
    wedge(page, bag_scan(database, lot.bag_ids[0]))
    expect(page.locator("#comparison-recipient .compare-label")).to_contain_text("홍길동")
    expect(page.locator("#comparison-recipient .compare-label")).to_contain_text("HONG, Gildong")
    expect(page.locator("#comparison .compare-mark")).to_have_text(["✔ 일치"] * 7)
    expect(page.locator("#second")).to_be_focused()
    _fits_on_a_phone_and_a_laptop(page)
    wedge(page, people.doctor.username)
    wedge(page, people.doctor.password)

    verdict = page.locator("#verdict")
    expect(verdict).to_contain_text("두 의료진이 신원을 확인했습니다")
    expect(page.locator("#recipient-name")).to_have_text("홍길동")
    expect(page.locator("#recipient-name-latin")).to_have_text("HONG, Gildong")
    expect(page.get_by_role("heading", name="투여 기록", exact=True)).to_be_visible()
    _fits_on_a_phone_and_a_laptop(page)
