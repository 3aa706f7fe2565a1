"""A time entered in a Korean browser at the Seoul site: the form asks for the site's date and time in ISO order,
24-hour (not the browser's 오전/오후 picker), records it in UTC and shows it back in Seoul time with its zone."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from page_sign_in import sign_in_by_fields as _sign_in
from playwright.sync_api import Page, expect

from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.equipment import service as equipment_service
from batchtrack.models.base import utcnow
from batchtrack.models.user import Role

from builders import make_user

pytestmark = pytest.mark.browser


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The first site's settings: its times in Seoul."""
    settings.display_timezone = "Asia/Seoul"
    return settings




def test_a_time_entered_in_a_korean_browser_is_the_sites_time_recorded_in_utc(
    korean_page: Page, database: Database, settings: Settings
) -> None:
    page = korean_page
    _sign_in(page, make_user(database, Role.QA))
    page.goto("/equipment")
    expect(page.locator("html")).to_have_attribute("lang", "ko")
    due = page.locator("#calibration_due")
    expect(due).to_have_attribute("type", "text")
    expect(due).to_have_attribute("placeholder", "YYYY-MM-DD HH:MM")
    expect(page.locator("#calibration_due-hint")).to_have_text("YYYY-MM-DD HH:MM, 24시간제, KST")

    # What the browser lets through is what the server reads: a 12-hour or month-first time is stopped there.
    for refused in ("12/08/2026 2:30 PM", "2026-12-08 오후 2:30", "2026-12-08"):
        due.fill(refused)
        assert due.evaluate("(el) => el.validity.patternMismatch"), refused

    year = utcnow().year + 1
    page.locator("#code").fill("CC-SEOUL")
    page.locator("#kind").select_option("cell_counter")
    page.locator("#description").fill("자동 세포 계수기")
    due.fill(f"{year}-12-08 14:30")
    assert not due.evaluate("(el) => el.validity.patternMismatch")
    page.locator("#register button[type=submit]").click()

    expect(page.locator("#calibration-due")).to_have_text(f"{year}-12-08 14:30 KST")
    with database.transaction(write=False) as session:
        recorded = equipment_service.get_by_code(session=session, code="CC-SEOUL").calibration_due
    assert recorded == datetime(year, 12, 8, 5, 30, tzinfo=UTC)
