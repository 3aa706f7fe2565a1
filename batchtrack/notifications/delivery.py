"""Delivery of the outbox by SMTP: after the commit that wrote a message, and again by `batchtrack notify send`.

A message is claimed before it is sent (its next attempt moved past a lease), so two senders never send it
twice; each attempt is logged; a failure is retried later, waiting longer each time, and after the last attempt the
message is marked failed. Nothing here runs in, or can fail, the request that caused the message.
"""

from __future__ import annotations

import json
import logging
import smtplib
import ssl
import threading
import weakref
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import make_msgid

from sqlalchemy import event, update
from sqlalchemy.orm import Session, SessionTransaction
from sqlmodel import col, select

from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.i18n import catalogs
from batchtrack.models.base import utcnow
from batchtrack.models.notification import DeliveryStatus, NotificationKind, NotificationMessage
from batchtrack.models.user import User
from batchtrack.notifications import mail, rules

log = logging.getLogger(__name__)

# A claimed message is not claimed again for this long: time enough for one SMTP conversation.
LEASE = timedelta(minutes=5)
SMTP_TIMEOUT_SECONDS = 20
# Messages one pass delivers at most (the next pass, or the next `notify send`, takes the rest).
BATCH = 200
_AFTER_COMMIT = "batchtrack.notifications.after_commit"


@dataclass(frozen=True, slots=True)
class Delivered:
    """What one pass did: messages delivered, left for a retry, and given up."""

    delivered: int = 0
    retried: int = 0
    failed: int = 0


class Courier:
    """Sends the outbox of one database through the configured SMTP server."""

    def __init__(self, settings: Settings, database: Database) -> None:
        self.settings = settings
        self.database = database
        self._lock = threading.Lock()
        self._again = threading.Event()

    def deliver_due(self, *, now: datetime | None = None) -> Delivered:
        """Send every message due now (first attempts and retries whose wait is over)."""
        if not self.settings.mail_enabled:
            return Delivered()
        counts = {DeliveryStatus.DELIVERED: 0, DeliveryStatus.PENDING: 0, DeliveryStatus.FAILED: 0}
        at = now or utcnow()
        for message_id in self._due(at):
            claimed = self._claim(message_id, at)
            if claimed is not None:
                counts[self._attempt(*claimed, at)] += 1
        return Delivered(counts[DeliveryStatus.DELIVERED], counts[DeliveryStatus.PENDING],
                         counts[DeliveryStatus.FAILED])

    def deliver_soon(self) -> None:
        """Deliver what is due in a thread of its own (one at a time; a call while it runs makes it run again)."""
        if not self.settings.mail_enabled:
            return
        self._again.set()
        if self._lock.acquire(blocking=False):
            threading.Thread(target=self._drain, name="notification-delivery", daemon=True).start()

    def _drain(self) -> None:
        try:
            while self._again.is_set():
                self._again.clear()
                self.deliver_due()
        except Exception:  # the request that caused it is long answered; the next pass retries
            log.exception("notification delivery pass failed")
        finally:
            self._lock.release()

    def _due(self, now: datetime) -> list[int]:
        with self.database.transaction(write=False) as session:
            return [int(found) for found in session.execute(
                select(col(NotificationMessage.id))
                .where(col(NotificationMessage.status) == DeliveryStatus.PENDING,
                       col(NotificationMessage.next_attempt_at) <= now)
                .order_by(col(NotificationMessage.id)).limit(BATCH)).scalars() if found is not None]

    def _claim(self, message_id: int, now: datetime) -> tuple[NotificationMessage, str | None] | None:
        """Take one message for an attempt (None: another sender has it, or it is no longer due)."""
        with self.database.transaction(write=True) as session:
            taken = session.execute(
                update(NotificationMessage)
                .where(col(NotificationMessage.id) == message_id,
                       col(NotificationMessage.status) == DeliveryStatus.PENDING,
                       col(NotificationMessage.next_attempt_at) <= now)
                .values(attempts=col(NotificationMessage.attempts) + 1, next_attempt_at=now + LEASE))
            if taken.rowcount != 1:  # type: ignore[attr-defined]
                return None
            message = session.get(NotificationMessage, message_id)
            user = session.get(User, message.user_id) if message is not None else None
            assert message is not None
            return message, user.language if user is not None else None

    def _attempt(self, message: NotificationMessage, language: str | None, now: datetime) -> DeliveryStatus:
        """One attempt at one claimed message at `now`; the outcome recorded on it."""
        error = ""
        try:
            self._send(message, language)
        except (OSError, smtplib.SMTPException, ValueError) as exc:
            error = f"{type(exc).__name__}: {exc}"[:2000]
        if not error:
            status, next_at = DeliveryStatus.DELIVERED, now
        else:
            retry = rules.retry_at(attempts=message.attempts, failed_at=now)
            status, next_at = (DeliveryStatus.PENDING, retry) if retry is not None else (DeliveryStatus.FAILED, now)
        with self.database.transaction(write=True) as session:
            session.execute(update(NotificationMessage).where(col(NotificationMessage.id) == message.id).values(
                status=status, next_attempt_at=next_at, last_error=error,
                delivered_at=now if status == DeliveryStatus.DELIVERED else None))
        log.log(logging.INFO if not error else logging.WARNING,
                "notification message %s (%s) to user %s, attempt %d of %d: %s%s", message.id, message.kind,
                message.user_id, message.attempts, rules.MAX_ATTEMPTS, status.value, f" ({error})" if error else "")
        return status

    def _send(self, message: NotificationMessage, language: str | None) -> None:
        settings = self.settings
        translations = catalogs.translations(language or settings.default_language)
        composed = mail.compose(NotificationKind(message.kind), json.loads(message.facts), translations=translations,
                                zone=settings.zone, facility=settings.facility_name)
        email = EmailMessage()
        email["From"] = settings.smtp_sender
        email["To"] = message.address
        email["Subject"] = composed.subject
        email["Message-ID"] = make_msgid(f"notification-{message.id}")
        email.set_content(composed.body)
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=SMTP_TIMEOUT_SECONDS) as smtp:
            if settings.smtp_starttls:
                smtp.starttls(context=ssl.create_default_context())
            if settings.smtp_user:
                smtp.login(settings.smtp_user, settings.smtp_password.get_secret_value())
            smtp.send_message(email)


# The courier of each database an application serves, found from a session's connection after its commit.
_COURIERS: weakref.WeakValueDictionary[str, Courier] = weakref.WeakValueDictionary()


def _key(session: Session) -> str:
    return session.get_bind().engine.url.render_as_string(hide_password=False)


def register(settings: Settings, database: Database) -> Courier:
    """The courier of an application: messages its requests write are sent after their commit. Keep it (the
    registry holds it weakly)."""
    courier = Courier(settings, database)
    _COURIERS[database.engine.url.render_as_string(hide_password=False)] = courier
    return courier


def send_after_commit(session: Session) -> None:
    """Have the messages this session wrote sent once its transaction commits (never if it rolls back)."""
    if session.info.get(_AFTER_COMMIT):
        return
    session.info[_AFTER_COMMIT] = True

    def committed(committed_session: Session) -> None:
        committed_session.info.pop(_AFTER_COMMIT, None)
        courier = _COURIERS.get(_key(committed_session))
        if courier is not None:
            courier.deliver_soon()

    def rolled_back(rolled_session: Session, _transaction: SessionTransaction) -> None:
        rolled_session.info.pop(_AFTER_COMMIT, None)

    event.listen(session, "after_commit", committed, once=True)
    event.listen(session, "after_soft_rollback", rolled_back, once=True)
