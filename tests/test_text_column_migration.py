"""Migration 0010 on a database already in use: the text columns widen with every row, append-only trigger and
reference kept, the longest reason then fits, and a downgrade that would cut a stored reason changes nothing."""

from __future__ import annotations

import pytest
from alembic import command
from document_builders import filler
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import select

from batchtrack import migrate
from batchtrack.auth.principal import SYSTEM
from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.labels import service as label_service
from batchtrack.models.label import Label

from builders import seed_lot

BEFORE = "20261207_0009"
LONGEST_REASON = filler(4000, "hangul")


def _migrate(database: Database, revision: str, *, down: bool = False) -> None:
    config = migrate.alembic_config(database.engine)
    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, revision)


def _rows(database: Database) -> dict[str, int]:
    with database.engine.connect() as connection:
        names = connection.dialect.get_table_names(connection)
        quote = connection.dialect.identifier_preparer.quote
        return {name: connection.exec_driver_sql(f"SELECT count(*) FROM {quote(name)}").scalar_one()
                for name in names}


def _destroy_with_the_longest_reason(database: Database) -> int:
    with database.transaction() as session:
        label = session.execute(select(Label)).scalars().first()
        assert label is not None and label.id is not None
        label_service.close_label(session=session, actor=SYSTEM, label_id=label.id, status="destroyed",
                                  reason=LONGEST_REASON)
        return label.id


def _closed_reason(database: Database, label_id: int) -> str:
    with database.transaction(write=False) as session:
        label = session.get(Label, label_id)
        assert label is not None
        return label.closed_reason


def test_widening_a_database_in_use_keeps_its_rows_triggers_and_references(
    database: Database, settings: Settings, is_postgres: bool
) -> None:
    # Seeded by today's services, then taken down to the revision before the widening: a recipient, an
    # allergy-free enrolment, a collection, a label print, a receipt, in the tables as they stood then.
    seed_lot(database, settings)
    _migrate(database, BEFORE, down=True)
    rows = _rows(database)
    _migrate(database, "head")
    assert migrate.is_current(database.engine)
    after = _rows(database)  # with the tables of later revisions besides
    assert {name: after[name] for name in rows} == rows
    with pytest.raises(DBAPIError), database.transaction() as session:
        session.execute(text("UPDATE label_print SET reprint_reason = 'rewritten'"))
    if not is_postgres:
        with database.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA foreign_key_check").all() == []
            assert connection.exec_driver_sql("PRAGMA integrity_check").scalars().all() == ["ok"]
    label_id = _destroy_with_the_longest_reason(database)
    assert _closed_reason(database, label_id) == LONGEST_REASON


def test_a_downgrade_keeps_every_stored_reason_whole(database: Database, settings: Settings, is_postgres: bool) -> None:
    seed_lot(database, settings)
    label_id = _destroy_with_the_longest_reason(database)
    if is_postgres:
        # The old column would cut the reason: PostgreSQL refuses, and the whole downgrade is undone.
        with pytest.raises(DBAPIError, match="too long"):
            _migrate(database, BEFORE, down=True)
        assert migrate.is_current(database.engine)
    else:
        _migrate(database, BEFORE, down=True)  # SQLite keeps a text of any length whatever the declared type
        assert migrate.current_revision(database.engine) == BEFORE
    assert _closed_reason(database, label_id) == LONGEST_REASON
