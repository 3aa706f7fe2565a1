"""The migrations build exactly the schema the models describe, on SQLite and on PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

import batchtrack.models
from batchtrack import migrate
from batchtrack.db import Database


def test_autogenerate_finds_no_difference_between_migrations_and_models(database: Database) -> None:
    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, batchtrack.models.metadata)
    assert differences == []


def test_the_test_database_is_at_the_shipped_head(database: Database) -> None:
    assert migrate.is_current(database.engine)
    assert migrate.current_revision(database.engine) == migrate.shipped_head()


def test_migrating_again_is_harmless(database: Database) -> None:
    migrate.upgrade(database.engine)
    assert migrate.is_current(database.engine)
