"""`batchtrack notify`: announce the receipt windows about to close, and send (or retry) the e-mail outbox; both
meant for a timer (every few minutes)."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import click

from batchtrack.commands import context, language
from batchtrack.commands.language import say
from batchtrack.i18n.text import _

if TYPE_CHECKING:
    from batchtrack.config import Settings
    from batchtrack.db import Database


@click.group(cls=language.Group)
def notify() -> None:
    """E-mail notifications: announce what falls due, send the outbox."""


def _send(settings: Settings, database: Database) -> None:
    from batchtrack.notifications import delivery

    if not settings.mail_enabled:
        say(_("no e-mail is sent: BATCHTRACK_SMTP_HOST is not set; the messages wait in the outbox"))
        return
    done = delivery.Courier(settings, database).deliver_due()
    say(_("e-mail: {delivered} delivered, {retried} to retry later, {failed} given up", delivered=done.delivered,
          retried=done.retried, failed=done.failed))


@notify.command("due")
@click.option("--within-hours", type=click.FloatRange(0, 72), default=2.0, show_default=True,
              help="Announce a receipt window that closes within this many hours.")
def notify_due(within_hours: float) -> None:
    """Announce every bag in transit whose receipt window closes soon (each window once, however often this runs),
    then send the outbox."""
    from batchtrack.models.base import utcnow
    from batchtrack.notifications import events

    settings = context.settings()
    database = context.database(settings)
    try:
        context.require_current_schema(database)
        with database.transaction(write=True) as session:
            written = events.receipt_windows(session=session, now=utcnow(), within=timedelta(hours=within_hours))
        say(_("receipt windows: {count} message(s) written", count=written))
        _send(settings, database)
    finally:
        database.dispose()


@notify.command("send")
def notify_send() -> None:
    """Send the messages due in the outbox: first attempts and retries whose wait is over."""
    settings = context.settings()
    database = context.database(settings)
    try:
        context.require_current_schema(database)
        _send(settings, database)
    finally:
        database.dispose()
