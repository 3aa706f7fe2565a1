"""Database engine and sessions: SQLite (WAL) by default, PostgreSQL through BATCHTRACK_DATABASE_URL."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Connection, Engine, Select, create_engine, event
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.exc import MultipleResultsFound
from sqlalchemy.orm import Session, sessionmaker

from batchtrack.config import Settings

log = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT_MS = 30_000
REQUEST_THREADS = 40  # the request thread pool's (AnyIO's default)
SCAN_THREADS = 4


def normalise_url(url: str) -> str:
    """Route PostgreSQL URLs to the psycopg 3 driver."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def is_sqlite(engine: Engine) -> bool:
    """Tell whether the engine talks to SQLite."""
    return engine.dialect.name == "sqlite"


def make_engine_for(settings: Settings) -> Engine:
    """The installation's engine: its database, its pool's size, and prepared statements as its pooler allows."""
    return make_engine(settings.effective_database_url, pool_size=settings.database_pool_size,
                       max_overflow=settings.database_pool_overflow,
                       prepared_statements=settings.database_prepared_statements)


def make_engine(url: str, *, prepared_statements: bool = True, **kwargs: Any) -> Engine:
    """Create an engine with the pragmas and transaction behaviour batchtrack relies on.

    `prepared_statements=False` keeps psycopg from preparing statements on the PostgreSQL server (for PgBouncer's
    transaction mode, where the next transaction may run on another server connection).
    """
    url = normalise_url(url)
    # Statement values (patients' names, MRNs) are kept out of error messages and SQL logging.
    kwargs.setdefault("hide_parameters", True)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, **_pool_args(kwargs))
        _configure_sqlite(engine)
    else:
        if not prepared_statements:
            kwargs["connect_args"] = {**kwargs.get("connect_args", {}), "prepare_threshold": None}
        engine = create_engine(url, pool_pre_ping=True, **_pool_args(kwargs))
    return engine


def _pool_args(kwargs: dict[str, Any]) -> dict[str, Any]:
    # As many connections as there are threads that hold one: the request thread pool's 40, and the scan route's
    # own threads (two judging, two recording refusals; see scanning/judging.py). Each holds at most one at a time,
    # so no thread ever waits for a connection that only another waiting thread could give back. All of them
    # are kept once opened (no overflow): an overflow connection is closed as soon as it is returned, and under
    # steady load opening it again (a new PostgreSQL backend; WAL set-up on SQLite) cost more than the request.
    # Connections are opened on demand, so an idle process holds only what it has needed at once. An installation
    # sizes its pool with settings (see make_engine_for and the README's sizing rule).
    if kwargs.get("poolclass") is None and "isolation_level" not in kwargs:
        kwargs.setdefault("pool_size", REQUEST_THREADS + SCAN_THREADS)
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


# Key of Session.info under which a transaction lists why it wants an audit checkpoint once committed.
CHECKPOINT_REASONS = "batchtrack.checkpoint_reasons"


def checkpoint_after_commit(session: Session, reason: str) -> None:
    """Ask for an audit checkpoint once this session's transaction has committed (never if it rolls back)."""
    session.info.setdefault(CHECKPOINT_REASONS, []).append(reason)


class Database:
    """One engine and its session factories: read sessions and write sessions."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        # Called once a transaction that asked for audit checkpoints has committed (see `committed`); set by the
        # application and the command line to their anchor's writer. None: nothing is checkpointed.
        self.checkpoint: Callable[[str], None] | None = None
        self._write_bind = engine.execution_options(sqlite_begin="IMMEDIATE") if is_sqlite(engine) else engine
        self._reader = sessionmaker(bind=engine, expire_on_commit=False)
        self._writer = sessionmaker(bind=self._write_bind, expire_on_commit=False)

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
        self.committed(session)

    def committed(self, session: Session) -> None:
        """After a commit: write the audit checkpoints the transaction asked for (a release, an infusion)."""
        reasons = session.info.pop(CHECKPOINT_REASONS, None)
        if reasons and self.checkpoint is not None:
            self.checkpoint("; ".join(reasons))

    @contextmanager
    def write_connection(self) -> Iterator[Connection]:
        """A plain connection in one write transaction, for Core statements only: commit at the end, roll back on
        any exception. On SQLite the write lock is taken at BEGIN, as for a write session."""
        with self._write_bind.begin() as connection:
            yield connection

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


@dataclass(frozen=True, slots=True)
class _Compiled:
    sql: str
    names: tuple[str, ...] | None  # the parameters' order for a positional paramstyle; None: by name
    converters: tuple[tuple[int, Callable[[Any], Any]], ...]  # (column index, result processor)


class Lookup:
    """A read statement of a hot path, run on the driver's own cursor inside a SQLAlchemy transaction.

    Executing a statement through SQLAlchemy costs some 50-80 us of Python per call even when its compiled form
    is cached (execution context, events, result metadata); the query itself takes a tenth of that. A lookup is
    compiled once per dialect, its parameters passed in the driver's order and its columns converted by the
    same result processors SQLAlchemy applies (a UTC datetime stays a UTC datetime). The transaction, the pool,
    its pre-ping and the rollback on error stay SQLAlchemy's: only the statement goes straight to the driver.
    For statements without bind processors (plain strings and integers), which compiling checks.
    """

    def __init__(self, statement: Select[Any]) -> None:
        self.statement = statement
        self._compiled: WeakKeyDictionary[Dialect, _Compiled] = WeakKeyDictionary()

    def _compile(self, dialect: Dialect) -> _Compiled:
        compiled = self.statement.compile(dialect=dialect)
        if any(bind.type.dialect_impl(dialect).bind_processor(dialect) is not None
               for bind in compiled.binds.values()):
            raise TypeError("a Lookup passes its parameters unconverted: use plain statement execution")
        converters = tuple(
            (index, processor) for index, column in enumerate(self.statement.selected_columns)
            if (processor := column.type.dialect_impl(dialect).result_processor(dialect, None)) is not None
        )
        names = tuple(compiled.positiontup) if compiled.positional and compiled.positiontup else None
        return _Compiled(compiled.string, names, converters)

    def rows(self, reader: Session | Connection, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        """Every row, as plain tuples, in the reader's transaction."""
        if isinstance(reader, Session):
            # Through the session, which first flushes what it holds: a service may look up what it just added.
            return [tuple(row) for row in reader.execute(self.statement, params)]
        connection = reader
        dialect = connection.dialect
        compiled = self._compiled.get(dialect)
        if compiled is None:
            compiled = self._compiled[dialect] = self._compile(dialect)
        arguments = params if compiled.names is None else tuple(params[name] for name in compiled.names)
        cursor = connection.connection.cursor()
        try:
            cursor.execute(compiled.sql, arguments)
            found = cursor.fetchall()
        finally:
            cursor.close()
        if not compiled.converters:
            return [tuple(row) for row in found]
        converted = []
        for row in found:
            values = list(row)
            for index, processor in compiled.converters:
                values[index] = processor(values[index])
            converted.append(tuple(values))
        return converted

    def one_or_none(self, reader: Session | Connection, params: Mapping[str, Any]) -> tuple[Any, ...] | None:
        """The one row, None when there is none; MultipleResultsFound when there are several (as SQLAlchemy)."""
        found = self.rows(reader, params)
        if len(found) > 1:
            raise MultipleResultsFound("a lookup meant to find at most one row found several")
        return found[0] if found else None
