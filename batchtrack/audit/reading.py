"""Reading audit entries fast, straight through the database driver (no SQLAlchemy on the hot path).

What is hashed is defined once, by `chain.hashed_fields`; the SQL below has the database assemble that same text,
and tests/audit prove the two agree for arbitrary contents. Whenever the database cannot produce the text exactly
(a timestamp stored in an unusual shape, a year before 1000) it yields NULL and the entry is rebuilt the way
the ORM reads it, so the verdict is always the one `chain.verify` gives over ORM objects.

Worker processes import this module alone, so it imports nothing heavy until it must.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from batchtrack.audit import chain, segments

FETCH_BATCH = 20_000
_TAIL = ("actor_name", "action", "entity_type", "entity_id", "old_values", "new_values", "reason", "prev_hash")

# SQLite holds the timestamp as UTCDateTime writes it: "YYYY-MM-DD HH:MM:SS.ffffff" (UTC). Only that exact
# shape, with a year from 1000 (where Python's %Y pads no further), is formatted here.
_SQLITE_SHAPE = "[1-9]" + "[0-9]" * 3 + "-[0-9][0-9]-[0-9][0-9] [0-9][0-9]:[0-9][0-9]:[0-9][0-9]." + "[0-9]" * 6
_SQLITE_TEXT = (
    f"CASE WHEN occurred_at GLOB '{_SQLITE_SHAPE}' AND typeof(seq) = 'integer' THEN "
    "seq || char(31) || substr(occurred_at, 1, 10) || 'T' || substr(occurred_at, 12) || 'Z' || char(31) "
    "|| coalesce(actor_id, '') || " + " || ".join(f"char(31) || {c}" for c in _TAIL) + " END"
)
# The statements are assembled from the fixed column names above only: no value is ever spliced in.
SQLITE_RANGE = f"SELECT seq, prev_hash, hash, {_SQLITE_TEXT} FROM audit_entry WHERE seq BETWEEN ? AND ? ORDER BY seq"  # noqa: S608

# concat() renders NULL as the empty string, as the hash does for a missing actor.
_PG_TEXT = (
    "CASE WHEN occurred_at >= TIMESTAMPTZ '1000-01-01 00:00:00+00' THEN concat(seq, E'\\x1f', "
    "to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), E'\\x1f', actor_id, "
    + ", ".join(f"E'\\x1f', {c}" for c in _TAIL) + ") END"
)
PG_RANGE = f"SELECT seq, prev_hash, hash, {_PG_TEXT} FROM audit_entry WHERE seq BETWEEN %s AND %s ORDER BY seq"  # noqa: S608

_ROW_COLUMNS = "seq, occurred_at, actor_id, " + ", ".join(_TAIL)
SQLITE_ROW = f"SELECT {_ROW_COLUMNS} FROM audit_entry WHERE seq = ?"  # noqa: S608
PG_ROW = f"SELECT {_ROW_COLUMNS} FROM audit_entry WHERE seq = %s"  # noqa: S608
_SNAPSHOT_ID = re.compile(r"^[0-9A-Fa-f-]{1,64}$")


def _is_postgres(dialect: str) -> bool:
    return dialect == "postgresql"


def bounds(connection: Any, dialect: str) -> tuple[int, int] | None:
    """The lowest and highest seq in the chain, or None when it is empty."""
    cursor = connection.cursor()
    try:
        cursor.execute("SELECT min(seq), max(seq) FROM audit_entry")
        low, high = cursor.fetchone()
    finally:
        cursor.close()
    return None if low is None else (int(low), int(high))


def _fallback(connection: Any, dialect: str) -> Callable[[int], str]:
    """Rebuild one entry's hashed text as the ORM would read it (the database could not format it)."""

    def hashed_text(seq: int) -> str:
        cursor = connection.cursor()
        try:
            cursor.execute(PG_ROW if _is_postgres(dialect) else SQLITE_ROW, (seq,))
            row = cursor.fetchone()
        finally:
            cursor.close()
        occurred_at = row[1] if isinstance(row[1], datetime) else _sqlite_moment(row[1])
        if occurred_at is None:
            return ""  # unreadable timestamp: no text can match the stored hash
        content = chain.EntryContent(row[0], occurred_at, row[2], *row[3:])
        return chain.hashed_text(content)

    return hashed_text


def _sqlite_moment(value: str) -> datetime | None:
    # Exactly how the ORM reads an SQLite timestamp: the fallback must judge what the ORM would have seen.
    from sqlalchemy.dialects.sqlite import DATETIME, dialect

    parse = DATETIME().result_processor(dialect(), None)  # type: ignore[no-untyped-call]
    try:
        parsed = parse(value) if parse else None
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if isinstance(parsed, datetime) else None


def scan_range(connection: Any, dialect: str, low: int, high: int) -> segments.Segment:
    """Walk the entries with low <= seq <= high on a DB-API connection, in its current transaction."""
    if _is_postgres(dialect):
        # A server-side cursor: rows arrive batch by batch instead of all at once.
        cursor = connection.cursor(name=f"audit_verify_{low}_{high}")
        sql = PG_RANGE
    else:
        cursor = connection.cursor()
        sql = SQLITE_RANGE
    try:
        cursor.execute(sql, (low, high))
        rows = itertools.chain.from_iterable(iter(lambda: cursor.fetchmany(FETCH_BATCH), []))
        return segments.scan(rows, _fallback(connection, dialect))
    finally:
        cursor.close()




def begin_read(connection: Any, dialect: str, snapshot: str | None) -> None:
    """Start a read transaction: repeatable read on PostgreSQL (in `snapshot` if given), a plain BEGIN on SQLite."""
    if _is_postgres(dialect):
        cursor = connection.cursor()
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        if snapshot is not None:
            if not _SNAPSHOT_ID.fullmatch(snapshot):
                raise ValueError(f"not a snapshot id: {snapshot!r}")
            cursor.execute(f"SET TRANSACTION SNAPSHOT '{snapshot}'")
        cursor.close()
    else:
        # pysqlite runs in autocommit here (batchtrack issues BEGIN itself): one read transaction, one snapshot.
        connection.execute("BEGIN")


def end_read(connection: Any, dialect: str) -> None:
    """End the read transaction begun by `begin_read`."""
    if _is_postgres(dialect):
        connection.rollback()
    elif connection.in_transaction:
        connection.execute("ROLLBACK")


def connect(target: dict[str, str]) -> tuple[Any, str]:
    """A driver connection for a worker, to {"sqlite": path} or {"postgresql": libpq URL}, and its dialect."""
    if "sqlite" in target:
        import sqlite3

        # Autocommit at the driver (transactions are begun explicitly), and wait for a writer's lock as the
        # application does.
        return sqlite3.connect(target["sqlite"], timeout=30, isolation_level=None), "sqlite"
    import psycopg

    return psycopg.connect(target["postgresql"]), "postgresql"
