"""The demo's subject has a Korean name, written in Hangul and romanised, and the demo still runs twice safely."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from batchtrack.cli import main as cli
from batchtrack.config import get_settings
from batchtrack.db import Database
from batchtrack.demo.walkthrough import DEMO_SUBJECT


@pytest.fixture
def demo_env(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Point the command at the test's database, as a demo installation."""
    monkeypatch.setenv("BATCHTRACK_DATABASE_URL", db_url)
    monkeypatch.setenv("BATCHTRACK_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("BATCHTRACK_ENVIRONMENT", "demo")
    # Set here what the demo command would set in the process's environment, so that it is undone after the test.
    monkeypatch.setenv("BATCHTRACK_DEFAULT_LANGUAGE", "ko")
    monkeypatch.setenv("BATCHTRACK_DISPLAY_TIMEZONE", "Asia/Seoul")
    monkeypatch.setenv("BATCHTRACK_SECRET_KEY", "test-secret-" + "x" * 32)
    get_settings.cache_clear()
    yield db_url
    get_settings.cache_clear()


def test_the_demo_subject_is_named_in_hangul_and_romanised_and_the_demo_runs_twice(
    demo_env: str, database: Database
) -> None:
    runner = CliRunner()
    first = runner.invoke(cli, ["demo", "--no-serve"])
    assert first.exit_code == 0, first.output
    second = runner.invoke(cli, ["demo", "--no-serve"])
    assert second.exit_code == 0 and "already present" in second.output, second.output
    with database.engine.connect() as connection:
        rows = connection.execute(text(
            "SELECT subject_code, family_name, given_name, family_name_latin, given_name_latin FROM recipient"
            " ORDER BY subject_code")).all()
    assert tuple(rows[0]) == (DEMO_SUBJECT, "김", "수아", "Kim", "Sua")
    # Every demo subject is named in Hangul and romanised.
    assert all(re.fullmatch("[가-힣]+", row[1] + row[2]) and (row[3] + row[4]).isascii() for row in rows)
