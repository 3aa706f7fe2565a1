"""`batchtrack notify due` announces each receipt window about to close once, however often the timer runs it,
with the patient's name for the collector only; `batchtrack notify send` retries what is due."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from notification_builders import Inbox, outbox, subscribe

from batchtrack.cli import main as cli
from batchtrack.config import Settings, get_settings
from batchtrack.db import Database
from batchtrack.models.notification import NotificationKind
from batchtrack.models.user import Role

from builders import PATIENT_FAMILY, PATIENT_GIVEN, PATIENT_MRN, collected_bag, enrol_eligible, make_user


@pytest.fixture
def env(db_url: str, tmp_path: Path, smtp_port: int, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Point the command at the test's database and the local SMTP server."""
    for name, value in (("DATABASE_URL", db_url), ("DATA_DIR", str(tmp_path)), ("ENVIRONMENT", "test"),
                        ("SMTP_HOST", "127.0.0.1"), ("SMTP_PORT", str(smtp_port)), ("SMTP_STARTTLS", "false"),
                        ("DISPLAY_TIMEZONE", "Asia/Seoul")):
        monkeypatch.setenv(f"BATCHTRACK_{name}", value)
    get_settings.cache_clear()
    yield db_url
    get_settings.cache_clear()


def _run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def test_a_receipt_window_about_to_close_is_announced_once(
    env: str, database: Database, settings: Settings, inbox: Inbox
) -> None:
    clinician = make_user(database, Role.INVESTIGATOR, Role.COLLECTOR)
    operator = make_user(database, Role.OPERATOR)
    coi = enrol_eligible(database, settings, clinician)
    late = collected_bag(database, settings, clinician, coi, hours_ago=23)  # the protocol allows 24 h
    subscribe(database, clinician, "collector@clinic.example", NotificationKind.RECEIPT_WINDOW)
    subscribe(database, operator, "lab@facility.example", NotificationKind.RECEIPT_WINDOW)

    first = _run("notify", "due")
    assert first.exit_code == 0, first.output
    assert "2 message(s) written" in first.output and "2 delivered" in first.output
    again = _run("notify", "due")
    assert again.exit_code == 0 and "0 message(s) written" in again.output

    received = {recipients[0]: mail for recipients, mail in inbox.wait_for(2)}
    assert len(inbox.messages) == 2 and len(outbox(database)) == 2
    lab, collector = received["lab@facility.example"], received["collector@clinic.example"]
    assert lab["Subject"].startswith(f"Bag {late} must be received at the lab by ") and lab["Subject"].endswith("KST")
    assert "Hours allowed from collection to receipt: 24" in lab.get_content()
    for secret in (PATIENT_FAMILY, PATIENT_GIVEN, PATIENT_MRN):
        assert secret.lower() not in lab.get_content().lower(), secret
    assert f"Patient: {PATIENT_FAMILY.upper()}, {PATIENT_GIVEN}" in collector.get_content()


def test_a_window_far_from_closing_is_not_announced_yet(env: str, database: Database, settings: Settings) -> None:
    clinician = make_user(database, Role.INVESTIGATOR, Role.COLLECTOR)
    coi = enrol_eligible(database, settings, clinician)
    collected_bag(database, settings, clinician, coi, hours_ago=2)
    subscribe(database, clinician, "collector@clinic.example", NotificationKind.RECEIPT_WINDOW)
    assert "0 message(s) written" in _run("notify", "due").output
    assert "1 message(s) written" in _run("notify", "due", "--within-hours", "23").output


def test_notify_send_says_when_no_mail_server_is_set(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BATCHTRACK_DATABASE_URL", db_url)
    monkeypatch.setenv("BATCHTRACK_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("BATCHTRACK_ENVIRONMENT", "test")
    monkeypatch.delenv("BATCHTRACK_SMTP_HOST", raising=False)
    get_settings.cache_clear()
    try:
        result = _run("notify", "send")
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0 and "BATCHTRACK_SMTP_HOST is not set" in result.output
