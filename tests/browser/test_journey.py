"""On a phone, the therapy's journey is reached from the therapy page and fits the screen, its charts drawn and
their figures in tables; the lot's timeline opens one stage at a time by its link, without script."""

from __future__ import annotations

import re

import pytest
from page_sign_in import sign_in_by_fields
from playwright.sync_api import Browser, expect

from batchtrack.config import Settings
from batchtrack.db import Database

from coi_report_builders import HANDOVERS, infused_therapy

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
_OVERFLOW = "() => document.documentElement.scrollWidth - window.innerWidth"


def test_the_journey_fits_a_phone_and_the_timeline_filters_by_stage(
    browser: Browser, live_server: str, database: Database, settings: Settings
) -> None:
    built = infused_therapy(database, settings)
    context = browser.new_context(base_url=live_server, viewport=PHONE, java_script_enabled=True)
    context.set_default_timeout(10_000)
    refusals: list[str] = []
    try:
        page = context.new_page()
        page.on("console", lambda message: refusals.append(message.text)
                if "Content Security Policy" in message.text else None)
        sign_in_by_fields(page, built.investigator)
        page.goto(f"/therapies/{built.coi}")
        page.locator("#journey-link").click()
        expect(page).to_have_url(re.compile(f"/therapies/{built.coi}/journey$"))
        expect(page.locator("#milestone-infusion")).to_have_class(re.compile(r"\bdone\b"))
        expect(page.locator("#milestone-receipt .limit")).to_contain_text("after collection")
        chart = page.locator("#temperature-chart")
        expect(chart).to_be_visible()
        assert (chart.bounding_box() or {"width": 999})["width"] <= PHONE["width"]
        expect(page.locator("#temperature-table tbody tr")).to_have_count(len(HANDOVERS) + 1)
        expect(page.locator("#growth-chart")).to_be_visible()
        assert page.evaluate(_OVERFLOW) <= 0

        page.goto(f"/lots/{built.din}")
        expect(page.locator("details.stage-group[open]")).to_have_count(0)
        page.locator("#stage-link-custody").click()
        expect(page).to_have_url(re.compile(r"\?stage=custody"))
        expect(page.locator("details.stage-group")).to_have_count(1)
        expect(page.locator("#stage-custody li").first).to_be_visible()
        assert page.evaluate(_OVERFLOW) <= 0
        assert not refusals, refusals
    finally:
        context.close()
