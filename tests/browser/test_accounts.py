"""An administrator deactivates a user in a real browser; the user's own browser, open elsewhere, is signed out at
its next page load."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Browser, Page, expect

from batchtrack.db import Database
from batchtrack.models.user import Role

from builders import UserHandle, make_user

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width", [390, 1024], ids=["phone", "tablet"])
def test_an_administrator_deactivates_a_user_whose_open_session_then_ends(
    page: Page, browser: Browser, live_server: str, database: Database,
    sign_in: Callable[[Page, UserHandle], None], width: int
) -> None:
    admin = make_user(database, Role.ADMIN)
    nurse = make_user(database, Role.NURSE)
    elsewhere = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900})
    try:
        nurse_page = elsewhere.new_page()
        sign_in(nurse_page, nurse)

        page.set_viewport_size({"width": width, "height": 900})
        sign_in(page, admin)
        page.get_by_role("link", name="Users").click()
        expect(page.get_by_role("heading", name="Users")).to_be_visible()
        page.get_by_role("link", name=nurse.username).click()
        expect(page.locator("#user-state")).to_have_text("active")
        expect(page.locator("#sessions tbody tr")).to_have_count(1)
        # Wide tables scroll within their box: the page itself never scrolls sideways.
        assert page.evaluate("document.documentElement.scrollWidth") <= width

        form = page.locator("#deactivate-form")
        form.get_by_label("Why").fill("left the ward on 30 November")
        user_id = form.get_by_label(re.compile("User ID"))
        if user_id.count():
            user_id.fill(admin.username)
        form.get_by_label(re.compile("Your password")).fill(admin.password)
        form.get_by_role("button", name="Sign and deactivate").click()
        expect(page.locator("#user-state")).to_have_text("deactivated")
        expect(page.locator("#reactivate-form")).to_be_visible()
        expect(page.get_by_text("No open session.")).to_be_visible()

        nurse_page.reload()
        expect(nurse_page).to_have_url(re.compile(r"/login"))
        expect(nurse_page.get_by_role("heading", name="Sign in")).to_be_visible()
    finally:
        elsewhere.close()
