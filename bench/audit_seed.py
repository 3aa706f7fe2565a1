"""Append a long, valid audit chain to a migrated batchtrack database, fast, for measuring verification.

    python bench/audit_seed.py DATABASE_URL ENTRIES

Entries continue the chain from its current head, with hashes computed by `chain.entry_hash`, so the chain
verifies. Contents are realistic in size: actor names, actions, JSON old/new values of about 100-200 bytes.
SQLite gets executemany in large transactions (the migrations' indexes stay in place); PostgreSQL gets COPY.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import db_statistics
from sqlalchemy import Engine

from batchtrack.audit import chain

BATCH = 200_000
_ACTIONS = ("custody.handed_over", "lot.transition", "label.printed", "sample.recorded", "value.corrected")
_ENTITIES = ("lot", "container", "custody_event", "sample", "label_print")
_NAMES = ("Mina Park", "José Álvarez-Núñez", "Test Operator", "Zoë Ødegaard", "Philomena Zwierzynska")
_COLUMNS = ("seq", "occurred_at", "actor_id", "actor_name", "action", "entity_type", "entity_id", "old_values",
            "new_values", "reason", "prev_hash", "hash")


def _head(connection: Any) -> tuple[int, str, list[int]]:
    cursor = connection.cursor()
    cursor.execute("SELECT seq, hash FROM audit_entry ORDER BY seq DESC LIMIT 1")
    head = cursor.fetchone()
    cursor.execute("SELECT id FROM app_user ORDER BY id")
    users = [int(row[0]) for row in cursor.fetchall()]
    cursor.close()
    return (int(head[0]), str(head[1]), users) if head else (0, chain.GENESIS_HASH, users)


def _entries(start_seq: int, prev_hash: str, count: int, users: list[int]) -> Iterator[tuple[chain.EntryContent, str]]:
    """Synthetic entries continuing a chain, each with its hash."""
    moment = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
    step = timedelta(microseconds=1_234_567)
    for i in range(count):
        seq = start_seq + i
        moment += step
        lot = f"W0000{26000000 + seq // 40:08d}"
        volume = seq % 500 / 4
        # Canonical JSON written out directly (keys sorted, no spaces): json.dumps per entry would dominate.
        old = (f'{{"container":"{lot}-{seq % 7}","location":"cleanroom B / incubator 3","state":"in_process",'
               f'"volume_ml":{volume}}}')
        new = (f'{{"container":"{lot}-{seq % 7}","location":"cleanroom B / cold room 1",'
               f'"note":"{"moved after count" if seq % 3 else ""}","state":"quarantine","volume_ml":{volume}}}')
        content = chain.EntryContent(
            seq=seq, occurred_at=moment, actor_id=users[seq % len(users)] if users and seq % 3 else None,
            actor_name=_NAMES[seq % len(_NAMES)], action=_ACTIONS[seq % len(_ACTIONS)],
            entity_type=_ENTITIES[seq % len(_ENTITIES)], entity_id=lot, old_values=old, new_values=new,
            reason="" if seq % 11 else "re-count after calibration", prev_hash=prev_hash,
        )
        prev_hash = chain.entry_hash(content)
        yield content, prev_hash


def _rows(start_seq: int, prev_hash: str, count: int, users: list[int], sqlite: bool) -> Iterator[tuple[Any, ...]]:
    for content, entry_hash in _entries(start_seq, prev_hash, count, users):
        # SQLite holds naive UTC text exactly as UTCDateTime writes it; PostgreSQL gets an aware timestamp.
        moment: Any = content.occurred_at.strftime("%Y-%m-%d %H:%M:%S.%f") if sqlite else content.occurred_at
        yield (content.seq, moment, content.actor_id, content.actor_name, content.action, content.entity_type,
               content.entity_id, content.old_values, content.new_values, content.reason, content.prev_hash,
               entry_hash)


def seed_audit(engine: Engine, entries: int, progress: Callable[[int], None] | None = None) -> None:
    """Append `entries` valid synthetic entries to the chain of a migrated database, then its statistics."""
    proxy = engine.raw_connection()
    connection: Any = proxy.driver_connection
    try:
        head_seq, head_hash, users = _head(connection)
        sqlite = engine.dialect.name == "sqlite"
        if sqlite:
            if connection.in_transaction:
                connection.execute("COMMIT")
            # The unique indexes on hash and prev_hash take random keys: a page cache large enough to hold them
            # (about 200 bytes per entry over all indexes; up to 4 GiB) keeps the inserts from going to disk. A
            # scratch database need not survive a power cut while it is filled.
            cache_kib = min(4 * 1024 * 1024, max(262_144, (head_seq + entries) // 5))
            connection.execute(f"PRAGMA cache_size=-{cache_kib}")
            connection.execute("PRAGMA synchronous=OFF")
        rows = _rows(head_seq + 1, head_hash, entries, users, sqlite)
        done = 0
        while done < entries:
            batch = min(BATCH, entries - done)
            chunk = [next(rows) for _ in range(batch)]
            if sqlite:
                connection.execute("BEGIN IMMEDIATE")
                connection.executemany(
                    f"INSERT INTO audit_entry ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))})",
                    chunk)
                connection.execute("COMMIT")
            else:
                with connection.cursor() as cursor, cursor.copy(
                        f"COPY audit_entry ({', '.join(_COLUMNS)}) FROM STDIN") as copy:
                    for row in chunk:
                        copy.write_row(row)
                connection.commit()
            done += batch
            if progress is not None:
                progress(batch)
    finally:
        if engine.dialect.name == "sqlite":
            connection.execute("PRAGMA cache_size=-2000")  # back to SQLite's default before the pool takes it
            connection.execute("PRAGMA synchronous=FULL")  # as batchtrack.db sets it
        proxy.close()
    db_statistics.vacuum_analyze(engine)


def main() -> None:
    """Seed the database named on the command line."""
    from batchtrack import migrate
    from batchtrack.db import make_engine

    url, entries = sys.argv[1], int(sys.argv[2])
    engine = make_engine(url)
    migrate.upgrade(engine)
    started = time.perf_counter()
    seed_audit(engine, entries, progress=lambda n: print(".", end="", flush=True, file=sys.stderr))
    elapsed = time.perf_counter() - started
    print(f"\nseeded {entries} entries in {elapsed:.1f} s ({entries / elapsed:,.0f}/s)")
    engine.dispose()


if __name__ == "__main__":
    main()
