"""Small typed helpers for notification tests: a user's subscription, the outbox as it stands, and what a local
SMTP server received."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from sqlmodel import col, select

from batchtrack.db import Database
from batchtrack.models.notification import NotificationKind, NotificationMessage
from batchtrack.notifications import schemas, service

from builders import UserHandle


def subscribe(database: Database, user: UserHandle, email: str, *kinds: NotificationKind) -> None:
    """Save the user's address and kinds through the service, as their account page does."""
    with database.transaction() as session:
        service.save_subscription(session=session, principal=user.principal,
                                  data=schemas.SubscriptionUpdate(email=email, kinds=[k.value for k in kinds]))


def outbox(database: Database) -> list[NotificationMessage]:
    """Every message in the outbox, oldest first."""
    with database.transaction(write=False) as session:
        return list(session.execute(select(NotificationMessage).order_by(col(NotificationMessage.id))).scalars())


@dataclass
class Inbox:
    """What the local SMTP server received: each message with the recipients of its envelope."""

    messages: list[tuple[list[str], EmailMessage]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        with self.lock:
            self.messages.append((list(envelope.rcpt_tos), parsed))
        return "250 OK"

    def wait_for(self, count: int, *, timeout: float = 15.0) -> list[tuple[list[str], EmailMessage]]:
        """The messages, once at least `count` have arrived (fails after `timeout` seconds)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.messages) >= count:
                    return list(self.messages)
            time.sleep(0.05)
        raise AssertionError(f"{len(self.messages)} message(s) arrived, {count} expected")


def free_port() -> int:
    """A TCP port nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def outbox_once_sent(database: Database, *, timeout: float = 15.0) -> list[NotificationMessage]:
    """The outbox once every message's attempt has ended (the courier sends in a thread of its own)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = outbox(database)
        if all(row.status != "pending" or row.last_error for row in rows):
            return rows
        time.sleep(0.05)
    raise AssertionError("messages still wait for an attempt to end")
