"""The API's interactive documentation works in a real browser under the site's Content-Security-Policy: Swagger UI
draws every operation, nothing is refused by the policy, and nothing is asked of another site."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from playwright.sync_api import ConsoleMessage, Page, Request, expect

from batchtrack.db import Database
from batchtrack.models.user import Role

from builders import UserHandle, make_user


def test_swagger_ui_draws_the_api_under_the_policy(
    page: Page, live_server: str, database: Database, sign_in: Callable[[Page, UserHandle], None]
) -> None:
    refused: list[str] = []
    elsewhere: list[str] = []
    page.on("console", lambda message: _note_refusal(message, refused))
    page.on("request", lambda request: _note_elsewhere(request, live_server, elsewhere))
    sign_in(page, make_user(database, Role.INVESTIGATOR))
    page.goto("/api/v1/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("batchtrack")
    scan = page.locator("#operations-scanning-verify_scan")
    expect(scan).to_be_visible()
    scan.locator(".opblock-summary").click()
    expect(scan.locator(".responses-table")).to_contain_text("409")
    expect(page.locator(".swagger-ui .auth-wrapper .authorize")).to_be_visible()
    assert refused == []
    assert elsewhere == []


def _note_refusal(message: ConsoleMessage, refused: list[str]) -> None:
    if "Content Security Policy" in message.text or "Refused to" in message.text:
        refused.append(message.text)


def _note_elsewhere(request: Request, live_server: str, elsewhere: list[str]) -> None:
    address = urlsplit(request.url)
    if address.scheme in ("http", "https") and f"{address.scheme}://{address.netloc}" != live_server:
        elsewhere.append(request.url)
