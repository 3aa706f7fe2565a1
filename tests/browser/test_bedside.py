"""The bedside match screen driven with a keyboard-wedge scanner: the wristband and the bag side by side, field by
field; nothing recorded until the second clinician confirms; PASS as unmistakable as STOP; a phone and a tablet."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.models.bedside import BedsideCheck
from batchtrack.models.deviation import Deviation
from batchtrack.models.user import Role

from bedside_builders import at_clinic, bag_scan, wristband
from builders import PATIENT_FAMILY, UserHandle, enrol_eligible, make_user

pytestmark = pytest.mark.browser
SignIn = Callable[[Page, UserHandle], None]

FIELDS = ["recipient", "coi", "din", "product", "expiry", "dose", "release"]
SIZES = ({"width": 390, "height": 844}, {"width": 1024, "height": 768})
# How wide the page is inside, as the browser measures it, against the window.
_WIDTHS = "() => [document.documentElement.scrollWidth, window.innerWidth]"
# The verdict as it looks: heading size, colours, and the icon's character.
_LOOK = """(el) => { const h = el.querySelector('h2'), s = getComputedStyle(el);
  return {size: getComputedStyle(h).fontSize, background: s.backgroundColor, color: s.color,
          box: [el.getBoundingClientRect().width, parseFloat(getComputedStyle(h).fontSize)],
          icon: el.querySelector('.bedside-verdict-icon').textContent.trim()}; }"""


def wedge(page: Page, text: str) -> None:
    """Type like a scanner into the field that has focus, then press Enter."""
    expect(page.locator(":focus")).to_have_count(1)
    page.keyboard.type(text)
    page.keyboard.press("Enter")


def _checks(database: Database) -> list[BedsideCheck]:
    with database.transaction(write=False) as session:
        rows = list(session.execute(select(BedsideCheck)).scalars())
        for row in rows:
            session.expunge(row)
        return rows


def _fits(page: Page) -> None:
    """No sideways scroll on a phone or a tablet, as the browser measures it."""
    for size in SIZES:
        page.set_viewport_size(size)
        wide, window = page.evaluate(_WIDTHS)
        assert wide <= window, f"{wide} > {window} at {size}"
    page.set_viewport_size(SIZES[1])


def test_the_match_screen_records_pass_only_when_the_second_clinician_confirms(
    page: Page, live_server: str, database: Database, settings: Settings, sign_in: SignIn,
) -> None:
    lot, people = at_clinic(database, settings)
    sign_in(page, people.nurse)
    page.goto(f"{live_server}/bedside")
    expect(page.locator("#wristband")).to_be_focused()

    wedge(page, wristband(lot.coi))
    expect(page.locator("#recipient")).to_contain_text(PATIENT_FAMILY.upper())
    expect(page.locator("#bag")).to_be_focused()

    wedge(page, bag_scan(database, lot.bag_ids[0]))  # the scanner's Enter after the bag: nothing recorded
    expect(page.locator("#bag-scanned")).to_contain_text(lot.din)
    for field in FIELDS:
        expect(page.locator(f"#comparison-{field} .compare-mark")).to_have_text("✔ matches")
    expect(page.locator("#comparison-din .compare-label")).to_contain_text(lot.din)
    expect(page.locator("#preview")).to_contain_text("Nothing is recorded yet")
    expect(page.locator("#verdict")).to_have_count(0)
    expect(page.locator("#second")).to_be_focused()
    assert _checks(database) == []
    _fits(page)

    wedge(page, people.doctor.username)  # the second clinician's badge
    expect(page.locator("#second-password")).to_be_focused()
    assert _checks(database) == []
    page.keyboard.type(people.doctor.password)
    assert _checks(database) == []
    page.locator("#confirm").click()

    verdict = page.locator("#verdict")
    expect(verdict).to_contain_text("PASS")
    expect(verdict).to_contain_text("identity confirmed by two clinicians")
    expect(page.get_by_role("heading", name="Record the infusion")).to_be_visible()
    [check] = _checks(database)
    assert check.ok and check.second_clinician_id == people.doctor.principal.user_id
    passed = verdict.evaluate(_LOOK)
    assert passed["icon"] == "✔" and passed["color"] == "rgb(255, 255, 255)"
    assert passed["background"] == "rgb(10, 107, 45)"
    _fits(page)

    # The same check refused: the wrong recipient's bag, recorded when the second clinician confirms.
    other = enrol_eligible(database, settings, make_user(database, Role.INVESTIGATOR), subject="S-002", mrn="MRN-2")
    page.goto(f"{live_server}/bedside")
    wedge(page, wristband(other))
    wedge(page, bag_scan(database, lot.bag_ids[1]))
    for field in FIELDS:
        expected = "✖ does not match" if field in ("recipient", "coi") else "✔ matches"
        expect(page.locator(f"#comparison-{field} .compare-mark")).to_have_text(expected)
    preview = page.locator("#preview")
    expect(preview).to_contain_text("STOP")
    expect(preview).to_contain_text("Not recorded yet")
    expect(preview).to_contain_text("bedside.wrong_recipient")
    assert len(_checks(database)) == 1
    _fits(page)
    wedge(page, people.doctor.username)
    wedge(page, people.doctor.password)  # Enter in the password field is the confirmation

    stopped = page.locator("#verdict")
    expect(stopped).to_contain_text("STOP")
    expect(stopped).to_contain_text("deviation")
    expect(page.locator("#stopped-comparison-recipient .compare-mark")).to_have_text("✖ does not match")
    refused = [c for c in _checks(database) if not c.ok]
    assert len(refused) == 1 and refused[0].deviation_id is not None
    with database.transaction(write=False) as session:
        deviation = session.get(Deviation, refused[0].deviation_id)
        assert deviation is not None and deviation.origin == "bedside_check"
    looked = stopped.evaluate(_LOOK)
    assert looked["icon"] == "✖" and looked["color"] == passed["color"] and looked["size"] == passed["size"]
    assert looked["background"] == "rgb(176, 0, 32)"
    _fits(page)
