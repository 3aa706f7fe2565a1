"""QA's release page in Korean, in a real browser: a lot whose record QA has not reviewed is not releasable, with the
Korean reason on the checklist; a release sent anyway is refused with that reason in Korean and the lot stays in QC;
once QA signs the record review the lot is released. Nothing is wider than the window on a phone or a small
laptop."""

from __future__ import annotations

import pytest
from page_sign_in import sign_in_by_fields as _sign_in
from playwright.sync_api import Page, expect

from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.lots import service as lot_service

from builders import UserHandle
from release_builders import ready_lot

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1024, "height": 768}

NOT_RELEASABLE = "출하 승인 불가: 충족되지 않은 조건 1개."
REVIEW_CONDITION = "품질보증(QA)이 로트 기록의 기록 검토에 서명했고 그 후 기록된 예외가 없습니다"
REVIEW_MISSING = "품질보증(QA)이 로트 기록의 기록 검토에 서명하지 않았습니다"



def _state(database: Database, din: str) -> str:
    with database.transaction(write=False) as session:
        return lot_service.get_by_din(session=session, din=din).state




def _fill_signature(page: Page, field: str, user: UserHandle) -> None:
    """The signer's credentials: the user ID where the form asks for it (the first signature of a session)."""
    user_id = page.locator(f"#{field}-user-id")
    if user_id.count():
        user_id.fill(user.username)
    page.locator(f"#{field}").fill(user.password)


def _fits_on_a_phone_and_a_laptop(page: Page) -> None:
    """The page never scrolls sideways, on a phone or on a small laptop."""
    for size in (PHONE, LAPTOP):
        page.set_viewport_size(size)
        widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert widths[0] <= widths[1], f"{page.url} at {size['width']}x{size['height']}: {widths[0]} > {widths[1]}"


def test_qa_reads_the_release_refused_in_korean_then_signs_the_review_and_releases(
    korean_page: Page, database: Database, settings: Settings
) -> None:
    page = korean_page
    lot = ready_lot(database, settings, reviewed=False)
    _sign_in(page, lot.qa)

    page.goto(f"/lots/{lot.din}/release")
    expect(page.locator("html")).to_have_attribute("lang", "ko")
    expect(page.locator("h1")).to_contain_text("출하 승인: 로트")
    expect(page.locator("#release-verdict")).to_have_text(NOT_RELEASABLE)
    unmet = page.locator("#checklist li.check-unmet")
    expect(unmet).to_have_count(1)
    expect(unmet).to_contain_text("미충족:")
    expect(unmet).to_contain_text(REVIEW_CONDITION)
    expect(unmet).to_contain_text(REVIEW_MISSING)
    expect(unmet).to_contain_text("release.record_review_missing")
    expect(page.locator("#do-release")).to_have_text("서명하고 출하 승인")
    expect(page.locator("#do-release")).to_be_disabled()
    _fits_on_a_phone_and_a_laptop(page)

    # A release sent anyway (a page left open, a forged form) meets the server's refusal, in Korean.
    page.locator("#do-release").evaluate("button => button.disabled = false")
    _fill_signature(page, "release-password", lot.qa)
    page.locator("#do-release").click()
    main = page.locator("main")
    expect(main).to_contain_text(f"로트 {lot.din}은(는) 출하 승인할 수 없습니다. 충족되지 않은 조건 1개")
    expect(main).to_contain_text(REVIEW_MISSING)
    expect(main).to_contain_text("release.record_review_missing")
    _fits_on_a_phone_and_a_laptop(page)
    assert _state(database, lot.din) == "in_qc"

    page.goto(f"/lots/{lot.din}/record-review")
    _fill_signature(page, "review-password", lot.qa)
    page.locator("#do-review").click()
    expect(page.locator("#reviews")).to_contain_text(lot.qa.principal.full_name)

    page.goto(f"/lots/{lot.din}/release")
    expect(page.locator("#release-verdict")).to_have_text("출하 승인의 모든 조건이 충족되었습니다.")
    expect(page.locator("#checklist li.check-unmet")).to_have_count(0)
    _fits_on_a_phone_and_a_laptop(page)
    _fill_signature(page, "release-password", lot.qa)
    page.locator("#do-release").click()
    expect(page.locator("#decision")).to_contain_text("품질보증(QA) 결정: 출하 승인")
    expect(page.locator("#decision")).to_contain_text(lot.qa.principal.full_name)
    _fits_on_a_phone_and_a_laptop(page)
    assert _state(database, lot.din) == "released"
