"""The settings a deployment gives: secrets that never show in a repr or a log, the connection pool's size, the
proxies whose forwarded headers are trusted, and server-side prepared statements that PgBouncer's transaction mode
cannot keep."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from batchtrack.config import Settings

SECRET = "a-production-secret-that-must-never-be-shown-" + "x" * 8
PASSWORD = "db-password-never-shown"


def test_the_secret_key_and_the_database_password_never_show_in_the_settings_repr(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("BATCHTRACK_SECRET_KEY", SECRET)
    monkeypatch.setenv("BATCHTRACK_DATABASE_URL", f"postgresql://batchtrack:{PASSWORD}@db.example.org/batchtrack")
    settings = Settings()
    for shown in (repr(settings), str(settings), repr(settings.model_dump())):
        assert SECRET not in shown and PASSWORD not in shown
    # Read where they are used, and only there.
    assert settings.secret_key.get_secret_value() == SECRET
    assert PASSWORD in settings.effective_database_url
