"""Each role opens on its own work in a real browser and does its first item from there: QA opens the deviation
holding a lot, the QC analyst (in Korean) reaches the lot's QC bench, the courier the bag's collection page. The list
is no wider than a phone's window."""

from __future__ import annotations

import pytest
from page_sign_in import sign_in_by_fields as _sign_in
from playwright.sync_api import Page, expect

from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.models.user import Role

from builders import collected_bag, enrol_eligible, make_user
from deviation_builders import open_deviation
from quality_builders import enter, lot_in_qc

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def test_qa_sees_the_open_deviation_and_opens_it_from_the_list(
        page: Page, database: Database, settings: Settings) -> None:
    qc = lot_in_qc(database, settings)
    number = open_deviation(database, qc.din, qc.analyst)
    _sign_in(page, qc.qa)
    deviations = page.locator("#work-deviation_open")
    expect(deviations.get_by_role("heading")).to_have_text("Open deviations (1)")
    expect(page.locator("#work-release_awaiting")).to_contain_text("1 deviation(s) still open")
    page.set_viewport_size(PHONE)
    assert page.locator("#my-work").evaluate("e => e.scrollWidth <= e.clientWidth")
    assert page.locator("#my-work").evaluate("e => e.getBoundingClientRect().right") <= PHONE["width"]
    page.set_viewport_size({"width": 1280, "height": 900})
    deviations.get_by_role("link", name=f"Deviation {number} on lot {qc.din}").click()
    expect(page).to_have_url(f"{page.url.split('/deviations')[0]}/deviations/{number}")
    expect(page.get_by_role("heading", level=1)).to_contain_text(number)


def test_the_qc_analyst_reads_the_sterility_due_in_korean_and_reaches_the_bench(
        korean_page: Page, database: Database, settings: Settings) -> None:
    page = korean_page
    qc = lot_in_qc(database, settings)
    enter(database, qc, "sterility", text="no growth", status="preliminary", day=7)
    _sign_in(page, qc.analyst)
    due = page.locator("#work-qc_results_due")
    expect(due).to_contain_text("기록할 QC 결과")
    expect(due).to_contain_text("7일차 예비 결과, 최종 결과 기한")
    expect(due).to_contain_text("남음")
    due.get_by_role("link", name=f"로트 {qc.din}").click()
    expect(page).to_have_url(f"{page.url.split('/lots')[0]}/lots/{qc.din}/qc")


def test_the_courier_on_a_phone_sees_the_bag_and_its_receipt_window(
        page: Page, database: Database, settings: Settings) -> None:
    clinician = make_user(database, Role.INVESTIGATOR, Role.COLLECTOR)
    coi = enrol_eligible(database, settings, clinician)
    din = collected_bag(database, settings, clinician, coi)
    courier = make_user(database, Role.COURIER)
    page.set_viewport_size(PHONE)
    _sign_in(page, courier)
    bags = page.locator("#work-bag_in_transit")
    expect(bags).to_contain_text("left)")
    work_width = page.locator("#my-work").evaluate("e => e.scrollWidth")
    assert work_width <= PHONE["width"]
    bags.get_by_role("link", name=f"Hand over aspirate bag {din}").click()
    expect(page).to_have_url(f"{page.url.split('/collections')[0]}/collections/{din}")
