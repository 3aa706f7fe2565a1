"""The shell the command-line tests run commands in: no language named, at a site in Seoul; and the environment
kept from one test to the next."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from batchtrack.config import get_settings


@pytest.fixture(autouse=True)
def _environment_kept() -> Iterator[None]:
    """Commands run in this process, and the demo sets its own process's environment (its site's language, zone and
    secret, as the server it starts reads them): each test gets back the environment it started with, so that no
    test's command changes the settings of the tests after it."""
    before = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(before)
    get_settings.cache_clear()


@pytest.fixture
def shell(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """A shell that names no language (the C locale, no BATCHTRACK_LANGUAGE) at an English-speaking site."""
    for name in ("BATCHTRACK_LANGUAGE", "BATCHTRACK_DEFAULT_LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")
    get_settings.cache_clear()
    yield monkeypatch
    get_settings.cache_clear()


@pytest.fixture
def env(shell: pytest.MonkeyPatch, db_url: str, tmp_path: Path) -> Path:
    """The command pointed at the test's database, at a site in Seoul, its data folder the test's; returns the
    folder."""
    shell.setenv("BATCHTRACK_DATABASE_URL", db_url)
    shell.setenv("BATCHTRACK_DATA_DIR", str(tmp_path))
    shell.setenv("BATCHTRACK_ENVIRONMENT", "test")
    shell.setenv("BATCHTRACK_DISPLAY_TIMEZONE", "Asia/Seoul")
    get_settings.cache_clear()
    return tmp_path
