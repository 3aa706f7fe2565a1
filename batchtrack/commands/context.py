"""What every command needs first: the settings (refused clearly when wrong), logging and the database."""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime

from batchtrack import migrate as migrations
from batchtrack.commands.language import Refused
from batchtrack.config import Settings, get_settings
from batchtrack.db import Database, make_engine_for
from batchtrack.i18n import moments
from batchtrack.i18n.text import _


def configure_logging(settings: Settings) -> None:
    """Log to stderr at the configured level (Alembic's chatter kept at warnings)."""
    logging.basicConfig(level=settings.log_level.upper(), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(max(logging.WARNING, logging.getLogger().level))


def database(settings: Settings) -> Database:
    """The configured database."""
    return Database(make_engine_for(settings))


def settings() -> Settings:
    """The settings from the environment; a configuration error ends the command with its reason."""
    try:
        found = get_settings()
    except ValueError as exc:
        raise Refused(_("configuration refused: {problem}", problem=str(exc))) from exc
    configure_logging(found)
    return found


def require_current_schema(db: Database) -> None:
    """End the command unless the database schema is the one this version ships."""
    current, head = migrations.current_revision(db.engine), migrations.shipped_head()
    if current != head:
        raise Refused(_("the database schema is at {current}, this version needs {head}: "
                        "run `batchtrack migrate` first", current=current or _("nothing (empty database)"), head=head))


def local_time(moment: datetime, settings: Settings) -> str:
    """`moment` in the site's time zone, with its zone: "2026-12-08 12:02 KST" (stored times are UTC)."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return moments.minute(aware, settings.zone)
