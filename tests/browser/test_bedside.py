"""The bedside tablet driven with a keyboard-wedge scanner: wristband, bag, then the second clinician; PROCEED."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from batchtrack.config import Settings
from batchtrack.db import Database

from bedside_builders import at_clinic, bag_scan, wristband
from builders import PATIENT_FAMILY, UserHandle

pytestmark = pytest.mark.browser
SignIn = Callable[[Page, UserHandle], None]


def wedge(page: Page, text: str) -> None:
    """Type like a scanner into the field that has focus, then press Enter."""
    expect(page.locator(":focus")).to_have_count(1)
    page.keyboard.type(text)
    page.keyboard.press("Enter")


def test_the_bedside_check_with_a_scanner_alone(
    page: Page, live_server: str, database: Database, settings: Settings, sign_in: SignIn,
) -> None:
    lot, people = at_clinic(database, settings)
    sign_in(page, people.nurse)
    page.goto(f"{live_server}/bedside")
    expect(page.locator("#wristband")).to_be_focused()

    wedge(page, wristband(lot.coi))
    expect(page.locator("#recipient")).to_contain_text(PATIENT_FAMILY.upper())
    expect(page.locator("#bag")).to_be_focused()

    wedge(page, bag_scan(database, lot.bag_ids[0]))
    expect(page.locator("#bag-scanned")).to_contain_text(lot.din)
    expect(page.locator("#second")).to_be_focused()

    wedge(page, people.doctor.username)
    expect(page.locator("#second-password")).to_be_focused()
    wedge(page, people.doctor.password)

    verdict = page.locator("#verdict")
    expect(verdict).to_contain_text("PROCEED")
    expect(verdict).to_contain_text("identity confirmed by two clinicians")
    expect(page.get_by_role("heading", name="Record the infusion")).to_be_visible()
    expect(page.get_by_label("Second clinician's user name")).to_have_value(people.doctor.username)
