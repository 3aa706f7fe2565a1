"""In a real browser: a release without QA's record review is refused with that reason on the release page; QA
signs the lot's record review, then releases the lot. On a phone as on a desktop."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.lots import service as lot_service

from builders import UserHandle
from release_builders import ready_lot

pytestmark = pytest.mark.browser

SignIn = Callable[[Page, UserHandle], None]


def _state(database: Database, din: str) -> str:
    with database.transaction(write=False) as session:
        return lot_service.get_by_din(session=session, din=din).state


def _fill_signature(page: Page, field: str, user: UserHandle) -> None:
    """The signer's credentials: the user ID where the form asks for it (the first signature of a session)."""
    user_id = page.locator(f"#{field}-user-id")
    if user_id.count():
        user_id.fill(user.username)
    page.locator(f"#{field}").fill(user.password)


@pytest.mark.parametrize("width", [390, 1280])
def test_qa_signs_the_record_review_and_then_releases_the_lot(
    page: Page, database: Database, settings: Settings, sign_in: SignIn, width: int
) -> None:
    lot = ready_lot(database, settings, reviewed=False)
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, lot.qa)

    page.goto(f"/lots/{lot.din}/release")
    expect(page.locator("#release-verdict")).to_have_text("Not releasable: 1 unmet condition.")
    unmet = page.locator("#checklist li.check-unmet")
    expect(unmet).to_have_count(1)
    expect(unmet).to_contain_text("QA signed the review of the lot's record")
    expect(unmet).to_contain_text("release.record_review_missing")
    expect(page.locator("#do-release")).to_be_disabled()

    page.locator("#record-review-link").click()
    expect(page).to_have_url(re.compile(f"/lots/{lot.din}/record-review$"))
    expect(page.locator("#review-verdict")).to_contain_text("Not reviewed")
    page.get_by_label("Comment (optional)").fill("every exception read; none needs action")
    _fill_signature(page, "review-password", lot.qa)
    page.get_by_role("button", name="Sign the record review").click()
    expect(page.locator("#review-verdict")).to_contain_text("Reviewed through entry")
    expect(page.locator("#reviews")).to_contain_text(f"signed by {lot.qa.principal.full_name}")
    assert page.evaluate("document.documentElement.scrollWidth") <= width + 1

    page.locator("#release-link").click()
    expect(page.locator("#release-verdict")).to_have_text("Every condition of a release is met.")
    _fill_signature(page, "release-password", lot.qa)
    page.locator("#do-release").click()
    expect(page.locator("#decision")).to_contain_text("QA decision: released")
    assert _state(database, lot.din) == "released"


def test_a_release_without_the_review_is_refused_with_that_reason_shown(
    page: Page, database: Database, settings: Settings, sign_in: SignIn
) -> None:
    lot = ready_lot(database, settings, reviewed=False)
    sign_in(page, lot.qa)
    page.goto(f"/lots/{lot.din}/release")
    # The button is disabled; a form sent anyway (a page left open, a forged request) meets the server's refusal.
    page.locator("#do-release").evaluate("button => button.disabled = false")
    _fill_signature(page, "release-password", lot.qa)
    page.locator("#do-release").click()
    expect(page.locator("main")).to_contain_text("release.record_review_missing")
    expect(page.locator("main")).to_contain_text("QA has not signed a review of the lot's record")
    assert _state(database, lot.din) == "in_qc"


def test_the_audit_trail_page_reads_on_a_phone_and_pages_back_by_seq(
    page: Page, database: Database, settings: Settings, sign_in: SignIn
) -> None:
    lot = ready_lot(database, settings)
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, lot.qa)
    page.goto("/audit")
    page.get_by_label("Lot (DIN)").fill(lot.din)
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(f"lot={lot.din}"))
    rows = page.locator("#audit-entries tbody tr")
    expect(rows).to_have_count(50)
    newest = int(rows.first.locator("td").first.inner_text())
    page.locator("#audit-older").click()
    expect(page).to_have_url(re.compile(r"before_seq="))
    expect(page.locator("#audit-newer")).to_be_visible()
    assert int(page.locator("#audit-entries tbody tr").first.locator("td").first.inner_text()) < newest
    # The table scrolls inside its frame; the page itself never scrolls sideways.
    assert page.evaluate("document.documentElement.scrollWidth") <= 391
