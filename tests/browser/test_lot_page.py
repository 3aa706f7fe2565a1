"""The lot page in a real browser: steps that are applied, steps that are refused, and forged forms."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect

from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.identifiers import din as din_id
from batchtrack.lots import service as lot_service
from batchtrack.models.user import Role

from builders import UserHandle, make_user, seed_lot

pytestmark = pytest.mark.browser

SignIn = Callable[[Page, UserHandle], None]
SCREENSHOT = Path("/tmp/batchtrack-lot-page.png")


def console_problem(message: ConsoleMessage) -> list[str]:
    """A console error (a resource blocked by the security policy, a script failing), as a list of 0 or 1."""
    # The browser asks for /favicon.ico on its own; the application serves none (not a page defect).
    if message.type != "error" or message.location.get("url", "").endswith("/favicon.ico"):
        return []
    return [f"{message.text} at {message.location.get('url')}"]


def lot_state(database: Database, din: str) -> str:
    """The lot's state as recorded, read past the browser."""
    with database.transaction(write=False) as session:
        return lot_service.get_by_din(session=session, din=din).state


def test_operator_marks_the_lot_harvested(
    page: Page, database: Database, settings: Settings, sign_in: SignIn
) -> None:
    lot = seed_lot(database, settings)
    operator = make_user(database, Role.OPERATOR)
    problems: list[str] = []
    page.on("console", lambda message: problems.extend(console_problem(message)))
    sign_in(page, operator)

    eye_readable = din_id.eye_readable(din_id.parse(lot.din))
    page.locator("#lots").get_by_role("link", name=eye_readable, exact=True).click()
    expect(page.locator("#lot-state")).to_have_text("in process")
    page.get_by_label("Reason or note to mark harvested", exact=True).fill("cells at 90% confluence")
    page.get_by_role("button", name="Mark harvested").click()

    expect(page).to_have_url(re.compile(f"/lots/{lot.din}$"))
    expect(page.locator("#lot-state")).to_have_text("harvested")
    harvest = page.locator("#timeline li").filter(has_text="lot.harvest")
    expect(harvest).to_have_count(1)
    expect(harvest).to_contain_text(f"by {operator.principal.full_name}")
    expect(harvest).to_contain_text("cells at 90% confluence")
    expect(page.locator("#do-harvest")).to_have_count(0)  # no longer offered
    assert lot_state(database, lot.din) == "harvested"
    assert problems == []
    page.screenshot(path=str(SCREENSHOT), full_page=True)


def test_stale_step_is_refused_with_its_reason_and_changes_nothing(
    page: Page, database: Database, settings: Settings, sign_in: SignIn
) -> None:
    lot = seed_lot(database, settings)
    operator = make_user(database, Role.OPERATOR)
    colleague = make_user(database, Role.OPERATOR)
    sign_in(page, operator)
    page.goto(f"/lots/{lot.din}")
    expect(page.locator("#do-harvest")).to_be_visible()

    # A colleague harvests the lot while this page is still open.
    with database.transaction() as session:
        lot_service.transition(session=session, actor=colleague.principal, din=lot.din, name="harvest",
                               reason="harvested at the other hood")

    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.locator("#do-harvest").click()
    assert posted.value.status == 409
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Refused")
    expect(alert.locator("code", has_text="lot.wrong_state")).to_be_visible()
    expect(page.get_by_role("link", name="Back to the dashboard")).to_be_visible()
    assert lot_state(database, lot.din) == "harvested"

    page.goto(f"/lots/{lot.din}")
    harvest = page.locator("#timeline li").filter(has_text=re.compile(r"lot\.harvest\b"))
    expect(harvest).to_have_count(1)
    expect(harvest).to_contain_text(f"by {colleague.principal.full_name}")


def test_form_with_a_forged_csrf_token_is_refused(
    page: Page, database: Database, settings: Settings, sign_in: SignIn
) -> None:
    lot = seed_lot(database, settings)
    sign_in(page, make_user(database, Role.OPERATOR))
    page.goto(f"/lots/{lot.din}")

    form = page.locator("form.transition").filter(has=page.locator("#do-harvest"))
    form.locator("input[name=csrf_token]").evaluate("field => { field.value = 'forged-' + field.value; }")
    page.get_by_label("Reason or note to mark harvested", exact=True).fill("should not be recorded")
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.locator("#do-harvest").click()

    assert posted.value.status == 403
    expect(page.get_by_role("alert")).to_contain_text("did not come from this site")
    assert lot_state(database, lot.din) == "in_process"
    page.goto(f"/lots/{lot.din}")
    expect(page.locator("#lot-state")).to_have_text("in process")
    expect(page.locator("#timeline")).not_to_contain_text("should not be recorded")


def test_unknown_lot_is_a_page_with_a_way_back(page: Page, database: Database, sign_in: SignIn) -> None:
    sign_in(page, make_user(database, Role.QA))

    response = page.goto("/lots/W000026999999")
    assert response is not None
    assert response.status == 404
    assert response.headers["content-type"].startswith("text/html")
    expect(page.get_by_role("alert")).to_contain_text("Not found")
    page.get_by_role("link", name="Back to the dashboard").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
