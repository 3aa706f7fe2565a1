"""`batchtrack backup` and `batchtrack restore`: copies of the whole database, signed and pinned to the audit
chain's checkpoints."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from batchtrack.commands import context


@click.command()
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The backup file to write (refused if it exists); PATH.manifest.json is written beside it.")
def backup(out: Path) -> None:
    """Back up the whole database, safely while the server runs.

    A checkpoint of the audit chain is written first. SQLite: the online backup API; PostgreSQL:
    pg_dump --format=custom (pg_dump must be on PATH). Beside the backup, a manifest signed with the checkpoint
    key records the engine, the time (UTC), the schema revision, the audit chain in the backup (entry count and
    head hash), the checkpoint and the backup file's SHA-256, all of which `batchtrack restore` checks.
    """
    from batchtrack.audit import anchoring, keys
    from batchtrack.audit.checkpoint_files import LogUnavailable
    from batchtrack.backup import service as backup_service
    from batchtrack.backup.errors import BackupRefused

    settings = context.settings()
    database = context.database(settings)
    anchor = anchoring.Anchor.from_settings(settings, database)
    try:
        signer, checkpoint = None, None
        if anchor.enabled or settings.environment == "production":
            try:
                made_checkpoint = anchor.checkpoint("backup")
                signer = keys.load(settings.checkpoint_key_path)
            except (keys.KeyProblem, LogUnavailable) as exc:
                raise click.ClickException(f"backup refused: {exc.message}") from exc
            checkpoint = made_checkpoint.n if made_checkpoint else None
        else:
            click.echo("warning: no checkpoint signing key: no checkpoint written and the manifest is unsigned "
                       "(`batchtrack audit key create`)", err=True)
        made = backup_service.create_backup(database=database, out=out, progress=ProgressLines("backup"),
                                            signer=signer, checkpoint=checkpoint)
    except BackupRefused as exc:
        raise click.ClickException(f"backup refused: {exc.message}") from exc
    finally:
        database.dispose()
    click.echo(f"backup written: {out} ({made.size_bytes:,} bytes, sha256 {made.sha256})")
    click.echo(f"audit chain in the backup: {made.audit_count} entries, head {made.audit_head_hash}")
    if made.signature:
        click.echo(f"manifest signed with key {made.key_id}; checkpoint {made.checkpoint}")
    if not made.audit_chain_ok:
        click.echo(f"WARNING: the audit chain is broken at {made.audit_problem}; the backup holds it as it is",
                   err=True)
        sys.exit(2)


@click.command()
@click.option("--from", "source", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A backup file written by `batchtrack backup` (its manifest must be beside it).")
@click.option("--force", is_flag=True, help="Replace an existing (SQLite) or non-empty (PostgreSQL) database.")
@click.option("--allow-unsigned", is_flag=True,
              help="Accept a manifest without a signature (backups made before signing, or without a key).")
def restore(source: Path, force: bool, allow_unsigned: bool) -> None:
    """Restore a backup, then prove the restored audit chain is the one backed up and compare it with the log.

    Refused before anything is touched when the manifest's signature does not verify with a key of the
    checkpoint log, or the backup's SHA-256 differs from its manifest. SQLite: the file is put in place (refused
    while the database is in use; stop the server first). PostgreSQL: pg_restore --clean --if-exists --no-owner
    --single-transaction. Then: how many checkpointed entries the backup does not contain, and a signed restore
    line in the checkpoint log. Exit 1 when the restored chain is broken, differs from the manifest's, or
    contradicts a checkpoint.
    """
    from batchtrack.audit import anchoring, keys
    from batchtrack.audit import verdict as verdicts
    from batchtrack.audit.checkpoint_files import CheckpointFiles, LogUnavailable
    from batchtrack.backup import service as backup_service
    from batchtrack.backup.errors import BackupRefused

    settings = context.settings()
    reading, log_findings = CheckpointFiles(settings.checkpoint_folders).read()
    for finding in log_findings:
        click.echo(f"warning: {finding.line()}", err=True)
    try:
        report = backup_service.restore_backup(database_url=settings.effective_database_url, backup=source,
                                               known_keys=reading.keys, force=force, allow_unsigned=allow_unsigned)
    except BackupRefused as exc:
        raise click.ClickException(f"restore refused: {exc.message}") from exc
    made, restored = report.manifest, report.restored
    click.echo(f"restored {source} (schema {made.schema_revision}); manifest "
               + (f"signed with key {made.key_id}" if made.signature else "UNSIGNED"))
    click.echo(f"manifest head: {made.audit_head_hash} ({made.audit_count} entries)")
    click.echo(f"restored head: {restored.head_hash} ({restored.count} entries)")
    if not report.matches:
        problem = (f"broken at entry #{restored.broken_seq}: {restored.problem}" if not restored.ok
                   else "a different chain from the one the backup recorded")
        click.echo(f"MISMATCH: the restored audit chain is {problem}", err=True)
        sys.exit(1)
    click.echo("OK: the restored audit chain is intact and matches the manifest")
    database = context.database(settings)
    try:
        conflicts, lost, newest = verdicts.restored_against_log(database, reading)
        for finding in conflicts:
            click.echo(f"MISMATCH with the checkpoint log: {finding.line()}", err=True)
        if conflicts:
            sys.exit(1)
        if newest is None:
            click.echo("checkpoint log: the backup contains every checkpointed entry")
        else:
            click.echo(f"checkpoint log: THE BACKUP DOES NOT CONTAIN {lost} CHECKPOINTED ENTRIES "
                       f"(#{restored.count + 1} to #{newest.seq}, vouched for by checkpoint {newest.n} of "
                       f"{newest.at}): they were recorded after this backup and are not in the restored database")
        anchor = anchoring.Anchor.from_settings(settings, database)
        if anchor.enabled:
            try:
                anchor.record_restore(seq=restored.count, entry_hash=restored.head_hash, backup_sha256=made.sha256,
                                      lost=lost)
            except (keys.KeyProblem, LogUnavailable) as exc:
                raise click.ClickException(f"the restore line could not be written: {exc.message}") from exc
            click.echo("checkpoint log: restore recorded (signed restore line, an entry in the chain, a checkpoint)")
        else:
            click.echo("warning: no checkpoint signing key: the restore is not recorded in the checkpoint log, "
                       "so `audit verify` will report the checkpointed entries the backup lacks", err=True)
    finally:
        database.dispose()


class ProgressLines:
    """Progress of a long operation as a line on stderr every few seconds: (done, total; 0 when unknown)."""

    def __init__(self, label: str, every_seconds: float = 3.0) -> None:
        self.label, self.every, self.clock = label, every_seconds, time.monotonic
        self.last = self.clock()

    def __call__(self, done: int, total: int) -> None:
        now = self.clock()
        if now - self.last < self.every:
            return
        self.last = now
        click.echo(f"{self.label}: {done:,} of {total:,} pages" if total else f"{self.label}: {done:,} bytes written",
                   err=True)
