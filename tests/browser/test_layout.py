"""Every page fits the device: signed in as each role, the pages of its menu and the pages of a built lot (the lot,
its therapy, its chain-of-identity report, its release checklist, its bedside record) never scroll sideways on a
phone (390x844) or a small tablet (1024x768), as the browser measures it. On a phone the menu folds into its button."""

from __future__ import annotations

import json
import re
from urllib.parse import urlsplit

import pytest
from document_builders import text_of
from fastapi import FastAPI
from page_sign_in import sign_in_by_fields
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select
from sqlmodel import col

from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.models.bedside import BedsideCheck
from batchtrack.models.quality import Specification
from batchtrack.models.user import Role
from batchtrack.quality import specification
from batchtrack.web import navigation

from builders import make_user
from coi_report_builders import SPEC_CODE, InfusedTherapy, infused_therapy

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
TABLET = {"width": 1024, "height": 768}

# The page's width against the window's, and (to say what to fix) the elements that reach past the window's edge
# outside any box that scrolls or clips.
_WIDER_THAN_WINDOW = """() => {
  const width = window.innerWidth;
  const page = document.documentElement.scrollWidth;
  if (page <= width) return null;
  const inScroller = (el) => {
    for (let up = el.parentElement; up; up = up.parentElement) {
      if (['auto', 'scroll', 'hidden'].includes(getComputedStyle(up).overflowX)) return true;
    }
    return false;
  };
  const culprits = [];
  for (const el of document.querySelectorAll('body *')) {
    const box = el.getBoundingClientRect();
    if (box.right > width + 1 && !inScroller(el)) {
      culprits.push(`${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}.${el.className}: ${Math.round(box.right)}`);
    }
  }
  return `${page} > ${width}: ` + culprits.slice(0, 8).join('; ');
}"""


@pytest.fixture
def built(database: Database, settings: Settings) -> InfusedTherapy:
    """A lot processed, released and infused, with a refused and a passed bedside check on its record; the
    specification it was released against holds the shipped default's tests, as a stored version does."""
    therapy = infused_therapy(database, settings)
    with database.transaction() as session:
        spec = session.execute(select(Specification).where(col(Specification.code) == SPEC_CODE)).scalar_one()
        content = json.loads(specification.canonical(specification.shipped_default()))
        spec.content = json.dumps({**content, "code": spec.code, "version": spec.version, "title": spec.title})
        session.add(spec)
    return therapy


def bedside_record(database: Database, din: str) -> str:
    """The path of the lot's last bedside check's record."""
    with database.transaction(write=False) as session:
        check_id = session.execute(select(BedsideCheck.id).order_by(BedsideCheck.id.desc())).scalars().first()
    assert check_id is not None, din
    return f"/bedside/checks/{check_id}"


def lot_pages(app: FastAPI, database: Database, lot: InfusedTherapy, role: Role) -> list[str]:
    """The pages of the built lot that `role` may open (by the roles their routes declare)."""
    routes = {route.path: route for route in navigation.page_routes(app.routes)}
    pages = {
        "/lots/{din}": f"/lots/{lot.din}",
        "/therapies/{coi}": f"/therapies/{lot.coi}",
        "/therapies/{coi}/report": f"/therapies/{lot.coi}/report",
        "/lots/{din}/release": f"/lots/{lot.din}/release",
        "/bedside/checks/{check_id}": bedside_record(database, lot.din),
    }
    return [path for pattern, path in pages.items()
            if role in (navigation.admitted_roles(routes[pattern].dependant) or frozenset())]


def menu_links(page: Page) -> list[str]:
    """The paths the page's menu offers."""
    hrefs = page.locator("#menu nav a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    return [urlsplit(href).path for href in hrefs]


@pytest.mark.parametrize("size", [PHONE, TABLET], ids=["phone", "tablet"])
def test_no_page_a_role_opens_scrolls_sideways(
    browser: Browser, live_server: str, app: FastAPI, database: Database, built: InfusedTherapy,
    size: dict[str, int],
) -> None:
    wide: list[str] = []
    refused: list[str] = []
    visited = 0
    for role in Role:
        user = make_user(database, role)
        context = browser.new_context(base_url=live_server, viewport=size)
        context.set_default_timeout(10_000)
        try:
            page = context.new_page()
            sign_in_by_fields(page, user)
            for path in menu_links(page) + lot_pages(app, database, built, role):
                response = page.goto(path)
                if response is None or response.status != 200:
                    refused.append(f"{role.value} {path}: {response.status if response else 'no answer'}")
                    continue
                visited += 1
                overflow = page.evaluate(_WIDER_THAN_WINDOW)
                if overflow:
                    wide.append(f"{role.value} {path}: {overflow}")
        finally:
            context.close()
    assert not refused, "\n".join(refused)
    assert not wide, "\n".join(wide)
    assert visited >= 60


def test_on_a_phone_the_menu_folds_into_its_button_and_opens_from_it(
    page: Page, database: Database,
) -> None:
    page.set_viewport_size(PHONE)
    sign_in_by_fields(page, make_user(database, Role.QA))
    deviations = page.locator("#menu").get_by_role("link", name="Deviations")
    expect(deviations).to_be_hidden()
    page.locator("#menu > summary").click()
    expect(deviations).to_be_visible()
    deviations.click()
    expect(page).to_have_url(re.compile(r"/deviations$"))
    marked = page.locator('#menu a[aria-current="page"]')
    expect(marked).to_have_text("Deviations")


def test_on_a_tablet_the_menu_is_open_and_marks_the_page_shown(page: Page, database: Database) -> None:
    page.set_viewport_size(TABLET)
    sign_in_by_fields(page, make_user(database, Role.QA))
    expect(page.locator("#menu > summary")).to_be_hidden()
    page.locator("#menu").get_by_role("link", name="Training").click()
    marked = page.locator('#menu a[aria-current="page"]')
    expect(marked).to_have_text("Training")
    # The mark is seen, not only announced: the current link is drawn unlike the others.
    other = page.locator("#menu").get_by_role("link", name="Deviations")
    assert marked.evaluate("a => getComputedStyle(a).backgroundColor") != other.evaluate(
        "a => getComputedStyle(a).backgroundColor")


def printed_pages(database: Database, lot: InfusedTherapy) -> list[str]:
    """The pages with a print layout: the lot, its release checklist and its bedside record."""
    return [f"/lots/{lot.din}", f"/lots/{lot.din}/release", bedside_record(database, lot.din)]


def test_printed_lot_release_checklist_and_bedside_record_hold_the_record_alone(
    page: Page, database: Database, built: InfusedTherapy,
) -> None:
    sign_in_by_fields(page, make_user(database, Role.QA, Role.NURSE))
    printed_rows = 0
    for path in printed_pages(database, built):
        page.emulate_media(media="screen")
        assert page.goto(path).status == 200, path  # type: ignore[union-attr]
        expect(page.locator("#menu")).to_be_visible()
        assert page.locator("main form").count() + page.locator("header form").count() > 0, path

        page.emulate_media(media="print")
        expect(page.locator("header.top")).to_be_hidden()
        expect(page.locator("#menu")).to_be_hidden()
        assert page.locator("form:visible, button:visible, input:visible, a.button:visible").count() == 0, path
        expect(page.locator("main h1")).to_be_visible()
        colours = page.evaluate("""() => {
          const body = getComputedStyle(document.body);
          const painted = [...document.querySelectorAll('main *')].map(getComputedStyle);
          return {ink: body.color, paper: body.backgroundColor,
                  coloured: painted.filter(s => s.color !== 'rgb(0, 0, 0)').length,
                  shaded: painted.filter(s => !['rgba(0, 0, 0, 0)', 'rgb(255, 255, 255)'].includes(s.backgroundColor))
                    .length};
        }""")
        assert colours == {"ink": "rgb(0, 0, 0)", "paper": "rgb(255, 255, 255)", "coloured": 0, "shaded": 0}, path
        rows = page.evaluate("""() => [...document.querySelectorAll('main tr')].map(
          tr => getComputedStyle(tr).breakInside)""")
        assert set(rows) <= {"avoid"}, path
        printed_rows += len(rows)
        headers = page.evaluate("""() => [...document.querySelectorAll('main thead')].map(
          head => getComputedStyle(head).display)""")
        assert set(headers) <= {"table-header-group"}, path
    assert printed_rows > 10


def test_a_printed_lot_page_is_the_lot_without_the_menu_or_its_buttons(
    page: Page, database: Database, built: InfusedTherapy,
) -> None:
    sign_in_by_fields(page, make_user(database, Role.QA))
    page.goto(f"/lots/{built.din}")
    printed = " ".join(text_of(page.pdf(format="A4")).split())
    assert built.din in printed.replace(" ", "")
    assert "Timeline" in printed
    for screen_only in ("Sign out", "Scan station", "My account", "Skip to content", "Subject code, DIN"):
        assert screen_only not in printed, screen_only
