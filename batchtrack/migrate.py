"""Running the Alembic migrations shipped with batchtrack, and checking the schema is current."""

from __future__ import annotations

from functools import lru_cache

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from batchtrack.resources import resource_dir


def alembic_config(engine: Engine) -> Config:
    """An Alembic configuration pointing at the shipped migrations and this engine's database."""
    config = Config()
    config.set_main_option("script_location", str(resource_dir("migrations")))
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%"))
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Upgrade the database schema to `revision` (default: the newest)."""
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None for an empty database."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


@lru_cache(maxsize=1)
def shipped_head() -> str | None:
    """The newest revision this installation ships."""
    return ScriptDirectory(str(resource_dir("migrations"))).get_current_head()


def is_current(engine: Engine) -> bool:
    """True when the database schema is at the newest shipped revision."""
    return current_revision(engine) == shipped_head()
