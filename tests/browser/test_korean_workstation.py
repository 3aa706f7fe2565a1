"""The processing workstation in Korean, for a browser that prefers Korean: the page reads in Korean, a step refused
by its gate says why in Korean (the reason code unchanged), and neither a phone nor a small tablet scrolls sideways."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from page_sign_in import sign_in_by_fields as sign_in
from playwright.sync_api import Browser, Page, expect

from batchtrack.config import Settings
from batchtrack.db import Database

from processing_builders import STATION, open_bench

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
SMALL_TABLET = {"width": 1024, "height": 768}


@pytest.fixture
def korean_page(browser: Browser, live_server: str) -> Iterator[Page]:
    """A page in a fresh context of a browser whose language is Korean (Accept-Language: ko-KR)."""
    context = browser.new_context(base_url=live_server, locale="ko-KR", viewport=SMALL_TABLET)
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()




def scrolls_sideways(page: Page) -> bool:
    """Whether the document is wider than the window (the reader would have to scroll sideways)."""
    return bool(page.evaluate("document.documentElement.scrollWidth > window.innerWidth"))


def test_the_workstation_reads_in_korean_and_a_refused_step_says_why_in_korean(
    korean_page: Page, database: Database, settings: Settings,
) -> None:
    page = korean_page
    bench = open_bench(database, settings)
    sign_in(page, bench.operator)
    page.goto(f"/processing/{STATION}")

    expect(page.locator("html")).to_have_attribute("lang", "ko")
    expect(page.get_by_role("heading", level=1)).to_contain_text("작업 스테이션")
    expect(page.get_by_role("heading", name="이 로트의 공정 단계")).to_be_visible()
    header = page.locator(".lot-header")
    expect(header).to_contain_text(bench.lot.din)
    expect(header).to_contain_text("제조 중")  # the lot's state, in process
    expect(header.get_by_role("link", name="제조기록서")).to_be_visible()
    plan = page.locator("table.plan")
    expect(plan.locator("thead")).to_contain_text("공정 단계")
    expect(plan.locator("thead")).to_contain_text("상태")
    expect(plan).to_contain_text("시작 전")  # a step not started
    expect(plan).not_to_contain_text("not started")

    # Passage 1 before the isolation is completed and verified: the gate refuses, in Korean, with its code.
    plan.locator("tr", has_text="(P1)").get_by_role("button", name="시작").click()
    verdict = page.locator("#verdict")
    expect(verdict).to_have_class(re.compile(r"\bverdict-stop\b"))
    expect(verdict).to_contain_text(f"로트 {bench.lot.din}의 계대 1 (P1)을(를) 시작할 수 없습니다")
    expect(verdict).to_contain_text("step.out_of_order")
    expect(verdict).to_contain_text(
        "계대 1 (P1) 전에 분리 및 P0 접종을(를) 완료하고 확인(2인 확인)받아야 합니다")
    expect(verdict).not_to_contain_text("must be completed")
    expect(verdict).not_to_contain_text("Isolation")

    for viewport in (PHONE, SMALL_TABLET):
        page.set_viewport_size(viewport)
        assert not scrolls_sideways(page), f"the refused step's page scrolls sideways at {viewport}"

    page.goto(f"/processing/{STATION}")  # the workstation as it first shows, with no verdict
    for viewport in (PHONE, SMALL_TABLET):
        page.set_viewport_size(viewport)
        assert not scrolls_sideways(page), f"the workstation scrolls sideways at {viewport}"


def test_the_running_step_reads_in_korean_on_a_phone(
    korean_page: Page, database: Database, settings: Settings,
) -> None:
    page = korean_page
    bench = open_bench(database, settings)
    sign_in(page, bench.operator)
    page.goto(f"/processing/{STATION}")
    page.locator("table.plan tr", has_text="분리 및 P0 접종").get_by_role("button", name="시작").click()

    verdict = page.locator("#verdict")
    expect(verdict).to_have_class(re.compile(r"\bverdict-ok\b"))
    expect(verdict).to_contain_text("분리 및 P0 접종을(를) 시작했습니다. 용기, 원자재, 장비를 스캔하십시오")
    running = page.locator(".step-running")
    expect(running).to_contain_text("진행 중")
    expect(running.get_by_label("용기, 새 용기의 라벨, 원자재 로트 또는 장비를 스캔하십시오")).to_be_focused()
    expect(running.get_by_role("button", name="완료하고 서명")).to_be_visible()
    # What completion still needs, each reason in Korean under its code.
    expect(running.locator("ul.reasons")).to_contain_text("step.values_missing")
    expect(running.locator("ul.reasons")).to_contain_text("아직 기록되지 않음")

    for viewport in (PHONE, SMALL_TABLET):
        page.set_viewport_size(viewport)
        assert not scrolls_sideways(page), f"the running step scrolls sideways at {viewport}"
