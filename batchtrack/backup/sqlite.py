"""SQLite backups through the online backup API (safe while the server runs) and restores by file swap."""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path

from batchtrack.audit import chain, reading, verification
from batchtrack.backup.errors import BackupRefused
from batchtrack.i18n.text import _

PAGES_PER_STEP = 4096
Progress = Callable[[int, int], None]  # (done, total) in pages


def copy(source: Path, out: Path, progress: Progress | None = None) -> None:
    """Copy a live database into `out` page by page, then make the copy a self-contained rollback-journal file."""
    src = sqlite3.connect(source, timeout=30)
    dest = sqlite3.connect(out)
    try:
        # Each step holds a read snapshot briefly; if a writer commits between steps SQLite restarts the copy,
        # so what lands in `out` is always one consistent state of the database.
        src.backup(dest, pages=PAGES_PER_STEP,
                   progress=(lambda _status, remaining, total: progress(total - remaining, total))
                   if progress else None)
        # No -wal/-shm beside the backup: the file alone is the backup.
        dest.execute("PRAGMA journal_mode=DELETE")
    finally:
        dest.close()
        src.close()


def inspect(path: Path) -> tuple[chain.VerifyResult, str | None]:
    """Verify the audit chain of a database file and read its schema revision, changing nothing in it."""
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None)
    try:
        reading.begin_read(connection, "sqlite", None)
        try:
            result = verification.verify_connection(connection, "sqlite")
            revision = connection.execute("SELECT version_num FROM alembic_version").fetchone()
        finally:
            reading.end_read(connection, "sqlite")
    except sqlite3.DatabaseError as exc:
        raise BackupRefused(_("{path} is not a readable batchtrack database: {problem}", path=str(path),
                              problem=str(exc))) from exc
    finally:
        connection.close()
    return result, revision[0] if revision else None


def ensure_replaceable(target: Path, *, force: bool) -> None:
    """Refuse to replace a database another process has open, or an existing one without force."""
    if not target.exists() or target.stat().st_size == 0:
        return
    if not force:
        raise BackupRefused(_("the target database {path} exists: restore with --force to replace it",
                              path=str(target)))
    connection = sqlite3.connect(target, timeout=0, isolation_level=None)
    try:
        # Leaving WAL mode needs the database to itself: it fails while any other connection (a running
        # server, a worker) has it open, and on success the WAL is checkpointed and removed.
        mode = connection.execute("PRAGMA journal_mode=DELETE").fetchone()[0]
    except sqlite3.OperationalError as exc:
        raise BackupRefused(_("the target database {path} is in use (stop the server first): {problem}",
                              path=str(target), problem=str(exc))) from exc
    finally:
        connection.close()
    if str(mode).lower() != "delete":
        raise BackupRefused(_("the target database {path} is in use (stop the server first)", path=str(target)))


def put_in_place(backup: Path, target: Path) -> None:
    """Copy the backup next to the target, then swap it in with one rename (never a half-written target)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.with_name(target.name + ".restoring")
    shutil.copyfile(backup, staging)
    for leftover in (Path(f"{target}-wal"), Path(f"{target}-shm"), Path(f"{target}-journal")):
        with contextlib.suppress(FileNotFoundError):
            leftover.unlink()
    os.replace(staging, target)
