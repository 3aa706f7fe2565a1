"""A STOP at the scan station cannot be missed or scanned past: driven as a keyboard-wedge scanner drives it
(characters typed into the focused field, then Enter), the STOP survives the next scan's Enter, sounds its cue again,
and clears only when a person presses the acknowledgement; PROCEED has a cue of its own. With JavaScript the scan is
sent in place (the page is never reloaded, so the keypress lets the cue sound); without it, the plain forms do the
same."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from page_sign_in import sign_in_by_fields
from playwright.sync_api import Browser, Page, expect

from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.models.user import Role

from builders import UserHandle, bag_scan, make_user, seed_lot

pytestmark = pytest.mark.browser


def wedge(page: Page, text: str) -> None:
    """Type like a scanner into whatever has focus, then press Enter."""
    expect(page.locator(":focus")).to_have_count(1)  # a scanner types into the field that has focus
    page.keyboard.type(text)
    page.keyboard.press("Enter")


@pytest.fixture
def page_without_javascript(browser: Browser, live_server: str) -> Iterator[Page]:
    """A page in a fresh browser context with JavaScript turned off."""
    context = browser.new_context(base_url=live_server, java_script_enabled=False,
                                  viewport={"width": 1280, "height": 900})
    yield context.new_page()
    context.close()


def _two_lots(database: Database, settings: Settings) -> tuple[str, str, UserHandle]:
    lot_a = seed_lot(database, settings, subject="S-A", mrn="MRN-A")
    lot_b = seed_lot(database, settings, subject="S-B", mrn="MRN-B")
    return lot_a.din, lot_b.din, make_user(database, Role.OPERATOR)


def test_a_stop_survives_the_next_scans_enter_sounds_again_and_clears_only_when_acknowledged(
    page: Page, database: Database, settings: Settings,
) -> None:
    expected, other, operator = _two_lots(database, settings)
    sign_in_by_fields(page, operator)
    page.goto(f"/station?station=BSC-3&lot={expected}&kind=aspirate_bag")
    page.evaluate("window.stationPageNeverReloaded = true")
    station, verdict = page.locator(".station"), page.locator("#verdict")

    wedge(page, bag_scan(other))
    expect(verdict).to_contain_text("STOP")
    expect(verdict.locator(".reason-text").first).to_contain_text(f"belongs to lot {other}")
    expect(verdict.locator(".reason-code").first).to_have_text("scan.wrong_lot")
    expect(station).to_have_attribute("data-cue", "stop")
    expect(station).to_have_attribute("data-cue-count", "1")
    expect(station).to_have_attribute("data-audio", "running")  # the keypress let the cue sound
    expect(page.locator("#raw")).to_be_focused()

    wedge(page, bag_scan(expected))  # the right bag, before anyone acknowledged the STOP: not taken
    expect(page.locator("#not-taken")).to_be_visible()
    expect(verdict).to_contain_text("STOP")
    expect(verdict).to_contain_text(other)
    expect(page.get_by_text("PROCEED")).to_have_count(0)
    expect(station).to_have_attribute("data-cue", "stop")
    expect(station).to_have_attribute("data-cue-count", "2")
    expect(page.locator("#raw")).to_be_focused()

    page.get_by_role("button", name="I have read this STOP: acknowledge").click()
    expect(page.locator("#acknowledged")).to_contain_text(f"STOP acknowledged by {operator.principal.full_name}")
    expect(page.locator("#verdict")).to_have_count(0)
    expect(page.locator("#raw")).to_be_focused()

    wedge(page, bag_scan(expected))
    expect(verdict).to_contain_text("PROCEED")
    expect(station).to_have_attribute("data-cue", "proceed")
    assert page.evaluate("window.stationPageNeverReloaded") is True


def test_without_javascript_the_stop_also_stays_until_acknowledged(
    page_without_javascript: Page, database: Database, settings: Settings,
) -> None:
    page = page_without_javascript
    expected, other, operator = _two_lots(database, settings)
    sign_in_by_fields(page, operator)
    page.goto(f"/station?station=BSC-4&lot={expected}&kind=aspirate_bag")
    verdict = page.locator("#verdict")
    expect(page.locator("#raw")).to_be_focused()

    wedge(page, bag_scan(other))
    expect(verdict).to_contain_text("STOP")
    expect(page.locator("#raw")).to_be_focused()
    wedge(page, bag_scan(expected))
    expect(page.locator("#not-taken")).to_be_visible()
    expect(verdict).to_contain_text("scan.wrong_lot")
    page.reload()  # a reload does not clear it either
    expect(verdict).to_contain_text("scan.wrong_lot")

    page.get_by_role("button", name="I have read this STOP: acknowledge").click()
    expect(page.locator("#acknowledged")).to_contain_text(operator.principal.full_name)
    expect(page.locator("#raw")).to_be_focused()
    wedge(page, bag_scan(expected))
    expect(verdict).to_contain_text("PROCEED")


def test_a_scan_where_nothing_is_expected_is_identified_with_its_own_cue_never_proceed(
    page: Page, database: Database, settings: Settings,
) -> None:
    lot = seed_lot(database, settings)
    sign_in_by_fields(page, make_user(database, Role.OPERATOR))
    page.goto("/station?station=DESK-2")
    expect(page.locator(".expect")).to_contain_text("never approved")
    wedge(page, bag_scan(lot.din))
    verdict = page.locator("#verdict")
    expect(verdict).to_contain_text("IDENTIFIED")
    expect(verdict).to_contain_text(f"of lot {lot.din}, in process")
    expect(verdict).not_to_contain_text("PROCEED")
    expect(page.locator(".station")).to_have_attribute("data-cue", "identified")
