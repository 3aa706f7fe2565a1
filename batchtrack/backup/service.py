"""Backing up and restoring a batchtrack database, pinned to its audit chain."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from batchtrack.audit import chain, reading, verification
from batchtrack.audit.keys import PublicKey, SigningKey
from batchtrack.backup import manifest as manifests
from batchtrack.backup import postgres, sqlite
from batchtrack.backup.errors import BackupRefused
from batchtrack.db import Database, make_engine
from batchtrack.i18n.text import _

Progress = Callable[[int, int], None]  # (done, total; 0 when unknown)


@dataclass(frozen=True)
class RestoreReport:
    """What a restore put in place, and how its audit chain compares with the manifest."""

    manifest: manifests.Manifest
    restored: chain.VerifyResult

    @property
    def matches(self) -> bool:
        """True when the restored chain is intact and is the very chain the backup recorded."""
        return (self.restored.ok and self.restored.count == self.manifest.audit_count
                and self.restored.head_hash == self.manifest.audit_head_hash)


def create_backup(*, database: Database, out: Path, progress: Progress | None = None,
                  signer: SigningKey | None = None, checkpoint: int | None = None) -> manifests.Manifest:
    """Write a backup of the database to `out` and its manifest beside it; refuses to overwrite either.

    With a `signer` the manifest is signed (and names `checkpoint`, the one written just before the backup).
    """
    if out.exists() or manifests.path_for(out).exists():
        raise BackupRefused(_("{path} (or its manifest) already exists: choose another path", path=str(out)))
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    engine = database.engine
    try:
        if engine.dialect.name == "sqlite":
            result, revision = _sqlite_backup(engine, partial, progress)
        else:
            result, revision = _postgres_backup(engine, partial, progress)
        digest = manifests.sha256_of(partial)
        partial.replace(out)
    finally:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()
    made = manifests.Manifest(
        engine=engine.dialect.name, created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        schema_revision=revision, audit_count=result.count, audit_head_hash=result.head_hash,
        audit_chain_ok=result.ok, audit_problem="" if result.ok else f"entry #{result.broken_seq}: {result.problem}",
        backup_file=out.name, size_bytes=out.stat().st_size, sha256=digest, checkpoint=checkpoint,
    )
    if signer is not None:
        made = manifests.signed(made, signer)
    manifests.write(out, made)
    return made


def _sqlite_backup(engine: Engine, partial: Path, progress: Progress | None) -> tuple[chain.VerifyResult, str | None]:
    source = _sqlite_path(engine)
    sqlite.copy(source, partial, progress)
    # The chain is read from the copy itself: the manifest describes exactly the data in the backup.
    return sqlite.inspect(partial)


def _postgres_backup(engine: Engine, partial: Path, progress: Progress | None
                     ) -> tuple[chain.VerifyResult, str | None]:
    postgres.tool("pg_dump")
    proxy = engine.raw_connection()
    connection: Any = proxy.driver_connection
    try:
        # One repeatable-read snapshot, exported: the chain is verified in it and pg_dump copies it.
        reading.begin_read(connection, "postgresql", None)
        snapshot = postgres.export_snapshot(connection)
        result = verification.verify_connection(connection, "postgresql")
        cursor = connection.cursor()
        cursor.execute("SELECT version_num FROM alembic_version")
        row = cursor.fetchone()
        cursor.close()
        postgres.dump(engine, partial, snapshot, progress)
    finally:
        reading.end_read(connection, "postgresql")
        proxy.close()
    return result, row[0] if row else None


def _sqlite_path(engine: Engine) -> Path:
    name = engine.url.database
    if not name or name == ":memory:":
        raise BackupRefused(_("an in-memory SQLite database cannot be backed up or restored"))
    return Path(name)


def check_backup(backup: Path, *, engine_name: str, known_keys: Mapping[str, PublicKey],
                 allow_unsigned: bool = False) -> manifests.Manifest:
    """The backup's manifest, after checking its signature, that the file is the one it describes, and that it
    suits this database. An unsigned manifest passes only with `allow_unsigned`."""
    made = manifests.read(backup)
    problem = manifests.signature_problem(made, known_keys)
    if problem is not None and not (allow_unsigned and made.signature is None):
        raise BackupRefused(_("{problem}. Nothing was restored.", problem=problem))
    if made.engine != engine_name:
        raise BackupRefused(_("this is a {engine} backup; the configured database is {configured}",
                              engine=made.engine, configured=engine_name))
    digest = manifests.sha256_of(backup)
    if digest != made.sha256:
        raise BackupRefused(_("{path} is damaged or not the file its manifest describes: SHA-256 {digest}, "
                              "manifest says {expected}. Nothing was restored.", path=str(backup), digest=digest,
                              expected=made.sha256))
    return made


def restore_backup(*, database_url: str, backup: Path, known_keys: Mapping[str, PublicKey], force: bool = False,
                   allow_unsigned: bool = False) -> RestoreReport:
    """Restore a checked backup into the configured database, then verify its chain against the manifest."""
    engine = make_engine(database_url)
    try:
        made = check_backup(backup, engine_name=engine.dialect.name, known_keys=known_keys,
                            allow_unsigned=allow_unsigned)
        if engine.dialect.name == "sqlite":
            target = _sqlite_path(engine)
            engine.dispose()
            sqlite.ensure_replaceable(target, force=force)
            sqlite.put_in_place(backup, target)
        else:
            postgres.tool("pg_restore")
            if not force and not postgres.is_empty(engine):
                raise BackupRefused(_("the target database is not empty: restore with --force to replace its "
                                      "contents"))
            engine.dispose()
            postgres.restore(engine, backup)
    finally:
        engine.dispose()
    restored = Database(make_engine(database_url))
    try:
        return RestoreReport(made, verification.verify_engine(restored.engine))
    finally:
        restored.dispose()
