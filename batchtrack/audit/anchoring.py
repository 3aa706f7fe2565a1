"""Anchoring the audit chain outside the database: signed checkpoints of its head in the checkpoint log.

A checkpoint is written in three steps, under the log's writers' lock: the log is judged (only lines not judged
before); an `audit.checkpoint` entry is appended to the chain and committed, so the chain itself records that
checkpoint n exists; the signed checkpoint line of that very entry is appended to every copy of the log. Cutting
the chain's tail then leaves a checkpoint of an entry that is gone, and deleting the newest line of the log leaves
an entry that names a checkpoint the log lacks: either is found by `audit verify`. Should the line fail to be
written after the commit, the next checkpoint writes it first.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Table, select

from batchtrack.audit import chain, checkpoint_log, keys
from batchtrack.audit import service as audit_service
from batchtrack.audit.checkpoint_files import CheckpointFiles, LogUnavailable, unsound
from batchtrack.auth.principal import SYSTEM
from batchtrack.config import Settings
from batchtrack.db import Database
from batchtrack.i18n.text import _
from batchtrack.models.audit import AuditEntry

CHECKPOINT_ACTION = "audit.checkpoint"
RESTORE_ACTION = "audit.restored"
# How often a server looks whether a checkpoint is due: a query for the chain's head and a read of the log's tail.
TICK_SECONDS = 10.0
_TABLE: Table = AuditEntry.__table__  # type: ignore[attr-defined]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Anchored:
    """Where the chain stood when something was printed or backed up, and the checkpoint that vouches for it."""

    seq: int
    hash: str
    checkpoint: int | None
    why_not: str = "no checkpoint signing key is configured"

    def text(self) -> str:
        """The line a printout carries."""
        if self.checkpoint is None:
            return f"Audit trail through entry {self.seq}, hash {self.hash}; not checkpointed ({self.why_not})"
        return f"Audit trail through entry {self.seq}, hash {self.hash}, checkpoint {self.checkpoint}"


def due(*, entries_since: int, seconds_since: float | None, every_entries: int, every_seconds: float) -> bool:
    """Whether a checkpoint is due: enough entries since the last one, or entries and enough time."""
    if entries_since <= 0:
        return False
    if every_entries and entries_since >= every_entries:
        return True
    return bool(every_seconds) and (seconds_since is None or seconds_since >= every_seconds)


class Anchor:
    """Writes checkpoints of one database's audit chain with one key to one log."""

    def __init__(self, database: Database, *, key_path: Path, folders: list[Path], every_entries: int = 0,
                 every_minutes: int = 0) -> None:
        self.database = database
        self.key_path = key_path
        self.files = CheckpointFiles(folders)
        self.every_entries = every_entries
        self.every_seconds = every_minutes * 60.0
        self._judged: checkpoint_log.LogReading | None = None
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings, database: Database) -> Anchor:
        """The anchor an installation's settings describe."""
        return cls(database, key_path=settings.checkpoint_key_path, folders=settings.checkpoint_folders,
                   every_entries=settings.checkpoint_every_entries, every_minutes=settings.checkpoint_every_minutes)

    @property
    def enabled(self) -> bool:
        """True when a signing key is in place (without one, nothing is checkpointed)."""
        return self.key_path.exists()

    def key_problem(self) -> str | None:
        """Why checkpoints cannot be signed, or None."""
        try:
            keys.load(self.key_path)
        except keys.KeyProblem as exc:
            return exc.message
        return None

    def checkpoint(self, reason: str, *, only_if_due: bool = False) -> checkpoint_log.Checkpoint | None:
        """Write a checkpoint of the chain's head now (None when `only_if_due` and none is due).

        Raises KeyProblem or LogUnavailable when it cannot: the caller decides whether that stops its work.
        """
        signer = keys.load(self.key_path)
        with self._lock, self.files.locked() as lines:
            lines, reading = self._in_force(lines, signer)
            lines, reading = self._complete_pending(lines, reading, signer)
            if only_if_due and not self._is_due(reading):
                return None
            with self.database.write_connection() as connection:
                written = audit_service.record(
                    session=connection, actor=SYSTEM, action=CHECKPOINT_ACTION, entity_type="audit_checkpoint",
                    entity_id=reading.lines + 1,
                    new={"checkpoint": reading.lines + 1, "key_id": signer.public.id, "reason": reason})
            raw = checkpoint_log.checkpoint_line(n=reading.lines + 1, prev=reading.last_hash,
                                                 at=written.content.occurred_at, signer=signer, seq=written.seq,
                                                 entry_hash=written.hash, reason=reason)
            self.files.append(raw)
            reading = self._judge([*lines, raw])
            log.info("audit checkpoint %d: entry %d (%s)", reading.lines, written.seq, reason)
            return reading.checkpoints[-1]

    def record_restore(self, *, seq: int, entry_hash: str, backup_sha256: str, lost: int) -> None:
        """After a restore: a signed restore line (checkpoints of entries past `seq` are set aside), an entry in
        the restored chain saying so, and a checkpoint of it."""
        signer = keys.load(self.key_path)
        with self._lock, self.files.locked() as lines:
            lines, reading = self._in_force(lines, signer)
            raw = checkpoint_log.restore_line(n=reading.lines + 1, prev=reading.last_hash, at=datetime.now(UTC),
                                              signer=signer, seq=seq, entry_hash=entry_hash,
                                              backup_sha256=backup_sha256)
            self.files.append(raw)
            self._judge([*lines, raw])
        with self.database.write_connection() as connection:
            audit_service.record(session=connection, actor=SYSTEM, action=RESTORE_ACTION, entity_type="audit_chain",
                                 entity_id=seq, new={"restored_through": seq, "restore_line": reading.lines + 1,
                                                     "backup_sha256": backup_sha256, "checkpointed_entries_lost": lost})
        self.checkpoint("after restore")

    def _in_force(self, lines: list[bytes], signer: keys.SigningKey
                  ) -> tuple[list[bytes], checkpoint_log.LogReading]:
        """The log judged, its first line written when it is empty; refused unless `signer` is the key in force."""
        reading = self._judge(lines)
        if reading.current_key is None:
            raw = checkpoint_log.key_line(n=1, prev=reading.last_hash, at=datetime.now(UTC), signer=signer,
                                          new_key=signer.public)
            self.files.append(raw)
            lines = [*lines, raw]
            return lines, self._judge(lines)
        if reading.current_key != signer.public.id:
            raise keys.KeyProblem(_("the key at {path} ({key}) is not the key in force in the checkpoint log "
                                    "({in_force}): `batchtrack audit key rotate` puts a new key in force",
                                    path=str(self.key_path), key=signer.public.id, in_force=reading.current_key))
        return lines, reading

    def _judge(self, lines: list[bytes]) -> checkpoint_log.LogReading:
        reading = checkpoint_log.read(lines, where=str(self.files.path(self.files.folders[0])), resume=self._judged)
        if not reading.sound:
            raise unsound(reading)
        self._judged = reading
        return reading

    def _complete_pending(self, lines: list[bytes], reading: checkpoint_log.LogReading, signer: keys.SigningKey
                          ) -> tuple[list[bytes], checkpoint_log.LogReading]:
        """Write the line of a checkpoint the chain records but the log lacks (its writing failed after commit)."""
        with self.database.engine.connect() as connection:
            row = connection.execute(
                select(_TABLE.c.seq, _TABLE.c.hash, _TABLE.c.new_values, _TABLE.c.occurred_at)
                .where(_TABLE.c.action == CHECKPOINT_ACTION).order_by(_TABLE.c.seq.desc()).limit(1)
            ).first()
        if row is None:
            return lines, reading
        recorded = json.loads(row.new_values)
        if recorded.get("checkpoint") != reading.lines + 1 or recorded.get("key_id") != signer.public.id:
            return lines, reading
        raw = checkpoint_log.checkpoint_line(n=reading.lines + 1, prev=reading.last_hash, at=row.occurred_at,
                                             signer=signer, seq=row.seq, entry_hash=row.hash,
                                             reason=str(recorded.get("reason", "")))
        self.files.append(raw)
        log.warning("audit checkpoint %d was recorded at entry %d but missing from the log: written now",
                    reading.lines + 1, row.seq)
        lines = [*lines, raw]
        return lines, self._judge(lines)

    def _is_due(self, reading: checkpoint_log.LogReading) -> bool:
        return self._due_after(reading.checkpoints[-1] if reading.checkpoints else None)

    def _due_after(self, last: checkpoint_log.Checkpoint | None) -> bool:
        """Whether a checkpoint is due, the newest being `last` (None: there is none yet)."""
        seconds = None if last is None else (datetime.now(UTC) - datetime.fromisoformat(last.at)).total_seconds()
        return due(entries_since=self._head()[0] - (last.seq if last else 0), seconds_since=seconds,
                   every_entries=self.every_entries, every_seconds=self.every_seconds)

    def _head(self) -> tuple[int, str]:
        """The committed head of the chain: its seq and hash."""
        with self.database.engine.connect() as connection:
            row = connection.execute(
                select(_TABLE.c.seq, _TABLE.c.hash).order_by(_TABLE.c.seq.desc()).limit(1)).first()
        return (int(row[0]), str(row[1])) if row else (0, chain.GENESIS_HASH)

    def for_printout(self) -> Anchored:
        """The chain's committed head, checkpointed (the newest checkpoint when it is the head already)."""
        seq, entry_hash = self._head()
        if not self.enabled:
            return Anchored(seq, entry_hash, None)
        last = self._last_checkpoint()
        if last is not None and last.seq == seq:
            return Anchored(seq, entry_hash, last.n)
        made = self._logging_failure("printout")
        if made is None:
            # The record is still printed, saying plainly that it is not checkpointed; operators see the error.
            return Anchored(seq, entry_hash, None, "the checkpoint could not be written; see the server log")
        return Anchored(made.seq, made.hash, made.n)

    def _last_checkpoint(self) -> checkpoint_log.Checkpoint | None:
        raw = self.files.last_line()
        if raw is None:
            return None
        try:
            fields = json.loads(raw)
            if fields.get("kind") != checkpoint_log.CHECKPOINT:
                return None
            return checkpoint_log.Checkpoint(int(fields["n"]), int(fields["seq"]), str(fields["hash"]),
                                             int(fields["count"]), str(fields["at"]), str(fields["key_id"]))
        except (ValueError, KeyError, TypeError):
            return None  # a damaged tail: a new checkpoint is written (and refused, the log being unsound)

    def checkpoint_quietly(self, reason: str) -> None:
        """A checkpoint after a decision already committed: a failure is logged loudly, never raised."""
        if self.enabled:
            self._logging_failure(reason)

    def tick(self) -> None:
        """Write a checkpoint if one is due (called every few seconds by each server process)."""
        if not self.enabled or not (self.every_entries or self.every_seconds):
            return
        # The log's tail alone decides whether to look further; under the writers' lock it is judged again.
        if self._due_after(self._last_checkpoint()):
            self._logging_failure("scheduled", only_if_due=True)

    def _logging_failure(self, reason: str, *, only_if_due: bool = False) -> checkpoint_log.Checkpoint | None:
        """A checkpoint whose failure is logged loudly, never raised (None then, or when none was due)."""
        try:
            return self.checkpoint(reason, only_if_due=only_if_due)
        except (keys.KeyProblem, LogUnavailable, OSError) as exc:
            log.error("audit checkpoint (%s) not written: %s", reason, getattr(exc, "message", exc))
            return None
