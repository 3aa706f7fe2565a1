"""Shared table machinery: metadata naming convention, UTC timestamps, enumerations stored as text."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, MetaData, TypeDecorator
from sqlalchemy.engine import Dialect
from sqlmodel import SQLModel

# Stable constraint names, so Alembic migrations name the same thing the same way on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
SQLModel.metadata = MetaData(naming_convention=NAMING_CONVENTION)


# Where "now" comes from: the wall clock, unless a history is being written at the moments it happened (the
# demonstration's therapies over their days). Context-local, so no other thread or request ever sees it; every
# record and every gate reads the same "now", so a gate judges recorded moments exactly as it judges live ones.
_recording_clock: ContextVar[Callable[[], datetime] | None] = ContextVar("recording_clock", default=None)


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC (the recording clock's, inside `recording_clock`)."""
    clock = _recording_clock.get()
    if clock is None:
        return datetime.now(UTC)
    moment = clock()
    if moment > datetime.now(UTC):
        raise ValueError("a recording clock cannot run ahead of the wall clock: nothing is recorded in the future")
    return moment.astimezone(UTC)


@contextmanager
def recording_clock(clock: Callable[[], datetime]) -> Iterator[None]:
    """Within the block, record and judge at the moments `clock` gives (aware, never after the wall clock)."""
    token = _recording_clock.set(clock)
    try:
        yield
    finally:
        _recording_clock.reset(token)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always returned timezone-aware; naive datetimes are refused."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("timestamps must be timezone-aware (batchtrack stores UTC)")
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
