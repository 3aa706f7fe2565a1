"""What every command needs first: the settings (refused clearly when wrong), logging and the database."""

from __future__ import annotations

import logging
import sys

import click

from batchtrack import migrate as migrations
from batchtrack.config import Settings, get_settings
from batchtrack.db import Database, make_engine


def configure_logging(settings: Settings) -> None:
    """Log to stderr at the configured level (Alembic's chatter kept at warnings)."""
    logging.basicConfig(level=settings.log_level.upper(), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(max(logging.WARNING, logging.getLogger().level))


def database(settings: Settings) -> Database:
    """The configured database."""
    return Database(make_engine(settings.effective_database_url))


def settings() -> Settings:
    """The settings from the environment; a configuration error ends the command with its reason."""
    try:
        found = get_settings()
    except ValueError as exc:
        raise click.ClickException(f"configuration refused: {exc}") from exc
    configure_logging(found)
    return found


def require_current_schema(db: Database) -> None:
    """End the command unless the database schema is the one this version ships."""
    current, head = migrations.current_revision(db.engine), migrations.shipped_head()
    if current != head:
        raise click.ClickException(
            f"the database schema is at {current or 'nothing (empty database)'}, this version needs {head}: "
            "run `batchtrack migrate` first"
        )
