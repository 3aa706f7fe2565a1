"""Browser fixtures: the test's application served over HTTP, and a real Chromium driven by Playwright.

The browser is started once per session; every test gets a fresh context (its own cookies and storage), so
no test inherits another's sign-in.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI
from playwright.sync_api import Browser, Page, Playwright, expect, sync_playwright

from builders import UserHandle

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-quic",
]
# Generous for a loaded 2-core machine, short enough that a broken page fails fast instead of hanging.
ACTION_TIMEOUT_MS = 10_000
SERVER_START_TIMEOUT_S = 10.0


class LiveServer:
    """An application served by uvicorn in a background thread on a free local port."""

    def __init__(self, app: FastAPI) -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # Bind before starting: the port is ours, with no window in which another process could take it.
        self._socket.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._socket.getsockname()[1]}"
        config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self._socket]},
                                        name="live-server", daemon=True)

    def start(self) -> None:
        """Start serving; return once the server accepts connections."""
        self._thread.start()
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the test server did not start on {self.url}")
            time.sleep(0.01)

    def stop(self) -> None:
        """Ask the server to finish and wait for its thread."""
        self._server.should_exit = True
        self._thread.join(timeout=SERVER_START_TIMEOUT_S)
        self._socket.close()


@pytest.fixture
def live_server(app: FastAPI) -> Iterator[str]:
    """The base URL of the test's application, served over real HTTP."""
    server = LiveServer(app)
    server.start()
    yield server.url
    server.stop()


@pytest.fixture(scope="session")
def _playwright() -> Iterator[Playwright]:
    if not CHROMIUM.exists():
        pytest.skip(f"browser tests need Chromium at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(_playwright: Playwright) -> Iterator[Browser]:
    """One headless Chromium for the whole session."""
    chromium = _playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
    yield chromium
    chromium.close()


@pytest.fixture(scope="session", autouse=True)
def _assertion_timeout() -> None:
    expect.set_options(timeout=ACTION_TIMEOUT_MS)


@pytest.fixture
def page(browser: Browser, live_server: str) -> Iterator[Page]:
    """A page in a fresh browser context (its own cookie jar) on the live server."""
    context = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    yield context.new_page()
    context.close()


@pytest.fixture
def sign_in() -> Callable[[Page, UserHandle], None]:
    """Sign a user in through the sign-in form and wait for the dashboard."""

    def go(page: Page, user: UserHandle) -> None:
        page.goto("/login")
        page.get_by_label("User name").fill(user.username)
        page.get_by_label("Password").fill(user.password)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()

    return go


@pytest.fixture
def korean_page(browser: Browser, live_server: str) -> Iterator[Page]:
    """A page in a fresh browser context whose browser prefers Korean (Accept-Language: ko-KR), as the first site's
    computers do, at 1024x768."""
    context = browser.new_context(base_url=live_server, locale="ko-KR", viewport={"width": 1024, "height": 768})
    yield context.new_page()
    context.close()
