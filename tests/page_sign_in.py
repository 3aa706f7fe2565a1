"""Signing in through the sign-in page in a real browser, in whatever language the page speaks."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from builders import UserHandle


def sign_in_by_fields(page: Page, user: UserHandle) -> None:
    """Sign in through the form by its fields' ids (what the page says is in the reader's language), and wait until
    the signed-in page shows."""
    page.goto("/login")
    page.locator("#username").fill(user.username)
    page.locator("#password").fill(user.password)
    page.locator("#password").press("Enter")
    expect(page).not_to_have_url(r".*/login.*")
    expect(page.locator("#my-account")).to_be_visible()
