"""Helpers of the backup tests: an empty database to restore into, and entries appended through the service."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from batchtrack.audit import service as audit_service
from batchtrack.auth.principal import SYSTEM
from batchtrack.db import Database, make_engine, normalise_url


@pytest.fixture
def append_entries(database: Database) -> Callable[[int, str], None]:
    """append_entries(n, tag): append n audit entries about entity `tag`."""

    def append(count: int, tag: str) -> None:
        with database.transaction() as session:
            for i in range(count):
                audit_service.record(session=session, actor=SYSTEM, action="test.event", entity_type="test",
                                     entity_id=f"{tag}-{i}", new={"tag": tag, "i": i}, reason="test")

    return append


@pytest.fixture
def empty_target_url(db_url: str, tmp_path: Path) -> Iterator[str]:
    """The URL of a database that does not exist yet (SQLite) or exists with nothing in it (PostgreSQL)."""
    if not db_url.startswith("postgresql"):
        yield f"sqlite:///{tmp_path / 'restored' / 'batchtrack.sqlite3'}"
        return
    url = make_url(normalise_url(db_url))
    admin = make_engine(url.set(database="postgres").render_as_string(hide_password=False),
                        isolation_level="AUTOCOMMIT")
    name = f"bt_restore_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
