"""Database engine and sessions: SQLite (WAL) by default, PostgreSQL through BATCHTRACK_DATABASE_URL."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT_MS = 30_000


def normalise_url(url: str) -> str:
    """Route PostgreSQL URLs to the psycopg 3 driver."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def is_sqlite(engine: Engine) -> bool:
    """Tell whether the engine talks to SQLite."""
    return engine.dialect.name == "sqlite"


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine with the pragmas and transaction behaviour batchtrack relies on."""
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, **_pool_args(kwargs))
        _configure_sqlite(engine)
    else:
        engine = create_engine(url, pool_pre_ping=True, **_pool_args(kwargs))
    return engine


def _pool_args(kwargs: dict[str, Any]) -> dict[str, Any]:
    # As many connections as the request thread pool has threads (40): a request holds at most one at a time,
    # so no thread ever waits for a connection that only another waiting thread could give back. All of them
    # are kept once opened (no overflow): an overflow connection is closed as soon as it is returned, and under
    # steady load opening it again (a new PostgreSQL backend; WAL set-up on SQLite) cost more than the request.
    # Connections are opened on demand, so an idle process holds only what it has needed at once.
    if kwargs.get("poolclass") is None and "isolation_level" not in kwargs:
        kwargs.setdefault("pool_size", 40)
        kwargs.setdefault("max_overflow", 0)
        kwargs.setdefault("pool_timeout", 10)
    return kwargs


def _configure_sqlite(engine: Engine) -> None:
    """WAL, foreign keys, busy timeout and durable commits; explicit BEGIN so writers take the lock first."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite's own transaction handling is off).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # A write transaction starts with the write lock (BEGIN IMMEDIATE): a deferred transaction that later
        # upgrades could fail with "database is locked" instead of waiting its turn.
        mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
        # Straight to the driver: BEGIN needs none of the statement machinery, and every transaction starts here.
        connection.connection.driver_connection.execute(f"BEGIN {mode}")


class Database:
    """One engine and its session factories: read sessions and write sessions."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        write_bind = engine.execution_options(sqlite_begin="IMMEDIATE") if is_sqlite(engine) else engine
        self._reader = sessionmaker(bind=engine, expire_on_commit=False)
        self._writer = sessionmaker(bind=write_bind, expire_on_commit=False)

    def session(self, *, write: bool) -> Session:
        """Open a session; write sessions serialise on SQLite by taking the write lock at BEGIN."""
        return (self._writer if write else self._reader)()

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[Session]:
        """Run a block in one transaction: commit at the end, roll back on any exception."""
        session = self.session(write=write)
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()
