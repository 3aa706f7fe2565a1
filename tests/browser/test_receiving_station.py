"""The receiving station driven with a keyboard-wedge scanner alone: the bags expected are listed, a scan of a bag's
label picks it from the list, and the bag's scan at the end records its receipt."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.models.user import Role

from builders import UserHandle, bag_scan, collected_bag, enrol_eligible, make_user

pytestmark = pytest.mark.browser
SignIn = Callable[[Page, UserHandle], None]


def wedge(page: Page, text: str) -> None:
    """Type like a scanner into the field that has focus, then press Enter."""
    expect(page.locator(":focus")).to_have_count(1)
    page.keyboard.type(text)
    page.keyboard.press("Enter")


def test_a_bag_is_picked_from_those_expected_by_scanning_it_then_received(
    page: Page, live_server: str, database: Database, settings: Settings, sign_in: SignIn,
) -> None:
    clinician = make_user(database, Role.INVESTIGATOR, Role.COLLECTOR)
    first = collected_bag(database, settings, clinician, enrol_eligible(database, settings, clinician))
    second = collected_bag(database, settings, clinician,
                           enrol_eligible(database, settings, clinician, subject="S-002", mrn="MRN-S-002"))
    sign_in(page, make_user(database, Role.OPERATOR))
    page.goto(f"{live_server}/receiving")
    bags = page.locator("#expected-bags")
    expect(bags).to_contain_text("S-001")
    expect(bags).to_contain_text("S-002")
    expect(page.locator("#expected")).to_be_focused()

    wedge(page, bag_scan(second))
    expect(page.locator(f"#bag-{second}")).to_have_attribute("aria-current", "true")
    expect(page.locator("#expected_din")).to_have_value(second)
    expect(page.locator("#temperature_c")).to_be_focused()

    page.keyboard.type("19.5")
    for item in ("bag_intact", "seal_intact", "label_legible", "no_clots"):
        page.check(f"#check-{item}")
    page.check("input[name=decision][value=accept]")
    page.focus("#scan")
    wedge(page, bag_scan(second))
    expect(page.locator("#verdict")).to_contain_text("ACCEPTED")
    expect(page.locator(f"#bag-{second}")).to_have_count(0)
    expect(page.locator(f"#bag-{first}")).to_be_visible()


def test_a_bag_is_picked_from_the_list_with_the_mouse(
    page: Page, live_server: str, database: Database, settings: Settings, sign_in: SignIn,
) -> None:
    clinician = make_user(database, Role.INVESTIGATOR, Role.COLLECTOR)
    din = collected_bag(database, settings, clinician, enrol_eligible(database, settings, clinician))
    sign_in(page, make_user(database, Role.QA))
    page.goto(f"{live_server}/receiving")
    page.get_by_role("link", name=f"Receive bag {din}").click()
    expect(page.locator("#expected_din")).to_have_value(din)
    expect(page.locator(f"#bag-{din}")).to_contain_text("picked")
