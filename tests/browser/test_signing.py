"""Signing in the browser: the first signature of a session asks for the user ID and the password, the next one
the password alone (21 CFR 11.200(a)(1)); on a phone as on a desktop."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.models.user import Role

from builders import UserHandle, make_user, seed_lot
from deviation_builders import open_deviation

pytestmark = pytest.mark.browser
SignIn = Callable[[Page, UserHandle], None]
CLOSURE = "CO2 sensor drifted; recalibrated and verified. No impact on the lot."


def test_the_first_signature_of_a_session_asks_for_the_user_id_and_the_second_does_not(
    page: Page, database: Database, settings: Settings, sign_in: SignIn,
) -> None:
    lot = seed_lot(database, settings)
    operator = make_user(database, Role.OPERATOR)
    first, second = (open_deviation(database, lot.din, operator) for _ in range(2))
    qa = make_user(database, Role.QA)
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, qa)

    page.goto(f"/deviations/{first}")
    page.get_by_label("Closure").fill(CLOSURE)
    user_id = page.get_by_label("User ID")
    expect(user_id).to_be_visible()
    page.get_by_label("Your password").fill(qa.password)
    page.get_by_role("button", name="Sign and close the deviation").click()
    # The browser itself asks for the missing user ID: nothing was sent.
    expect(page.locator("#closure-signature")).to_have_count(0)
    user_id.fill(qa.username)
    page.get_by_label("Your password").fill(qa.password)
    page.get_by_role("button", name="Sign and close the deviation").click()
    expect(page.locator("#closure-signature")).to_contain_text("approved")

    page.goto(f"/deviations/{second}")
    expect(page.get_by_label("User ID")).to_have_count(0)
    page.get_by_label("Closure").fill(CLOSURE)
    page.get_by_label("Your password").fill(qa.password)
    page.get_by_role("button", name="Sign and close the deviation").click()
    expect(page.locator("#closure-signature")).to_contain_text("approved")
