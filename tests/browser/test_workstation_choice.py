"""Choosing the workstation with a keyboard-wedge scanner alone: the cabinet's label scanned on the chooser opens
its workstation; a label that names no registered cabinet is a red refusal and the field is ready again."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from batchtrack.db import Database
from batchtrack.models.equipment import EquipmentKind
from batchtrack.models.user import Role

from builders import UserHandle, make_user
from processing_builders import add_instrument

pytestmark = pytest.mark.browser
SignIn = Callable[[Page, UserHandle], None]


def wedge(page: Page, text: str) -> None:
    """Type like a scanner into the field that has focus, then press Enter."""
    expect(page.locator(":focus")).to_have_count(1)
    page.keyboard.type(text)
    page.keyboard.press("Enter")


def test_a_workstation_is_chosen_by_scanning_its_cabinet_or_from_the_list(
    page: Page, live_server: str, database: Database, sign_in: SignIn,
) -> None:
    add_instrument(database, EquipmentKind.BIOSAFETY_CABINET, "BSC-0101")
    add_instrument(database, EquipmentKind.BIOSAFETY_CABINET, "BSC-0102")
    add_instrument(database, EquipmentKind.INCUBATOR, "INC-0101")
    sign_in(page, make_user(database, Role.OPERATOR))
    page.goto(f"{live_server}/processing")
    expect(page.locator("#station")).to_be_focused()
    expect(page.locator("#workstations")).to_contain_text("BSC-0101")
    expect(page.locator("#workstations")).not_to_contain_text("INC-0101")

    wedge(page, "INC-0101")
    expect(page.get_by_role("alert")).to_contain_text("INC-0101 is an instrument, not a workstation")
    expect(page.locator("#station")).to_be_focused()

    wedge(page, "BSC-0102")
    expect(page).to_have_url(f"{live_server}/processing/BSC-0102")
    expect(page.locator("#raw")).to_be_focused()  # ready to scan a lot's label
    expect(page.locator("#unregistered-workstation")).to_have_count(0)

    page.goto(f"{live_server}/processing")
    page.get_by_role("link", name="BSC-0101").click()
    expect(page).to_have_url(f"{live_server}/processing/BSC-0101")
