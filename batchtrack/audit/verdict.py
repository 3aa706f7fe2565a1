"""A full verification of the records: the chain, its checkpoints, every signature, every state, every custody
event. What `batchtrack audit verify` runs and reports.

The chain walk (worker processes, see `verification`) and the checks of records (one thread here, a few
set-based queries each) run side by side; the comparison with the checkpoint log follows the walk.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Connection, Table, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from batchtrack.audit import anchor_check, chain, checkpoint_log, signature_check, state_check, verification
from batchtrack.audit.anchoring import CHECKPOINT_ACTION
from batchtrack.audit.checkpoint_files import CheckpointFiles
from batchtrack.audit.findings import Check, Finding
from batchtrack.db import Database
from batchtrack.i18n.text import _
from batchtrack.models.audit import AuditEntry

_TABLE: Table = AuditEntry.__table__  # type: ignore[attr-defined]
# Stored hashes at checkpointed entries are read this many at a time (one IN list per statement).
_LOOKUP_CHUNK = 500
# How much of an SQLite database file the records' checks map into memory (SQLite's own ceiling is 2 GiB).
_SQLITE_MAP_BYTES = 2**31
# A checkpoint being written has its entry committed a moment before its line reaches the log.
_LINE_GRACE_SECONDS = 2.0


@dataclass
class Verdict:
    """What a full verification found."""

    chain: chain.VerifyResult
    walked_from: int
    log_lines: int
    checkpoints: int
    signatures_and_states_checked: bool
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing disagrees."""
        return not self.findings


def verify_all(database: Database, *, folders: list[Path], jobs: int | None = None, since_checkpoint: bool = False,
               progress: Callable[[int], None] | None = None, records: bool = True) -> Verdict:
    """Verify everything; `since_checkpoint` walks the chain from the newest standing checkpoint only."""
    files = CheckpointFiles(folders)
    before = files.read()[0] if since_checkpoint else None
    after = _start(database, before.standing()) if before is not None else None
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="record-checks") as pool:
        # The log judged (an Ed25519 verification per line) while the chain is walked, not before or after it:
        # read again after the walk, only lines added since are judged. Over 10,000 checkpoints this took some
        # two seconds of wall time out of the whole verification.
        judged = pool.submit(lambda: files.read()[0]) if before is None else None
        record_checks = pool.submit(check_records, database) if records else None
        result = verification.verify_engine(database.engine, jobs=jobs, progress=progress, after=after)
        first = judged.result() if judged is not None else before
        record_findings = record_checks.result() if record_checks is not None else []
    reading, log_findings = files.read(resume=first)
    walked_head = result.count if result.ok else (result.broken_seq or 1) - 1
    anchor_findings, lines_missing = _compare(database, reading, walked_head)
    if lines_missing:
        time.sleep(_LINE_GRACE_SECONDS)  # a line being written now: read the log once more before judging
        reading, log_findings = files.read(resume=reading)
        anchor_findings, _still_missing = _compare(database, reading, walked_head)
    chain_findings = [] if result.ok else [Finding(Check.CHAIN, _("entry #{seq}", seq=result.broken_seq),
                                                   chain.problem_text(result.problem))]
    return Verdict(result, 1 if after is None else after[0] + 1, reading.lines, len(reading.standing()),
                   records, [*chain_findings, *log_findings, *anchor_findings, *record_findings])


def check_records(database: Database) -> list[Finding]:
    """Every signature, state column and custody event compared with the trail."""
    checks: list[tuple[Check, Callable[..., list[Finding]]]] = [
        (Check.SIGNATURE, signature_check.check_signatures), (Check.STATE, state_check.check_states),
        (Check.CUSTODY, state_check.check_custody)]
    findings: list[Finding] = []
    for kind, check in checks:
        try:
            with database.transaction(write=False) as session, _mapped(session):
                findings += check(session=session)
        except SQLAlchemyError as exc:
            # Only tampering makes the trail unreadable to these queries (an entry's values no longer JSON, say):
            # the chain walk names the entry; this says the check could not be made rather than stopping there.
            cause = getattr(exc, "orig", None) or exc
            findings.append(Finding(kind, _("every record"), _(
                "could not be checked: {error}: {detail}", error=type(cause).__name__,
                detail=(str(cause).splitlines() or [""])[0][:200])))
    return findings


@contextmanager
def _mapped(session: Session) -> Iterator[None]:
    """On SQLite, the database file memory-mapped while the records are checked (the connection's setting after).

    The checks read the entries that set states, scattered over the trail, once per rule: through the page cache
    each page is a system call and a copy, which was half their processor time (100,000 lots: 0.9 s of system time
    in the lots' statement alone, 0.1 s mapped)."""
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        yield
        return
    before = int(connection.exec_driver_sql("PRAGMA mmap_size").scalar_one())
    connection.exec_driver_sql(f"PRAGMA mmap_size={_SQLITE_MAP_BYTES}")
    try:
        yield
    finally:
        connection.exec_driver_sql(f"PRAGMA mmap_size={before}")


def _start(database: Database, standing: list[checkpoint_log.Checkpoint]) -> verification.Start:
    """Where an incremental walk begins: at the newest standing checkpoint's entry, which it verifies again."""
    if not standing:
        return None
    newest = standing[-1]
    with database.engine.connect() as connection:
        prev = connection.execute(select(_TABLE.c.prev_hash).where(_TABLE.c.seq == newest.seq)).scalar()
    return None if prev is None else (newest.seq - 1, str(prev))


def _compare(database: Database, reading: checkpoint_log.LogReading, walked_head: int
             ) -> tuple[list[Finding], bool]:
    """The chain against the log; and whether a checkpoint the chain records lies past the log's last line."""
    standing = reading.standing()
    with database.engine.connect() as connection:
        head = _head_seq(connection)
        hashes = _hashes_at(connection, sorted({c.seq for c in standing if c.seq <= head}))
        recorded = list(_recorded(connection, walked_head))
    findings = anchor_check.compare(standing=standing, head_seq=head, hashes_at=hashes, recorded=recorded,
                                    log_lines=reading.lines, log_checkpoints={c.n: c for c in reading.checkpoints})
    return findings, any(record.n > reading.lines for record in recorded)


def _head_seq(connection: Connection) -> int:
    """The newest entry's seq as committed now (0 for an empty chain)."""
    return int(connection.execute(select(func.coalesce(func.max(_TABLE.c.seq), 0))).scalar_one())


def _hashes_at(connection: Connection, seqs: list[int]) -> dict[int, str]:
    found: dict[int, str] = {}
    for start in range(0, len(seqs), _LOOKUP_CHUNK):
        chunk = seqs[start:start + _LOOKUP_CHUNK]
        rows = connection.execute(select(_TABLE.c.seq, _TABLE.c.hash).where(_TABLE.c.seq.in_(chunk)))
        found.update((int(seq), str(value)) for seq, value in rows)
    return found


def _recorded(connection: Connection, through_seq: int) -> Iterable[anchor_check.RecordedCheckpoint]:
    """The chain's records of checkpoints, up to the entry the walk reached (the action column is indexed)."""
    rows = connection.execute(select(_TABLE.c.seq, _TABLE.c.new_values)
                              .where(_TABLE.c.action == CHECKPOINT_ACTION, _TABLE.c.seq <= through_seq))
    for seq, new_values in rows:
        try:
            number = json.loads(new_values).get("checkpoint")
        except ValueError:
            number = None
        if isinstance(number, int):
            yield anchor_check.RecordedCheckpoint(int(seq), number)


def restored_against_log(database: Database, reading: checkpoint_log.LogReading
                         ) -> tuple[list[Finding], int, checkpoint_log.Checkpoint | None]:
    """A restored chain against the log: checkpoints it contradicts, and how many checkpointed entries it lacks
    (with the newest checkpoint, which vouched for them)."""
    standing = reading.standing()
    with database.engine.connect() as connection:
        head = _head_seq(connection)
        within = [c for c in standing if c.seq <= head]
        hashes = _hashes_at(connection, sorted({c.seq for c in within}))
    conflicts = anchor_check.compare(standing=within, head_seq=head, hashes_at=hashes, recorded=[],
                                     log_lines=reading.lines, log_checkpoints={})
    lost, newest = anchor_check.beyond(standing, head)
    return conflicts, lost, newest
