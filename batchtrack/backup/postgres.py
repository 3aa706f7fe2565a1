"""PostgreSQL backups with pg_dump (custom format) in the snapshot the audit chain was verified in, and
restores with pg_restore in one transaction."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from batchtrack.backup.errors import BackupRefused
from batchtrack.i18n.text import _

Progress = Callable[[int, int], None]  # (bytes written, 0: total unknown)
# A restore waits this long for a lock held by someone else (a running server), then gives up cleanly.
LOCK_TIMEOUT_MS = 30_000


def tool(name: str) -> str:
    """The path of a PostgreSQL client program; refused when it is not installed."""
    path = shutil.which(name)
    if path is None:
        raise BackupRefused(_("{program} is not on PATH: install the PostgreSQL client programs (the same major "
                              "version as the server or newer)", program=name))
    return path


def _libpq(engine: Engine) -> tuple[str, dict[str, str]]:
    """The URL for libpq programs without its password, and an environment that carries the password."""
    url = engine.url.set(drivername="postgresql")
    env = dict(os.environ)
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    return url.set(password=None).render_as_string(hide_password=False), env


def _run(command: list[str], env: dict[str, str], out: Path | None, progress: Progress | None) -> None:
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # noqa: S603
    while process.poll() is None:
        time.sleep(0.2)
        if progress is not None and out is not None and out.exists():
            progress(out.stat().st_size, 0)
    assert process.stderr is not None
    errors = process.stderr.read().decode("utf-8", "replace").strip()
    process.stderr.close()
    if process.returncode != 0:
        raise BackupRefused(_("{program} failed (exit {code}): {errors}", program=Path(command[0]).name,
                              code=process.returncode, errors=errors))


def dump(engine: Engine, out: Path, snapshot: str, progress: Progress | None = None) -> None:
    """pg_dump the database in the given exported snapshot into `out` (custom format)."""
    url, env = _libpq(engine)
    _run([tool("pg_dump"), "--format=custom", "--no-password", f"--snapshot={snapshot}", f"--file={out}",
          f"--dbname={url}"], env, out, progress)


def restore(engine: Engine, backup: Path) -> None:
    """pg_restore a custom-format dump into the engine's database, all or nothing."""
    url, env = _libpq(engine)
    env["PGOPTIONS"] = f"-c lock_timeout={LOCK_TIMEOUT_MS}"
    _run([tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--single-transaction", "--exit-on-error",
          "--no-password", f"--dbname={url}", str(backup)], env, None, None)


def is_empty(engine: Engine) -> bool:
    """True when the database has no tables, views or sequences of its own (nothing a restore would replace)."""
    with engine.connect() as connection:
        count = connection.exec_driver_sql(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'S')"
        ).scalar_one()
    return int(count) == 0


def export_snapshot(connection: Any) -> str:
    """Export the snapshot of the repeatable-read transaction the connection is in."""
    cursor = connection.cursor()
    try:
        cursor.execute("SELECT pg_export_snapshot()")
        return str(cursor.fetchone()[0])
    finally:
        cursor.close()
