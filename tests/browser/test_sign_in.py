"""Signing in and out in a real browser, with the mouse and with the keyboard alone."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.identifiers import checkchar
from batchtrack.identifiers import din as din_id
from batchtrack.models.user import Role

from builders import UserHandle, make_user, seed_lot

pytestmark = pytest.mark.browser

MAX_TABS = 15


def test_visitor_signs_in_and_sees_the_newest_lots(
    page: Page, database: Database, settings: Settings
) -> None:
    lot = seed_lot(database, settings)
    operator = make_user(database, Role.OPERATOR)

    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login\?next=/$"))
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()

    page.get_by_label("User name").fill(operator.username)
    page.get_by_label("Password").fill(operator.password + "-wrong")
    with page.expect_response(lambda r: r.request.method == "POST") as refused:
        page.get_by_role("button", name="Sign in").click()
    assert refused.value.status == 401
    expect(page.get_by_role("alert")).to_have_text("Unknown user name or wrong password.")
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    # The refused name stays filled in; the password does not.
    expect(page.get_by_label("User name")).to_have_value(operator.username)
    expect(page.get_by_label("Password")).to_have_value("")

    page.get_by_label("Password").fill(operator.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    # The stylesheet loads under the strict content security policy: the header has its dark band.
    expect(page.locator("header.top")).to_have_css("background-color", "rgb(18, 38, 58)")
    expect(page.locator("header .who")).to_contain_text(operator.principal.full_name)
    lots = page.locator("#lots")
    eye_readable = din_id.eye_readable(din_id.parse(lot.din))
    expect(lots.get_by_role("link", name=eye_readable, exact=True)).to_be_visible()
    expect(lots.get_by_role("link", name=lot.coi, exact=True)).to_be_visible()


def test_keyboard_alone_signs_in_and_finds_a_scanned_lot(
    page: Page, database: Database, settings: Settings
) -> None:
    lot = seed_lot(database, settings)
    operator = make_user(database, Role.OPERATOR)

    page.goto("/login")
    expect(page.locator("#username")).to_be_focused()  # the form is ready to type into
    page.keyboard.type(operator.username)
    page.keyboard.press("Tab")
    page.keyboard.type(operator.password)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()

    search = page.get_by_label("Subject code, DIN, COI, container or name")
    for _ in range(MAX_TABS):
        if search.evaluate("field => field === document.activeElement"):
            break
        page.keyboard.press("Tab")
    expect(search).to_be_focused()

    # A keyboard-wedge scanner types the DIN with its check character, then Enter.
    page.keyboard.type(lot.din + checkchar.check_character(lot.din))
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(f"/lots/{lot.din}$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(lot.din)
    expect(page.locator("#lot-state")).to_have_text("in process")


def test_sign_out_returns_to_the_sign_in_page_for_good(
    page: Page, database: Database, sign_in: Callable[[Page, UserHandle], None]
) -> None:
    qa = make_user(database, Role.QA)
    sign_in(page, qa)

    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)

    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login\?next=/$"))
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    # On a shared station, going back through the history must not show the signed-in dashboard again.
    page.go_back()
    page.go_back()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(page.get_by_role("heading", name="Dashboard")).to_have_count(0)
