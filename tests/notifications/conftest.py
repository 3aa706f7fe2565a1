"""A local SMTP server (aiosmtpd) that receives the notifications' mail, and an application that sends to it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from aiosmtpd.controller import Controller
from fastapi import FastAPI
from notification_builders import Inbox, free_port

from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.main import create_app


@pytest.fixture
def smtp_port() -> int:
    """The port the local SMTP server listens on."""
    return free_port()


@pytest.fixture
def inbox(smtp_port: int) -> Iterator[Inbox]:
    """A running local SMTP server and what it received."""
    received = Inbox()
    controller = Controller(received, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    yield received
    controller.stop()


@pytest.fixture
def mail_settings(settings: Settings, smtp_port: int) -> Settings:
    """The test installation's settings, sending e-mail to the local server (no TLS on a loopback test server)."""
    return settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": smtp_port, "smtp_starttls": False,
                                       "smtp_sender": "batchtrack@facility.example"})


@pytest.fixture
def mail_app(mail_settings: Settings, database: Database) -> FastAPI:
    """The application on the test's database, sending its notifications to the local SMTP server."""
    return create_app(mail_settings, database)
