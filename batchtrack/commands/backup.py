"""`batchtrack backup` and `batchtrack restore`: copies of the whole database, signed and pinned to the audit
chain's checkpoints."""

from __future__ import annotations

import sys
import time
from datetime import datetime
from pathlib import Path

import click

from batchtrack.commands import context, language
from batchtrack.commands.language import Refused, say
from batchtrack.config import Settings
from batchtrack.i18n import numbers
from batchtrack.i18n.text import Text, _


@click.command(cls=language.Command)
@click.option("--out", required=True, type=language.Path(dir_okay=False, path_type=Path),
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
                raise Refused(_("backup refused: {problem}", problem=exc.text)) from exc
            checkpoint = made_checkpoint.n if made_checkpoint else None
        else:
            say(_("warning: no checkpoint signing key: no checkpoint written and the manifest is unsigned "
                  "(`batchtrack audit key create`)"), err=True)
        made = backup_service.create_backup(database=database, out=out, progress=ProgressLines(_("backup")),
                                            signer=signer, checkpoint=checkpoint)
    except BackupRefused as exc:
        raise Refused(_("backup refused: {problem}", problem=exc.text)) from exc
    finally:
        database.dispose()
    say(_("backup written: {path} ({size} bytes, sha256 {sha256})", path=str(out),
          size=numbers.shown(made.size_bytes), sha256=made.sha256))
    say(_("audit chain in the backup: {count} entries, head {head}", count=numbers.shown(made.audit_count),
          head=made.audit_head_hash))
    if made.signature:
        say(_("manifest signed with key {key}; checkpoint {checkpoint}", key=made.key_id, checkpoint=made.checkpoint))
    if not made.audit_chain_ok:
        say(_("WARNING: the audit chain is broken at {problem}; the backup holds it as it is",
              problem=_recorded_break(made.audit_problem)), err=True)
        sys.exit(2)


@click.command(cls=language.Command)
@click.option("--from", "source", required=True, type=language.Path(exists=True, dir_okay=False, path_type=Path),
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
    from batchtrack.audit import anchoring, chain, keys
    from batchtrack.audit import verdict as verdicts
    from batchtrack.audit.checkpoint_files import CheckpointFiles, LogUnavailable
    from batchtrack.backup import service as backup_service
    from batchtrack.backup.errors import BackupRefused

    settings = context.settings()
    reading, log_findings = CheckpointFiles(settings.checkpoint_folders).read()
    for finding in log_findings:
        say(_("warning: {finding}", finding=finding.text()), err=True)
    try:
        report = backup_service.restore_backup(database_url=settings.effective_database_url, backup=source,
                                               known_keys=reading.keys, force=force, allow_unsigned=allow_unsigned)
    except BackupRefused as exc:
        raise Refused(_("restore refused: {problem}", problem=exc.text)) from exc
    made, restored = report.manifest, report.restored
    say(_("restored {path} (schema {revision}); manifest signed with key {key}", path=str(source),
          revision=made.schema_revision, key=made.key_id) if made.signature
        else _("restored {path} (schema {revision}); manifest UNSIGNED", path=str(source),
               revision=made.schema_revision))
    say(_("manifest head: {head} ({count} entries)", head=made.audit_head_hash,
          count=numbers.shown(made.audit_count)))
    say(_("restored head: {head} ({count} entries)", head=restored.head_hash, count=numbers.shown(restored.count)))
    if not report.matches:
        problem = (_("broken at entry #{seq}: {problem}", seq=restored.broken_seq,
                     problem=chain.problem_text(restored.problem))
                   if not restored.ok else _("a different chain from the one the backup recorded"))
        say(_("MISMATCH: the restored audit chain is {problem}", problem=problem), err=True)
        sys.exit(1)
    say(_("OK: the restored audit chain is intact and matches the manifest"))
    database = context.database(settings)
    try:
        conflicts, lost, newest = verdicts.restored_against_log(database, reading)
        for finding in conflicts:
            say(_("MISMATCH with the checkpoint log: {finding}", finding=finding.text()), err=True)
        if conflicts:
            sys.exit(1)
        if newest is None:
            say(_("checkpoint log: the backup contains every checkpointed entry"))
        else:
            say(_("checkpoint log: THE BACKUP DOES NOT CONTAIN {lost} CHECKPOINTED ENTRIES (#{first} to #{last}, "
                  "vouched for by checkpoint {n} of {at}): they were recorded after this backup and are not in the "
                  "restored database", lost=numbers.shown(lost), first=restored.count + 1, last=newest.seq, n=newest.n,
                  at=_checkpoint_time(newest.at, settings)))
        anchor = anchoring.Anchor.from_settings(settings, database)
        if anchor.enabled:
            try:
                anchor.record_restore(seq=restored.count, entry_hash=restored.head_hash, backup_sha256=made.sha256,
                                      lost=lost)
            except (keys.KeyProblem, LogUnavailable) as exc:
                raise Refused(_("the restore line could not be written: {problem}", problem=exc.text)) from exc
            say(_("checkpoint log: restore recorded (signed restore line, an entry in the chain, a checkpoint)"))
        else:
            say(_("warning: no checkpoint signing key: the restore is not recorded in the checkpoint log, "
                  "so `audit verify` will report the checkpointed entries the backup lacks"), err=True)
    finally:
        database.dispose()


class ProgressLines:
    """Progress of a long operation as a line on stderr every few seconds: (done, total; 0 when unknown)."""

    def __init__(self, label: Text, every_seconds: float = 3.0) -> None:
        self.label, self.every, self.clock = label, every_seconds, time.monotonic
        self.last = self.clock()
        # Known now: the copy may report from a thread of its own, outside the command's context.
        self.translations = language.translations()

    def __call__(self, done: int, total: int) -> None:
        now = self.clock()
        if now - self.last < self.every:
            return
        self.last = now
        line = (_("{operation}: {done} of {total} pages", operation=self.label, done=numbers.shown(done),
                  total=numbers.shown(total)) if total
                else _("{operation}: {done} bytes written", operation=self.label, done=numbers.shown(done)))
        click.echo(line.shown_in(self.translations), err=True)


def _recorded_break(problem: str) -> Text:
    """Where a backed-up chain is broken, as its manifest records it in English ("entry #12: ..."), in the reader's
    language."""
    from batchtrack.audit import chain

    entry, _colon, what = problem.partition(": ")
    seq = entry.removeprefix("entry #")
    if not seq.isdigit():
        return chain.problem_text(problem)
    return _("entry #{seq}: {problem}", seq=int(seq), problem=chain.problem_text(what))


def _checkpoint_time(at: str, settings: Settings) -> str:
    """A checkpoint's time (as its log line records it, in UTC) in the site's time zone, with the zone."""
    try:
        return context.local_time(datetime.fromisoformat(at), settings)
    except ValueError:
        return at
