"""Signing in with a browser that prefers Korean: the sign-in page, its refusal and the dashboard in Korean, the
switch to English and back, and no text wider than its box on a phone or a small laptop."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from batchtrack.db import Database
from batchtrack.models.user import Role

from builders import make_user

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1024, "height": 768}
REFUSED = "알 수 없는 사용자 이름이거나 비밀번호가 틀렸습니다."

# Every element that holds text and has a box of its own, wider inside than that box (1 px of rounding allowed);
# an element that scrolls sideways on purpose (a wide table's wrapper) or is read only by screen readers (clipped to
# a pixel on purpose) is not counted.
_OVERFLOWING = """() => {
  const found = [];
  if (document.documentElement.scrollWidth > window.innerWidth) {
    found.push(`the page: ${document.documentElement.scrollWidth} > ${window.innerWidth}`);
  }
  for (const el of document.querySelectorAll('body *')) {
    const style = getComputedStyle(el);
    if (el.clientWidth === 0 || ['auto', 'scroll'].includes(style.overflowX) || !el.textContent.trim()
        || el.closest('.visually-hidden')) continue;
    if (el.scrollWidth > el.clientWidth + 1) {
      found.push(`${el.tagName.toLowerCase()}#${el.id}.${el.className}: ${el.scrollWidth} > ${el.clientWidth}`);
    }
  }
  return found;
}"""



def _nothing_overflows(page: Page) -> None:
    for size in (PHONE, LAPTOP):
        page.set_viewport_size(size)
        assert page.evaluate(_OVERFLOWING) == [], f"at {size['width']}x{size['height']}"


def test_sign_in_in_korean_refuses_a_wrong_password_in_korean_and_lands_on_the_korean_dashboard(
    korean_page: Page, database: Database
) -> None:
    page = korean_page
    qa = make_user(database, Role.QA)

    page.goto("/login")
    expect(page.locator("html")).to_have_attribute("lang", "ko")
    expect(page.get_by_role("heading", name="로그인")).to_be_visible()
    expect(page.get_by_text("Sign in")).to_have_count(0)
    _nothing_overflows(page)

    page.get_by_label("사용자 이름").fill(qa.username)
    page.get_by_label("비밀번호").fill(qa.password + "-wrong")
    with page.expect_response(lambda r: r.request.method == "POST") as refused:
        page.get_by_role("button", name="로그인").click()
    assert refused.value.status == 401
    expect(page.get_by_role("alert")).to_have_text(REFUSED)
    expect(page.get_by_label("사용자 이름")).to_have_value(qa.username)
    _nothing_overflows(page)

    page.get_by_label("비밀번호").fill(qa.password)
    page.get_by_role("button", name="로그인").click()
    expect(page.get_by_role("heading", name="대시보드", exact=True)).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "ko")
    expect(page.get_by_role("heading", name="상태별 로트")).to_be_visible()
    expect(page.locator("#lockouts")).to_contain_text("잠긴 계정이 없습니다.")
    expect(page.get_by_role("button", name="로그아웃")).to_be_visible()
    _nothing_overflows(page)


def test_the_language_switch_turns_the_dashboard_into_english_and_back(
    korean_page: Page, database: Database
) -> None:
    page = korean_page
    qa = make_user(database, Role.QA)
    page.goto("/login")
    page.get_by_label("사용자 이름").fill(qa.username)
    page.get_by_label("비밀번호").fill(qa.password)
    page.get_by_role("button", name="로그인").click()
    expect(page.get_by_role("heading", name="대시보드", exact=True)).to_be_visible()

    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", name="Dashboard", exact=True)).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#lockouts")).to_contain_text("No account has been locked out.")
    _nothing_overflows(page)

    page.get_by_role("button", name="한국어").click()
    expect(page.get_by_role("heading", name="대시보드", exact=True)).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "ko")
    expect(page.get_by_role("button", name="English")).to_be_visible()
