"""Fixtures of the qualification tests: moving the date the rules judge by."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest

from batchtrack.qualifications import service as qualification_service


@pytest.fixture
def travel(monkeypatch: pytest.MonkeyPatch) -> Callable[[timedelta], date]:
    """Move the date the qualification rules judge by (`today`) forward by the given time; returns that date."""
    def to(delta: timedelta) -> date:
        day = qualification_service.today() + delta
        monkeypatch.setattr(qualification_service, "today", lambda: day)
        return day
    return to
