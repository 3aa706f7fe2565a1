"""Append a long, valid audit chain to a migrated batchtrack database, fast, for measuring verification.

    python bench/audit_seed.py DATABASE_URL ENTRIES [FOLDER]

`ChainWriter` continues the chain from its current head with hashes computed by `chain.entry_hash`, so the chain
verifies, and writes the checkpoints a server would (one `audit.checkpoint` entry every 1,000 entries, with its
signed line in the log of `checkpoint_seed.SeededLog`). SQLite gets executemany in large transactions (the
migrations' indexes stay in place); PostgreSQL gets COPY. `seed_audit` fills the chain with synthetic entries of
realistic size (actor names, actions, JSON old/new values of about 100-200 bytes) whose actions set no state and
record no custody or signature (values recorded, results entered, scans refused, corrections), so the records'
checks find nothing in them to compare.
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any, NamedTuple

import db_statistics
from checkpoint_seed import SeededLog
from sqlalchemy import Engine

from batchtrack.audit import chain

BATCH = 200_000
# Filler: (action, entity type) of entries that set no record's state (see state_check.STATE_RULES).
_KINDS = (("step.value_recorded", "lot"), ("qc.result_entered", "lot"), ("scan.refused", "station"),
          ("step.material_used", "lot"), ("value.corrected", "lot"))
_NAMES = ("Mina Park", "José Álvarez-Núñez", "Test Operator", "Zoë Ødegaard", "Philomena Zwierzynska")
_COLUMNS = ("seq", "occurred_at", "actor_id", "actor_name", "action", "entity_type", "entity_id", "old_values",
            "new_values", "reason", "prev_hash", "hash")
_START = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
_STEP = timedelta(microseconds=1_234_567)


class Draft(NamedTuple):
    """An entry to append, before its place in the chain (seq, time, previous hash) is known."""

    actor_id: int | None
    actor_name: str
    action: str
    entity_type: str
    entity_id: str
    old_values: str
    new_values: str
    reason: str = ""


class ChainWriter:
    """Appends drafts to the chain of a migrated database, with the checkpoints a server would write.

    Use as a context manager: it holds one raw connection (on SQLite with a large page cache and no fsync while
    it fills a scratch database) and appends the lines of committed checkpoints to the log as it commits."""

    def __init__(self, engine: Engine, log: SeededLog | None) -> None:
        self.engine, self.log = engine, log
        self.sqlite = engine.dialect.name == "sqlite"
        self.seq, self.prev_hash, self.users = 0, chain.GENESIS_HASH, []
        self._batch: list[tuple[Any, ...]] = []

    def __enter__(self) -> ChainWriter:
        self._proxy = self.engine.raw_connection()
        self._connection: Any = self._proxy.driver_connection
        self.seq, self.prev_hash, self.users = _head(self._connection)
        if self.sqlite:
            if self._connection.in_transaction:
                self._connection.execute("COMMIT")
            # The unique indexes on hash and prev_hash take random keys: a page cache large enough to hold them
            # (about 200 bytes per entry over all indexes; up to 4 GiB) keeps the inserts from going to disk. A
            # scratch database need not survive a power cut while it is filled.
            cache_kib = min(4 * 1024 * 1024, max(262_144, (self.seq + 10_000_000) // 5))
            self._connection.execute(f"PRAGMA cache_size=-{cache_kib}")
            self._connection.execute("PRAGMA synchronous=OFF")
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        try:
            if kind is None:
                self.commit()
        finally:
            if self.sqlite:
                self._connection.execute("PRAGMA cache_size=-2000")  # SQLite's default, before the pool takes it
                self._connection.execute("PRAGMA synchronous=FULL")  # as batchtrack.db sets it
            self._proxy.close()

    def moment(self, seq: int) -> datetime:
        """When entry `seq` happened on the synthetic timeline (a little over a second apart)."""
        return _START + _STEP * seq

    def append(self, drafts: Iterable[Draft]) -> int:
        """Append the drafts (and the checkpoints that fall due among them); how many entries were written."""
        before = self.seq
        for draft in drafts:
            self.checkpoint_if_due()
            self.add(draft)
        return self.seq - before

    def checkpoint_if_due(self) -> bool:
        """Append a checkpoint entry (its line follows the commit) if one is due next; whether one was."""
        if self.log is None or not self.log.due(self.seq + 1):
            return False
        content = self.log.entry(self.seq + 1, self.moment(self.seq + 1), self.prev_hash)
        self.log.signed(content, self._add(content))
        return True

    def add(self, draft: Draft) -> None:
        """Append one draft as the next entry."""
        self._add(chain.EntryContent(self.seq + 1, self.moment(self.seq + 1), *draft[:7], reason=draft.reason,
                                     prev_hash=self.prev_hash))

    def _add(self, content: chain.EntryContent) -> str:
        entry_hash = chain.entry_hash(content)
        # SQLite holds naive UTC text exactly as UTCDateTime writes it; PostgreSQL gets an aware timestamp.
        moment: Any = content.occurred_at.strftime("%Y-%m-%d %H:%M:%S.%f") if self.sqlite else content.occurred_at
        self._batch.append((content.seq, moment, content.actor_id, content.actor_name, content.action,
                            content.entity_type, content.entity_id, content.old_values, content.new_values,
                            content.reason, content.prev_hash, entry_hash))
        self.seq, self.prev_hash = content.seq, entry_hash
        if len(self._batch) >= BATCH:
            self.commit()
        return entry_hash

    def commit(self) -> None:
        """Write the entries held, commit, then append their checkpoints' lines to the log."""
        if self._batch:
            if self.sqlite:
                self._connection.execute("BEGIN IMMEDIATE")
                self._connection.executemany(
                    f"INSERT INTO audit_entry ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))})",
                    self._batch)
                self._connection.execute("COMMIT")
            else:
                with self._connection.cursor() as cursor, cursor.copy(
                        f"COPY audit_entry ({', '.join(_COLUMNS)}) FROM STDIN") as copy:
                    for row in self._batch:
                        copy.write_row(row)
                self._connection.commit()
            self._batch.clear()
        if self.log is not None:
            self.log.flush()


def _head(connection: Any) -> tuple[int, str, list[int]]:
    cursor = connection.cursor()
    cursor.execute("SELECT seq, hash FROM audit_entry ORDER BY seq DESC LIMIT 1")
    head = cursor.fetchone()
    cursor.execute("SELECT id FROM app_user ORDER BY id")
    users = [int(row[0]) for row in cursor.fetchall()]
    cursor.close()
    return (int(head[0]), str(head[1]), users) if head else (0, chain.GENESIS_HASH, users)


def _filler(seq: int, users: list[int]) -> Draft:
    """A synthetic entry of realistic size (its number picks actor, action and values)."""
    lot = f"W0000{26000000 + seq // 40:08d}"
    volume = seq % 500 / 4
    action, entity_type = _KINDS[seq % len(_KINDS)]
    # Canonical JSON written out directly (keys sorted, no spaces): json.dumps per entry would dominate.
    old = (f'{{"container":"{lot}-{seq % 7}","location":"cleanroom B / incubator 3","stage":"in_process",'
           f'"volume_ml":{volume}}}')
    new = (f'{{"container":"{lot}-{seq % 7}","location":"cleanroom B / cold room 1",'
           f'"note":"{"moved after count" if seq % 3 else ""}","stage":"quarantine","volume_ml":{volume}}}')
    return Draft(users[seq % len(users)] if users and seq % 3 else None, _NAMES[seq % len(_NAMES)], action,
                 entity_type, f"STATION-{seq % 12:02d}" if entity_type == "station" else lot, old, new,
                 "" if seq % 11 else "re-count after calibration")


def seed_audit(engine: Engine, entries: int, *, log: SeededLog | None = None,
               progress: Callable[[int], None] | None = None) -> int:
    """Append `entries` entries (synthetic ones and the checkpoints due among them) to the chain of a migrated
    database, then bring its statistics up to date; the chain's length after."""
    with ChainWriter(engine, log) as writer:
        target, reported = writer.seq + entries, writer.seq
        while writer.seq < target:
            if not writer.checkpoint_if_due():
                writer.add(_filler(writer.seq + 1, writer.users))
            if progress is not None and (writer.seq - reported >= BATCH or writer.seq == target):
                progress(writer.seq - reported)
                reported = writer.seq
        head = writer.seq
    db_statistics.vacuum_analyze(engine)
    return head


def main() -> None:
    """Seed the database named on the command line (checkpoint log and key in FOLDER, else a temporary one)."""
    from batchtrack import migrate
    from batchtrack.db import make_engine

    url, entries = sys.argv[1], int(sys.argv[2])
    folder = Path(sys.argv[3]) if len(sys.argv) > 3 else Path(tempfile.mkdtemp(prefix="bt_audit_"))
    engine = make_engine(url)
    migrate.upgrade(engine)
    started = time.perf_counter()
    seed_audit(engine, entries, log=SeededLog(folder),
               progress=lambda n: print(".", end="", flush=True, file=sys.stderr))
    elapsed = time.perf_counter() - started
    print(f"\nseeded {entries} entries in {elapsed:.1f} s ({entries / elapsed:,.0f}/s); checkpoint log in {folder}")
    engine.dispose()


if __name__ == "__main__":
    main()
