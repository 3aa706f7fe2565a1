"""The processing workstation driven with a keyboard-wedge scanner alone: open the lot by scanning its bag,
start a step, scan vessels, materials and instruments; a vessel of another lot is a red STOP."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from batchtrack.config import Settings
from batchtrack.db import Database

from builders import UserHandle
from processing_builders import INSTRUMENTS, bag_scan, open_bench, register_cabinet

pytestmark = pytest.mark.browser
SignIn = Callable[[Page, UserHandle], None]


def wedge(page: Page, text: str) -> None:
    """Type like a scanner into the field that has focus, then press Enter."""
    expect(page.locator(":focus")).to_have_count(1)
    page.keyboard.type(text)
    page.keyboard.press("Enter")


def test_a_step_at_the_workstation_with_a_scanner_alone(
    page: Page, live_server: str, database: Database, settings: Settings, sign_in: SignIn,
) -> None:
    bench = open_bench(database, settings, station="BSC-9")  # lot A open at another workstation
    other = open_bench(database, settings, subject="S-002", station="BSC-8", with_stock=False)
    register_cabinet(database, "BSC-7")  # lots are opened only at a cabinet of the equipment register
    sign_in(page, bench.operator)
    page.goto(f"{live_server}/processing/BSC-7")
    expect(page.locator("#raw")).to_be_focused()
    wedge(page, bag_scan(bench.lot.din))
    expect(page.locator("#verdict")).to_contain_text("PROCEED")
    expect(page.locator("#verdict")).to_contain_text(bench.lot.din)

    page.get_by_role("row", name="Isolation").get_by_role("button", name="Start").click()
    expect(page.locator("#verdict")).to_contain_text("Isolation and P0 seeding started")
    expect(page.locator("#raw")).to_be_focused()

    wedge(page, bag_scan(other.lot.din))
    verdict = page.locator("#verdict")
    expect(verdict).to_contain_text("STOP")
    expect(verdict).to_contain_text(bench.lot.din)
    expect(verdict).to_contain_text(other.lot.din)
    expect(page.locator("#raw")).to_be_focused()

    wedge(page, bag_scan(bench.lot.din))
    expect(page.locator("#verdict")).to_contain_text("PROCEED")
    wedge(page, bench.stock["medium"])
    expect(page.locator("#verdict")).to_contain_text("medium")
    wedge(page, INSTRUMENTS["incubator"])
    expect(page.locator("#verdict")).to_contain_text("incubator")
    expect(page.locator(".step-running")).to_contain_text(bench.stock["medium"])

    page.get_by_label("Viability (%)").fill("95")
    page.get_by_role("button", name="Record values").click()
    expect(page.locator("#verdict")).to_contain_text("1 value(s) recorded")
    page.get_by_label("User ID").fill(bench.operator.username)  # the first signature of the session
    page.get_by_label("Your password").fill(bench.operator.password)
    page.get_by_role("button", name="Complete and sign").click()
    expect(page.locator("#verdict")).to_contain_text("STOP")
    expect(page.locator("#verdict")).to_contain_text("step.values_missing")
