"""In a real browser: QA reads the training matrix and grants a qualification from it, on a phone as on a desktop;
the matrix scrolls inside its own box, so the page never scrolls sideways."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from batchtrack.db import Database
from batchtrack.models.user import Role
from batchtrack.qualifications import service as qualification_service

from builders import UserHandle, make_user, qualify

pytestmark = pytest.mark.browser

SignIn = Callable[[Page, UserHandle], None]
# Below this width (48rem, style.css) the menu folds into its button. Decided by the width asked for, not by asking
# whether the button shows: that snapshot raced the page's layout.
PHONE_MENU_BELOW = 768


@pytest.mark.parametrize("width", [390, 1280])
def test_qa_reads_the_matrix_and_grants_a_qualification(page: Page, database: Database, sign_in: SignIn,
                                                       width: int) -> None:
    qa, nurse = make_user(database, Role.QA), make_user(database, Role.NURSE, qualified=False)
    qualify(database, nurse.username, "CLIN-INFUSION", expires_on=qualification_service.today() + timedelta(days=7))
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, qa)
    if width < PHONE_MENU_BELOW:  # on a phone the menu is behind its button; wider, it is open without one
        page.locator("#menu > summary").click()
    page.get_by_role("link", name="Training").click()
    expect(page.get_by_role("heading", name="Training matrix")).to_be_visible()
    row = page.locator(f"#person-{nurse.username}")
    expect(row.locator('td[data-qualification="CLIN-INFUSION"]')).to_contain_text("expiring")
    expect(row.locator('td[data-qualification="CLIN-BEDSIDE"]')).to_have_text("needed")
    assert page.evaluate("document.documentElement.scrollWidth") <= width + 1

    page.locator("#grant-holder").select_option(nurse.username)
    page.locator("#grant-qualification").select_option("CLIN-BEDSIDE")
    page.get_by_label("Training record (course, assessment)").fill("bedside identity course, observed twice")
    user_id = page.locator("#grant-password-user-id")
    if user_id.count():
        user_id.fill(qa.username)
    page.locator("#grant-password").fill(qa.password)
    page.get_by_role("button", name="Sign and grant").click()
    expect(page.locator("#outcome")).to_contain_text(f"CLIN-BEDSIDE granted to {nurse.username} and signed")
    expect(page.locator(f"#person-{nurse.username} td[data-qualification=\"CLIN-BEDSIDE\"]")).not_to_have_text(
        "needed")
    assert page.evaluate("document.documentElement.scrollWidth") <= width + 1
