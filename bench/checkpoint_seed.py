"""The benchmark's checkpoint log, written as the seeding goes: a key, and a signed line per checkpoint entry.

A server checkpoints the chain once 1,000 entries were appended since the last checkpoint (the default of
`checkpoint_every_entries`): an `audit.checkpoint` entry in the chain, then its signed line in the log. The seeding
does the same through `due`, `entry` and `signed`; the lines of a transaction's checkpoints are appended (one write
and one fsync per folder) by `flush` once the transaction is committed, as a server appends a line after its
entry's commit. The log's state is read back from its last line, so seeding steps run one after another (with
the application writing entries between them) continue one valid log.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

from batchtrack.audit import chain, checkpoint_log, keys
from batchtrack.audit.anchoring import CHECKPOINT_ACTION
from batchtrack.audit.checkpoint_files import CheckpointFiles
from batchtrack.auth.principal import SYSTEM
from batchtrack.config import Settings

EVERY_ENTRIES = Settings.model_fields["checkpoint_every_entries"].default
REASON = "scheduled"  # what a server's timer writes


class SeededLog:
    """The checkpoint log of one benchmark folder: its signing key, where the log stands, lines to append."""

    def __init__(self, folder: Path) -> None:
        self.key_path = folder / "keys" / "checkpoint-ed25519.pem"
        self.folders = [folder / "checkpoints"]
        self.files = CheckpointFiles(self.folders)
        self.signer = keys.load(self.key_path) if self.key_path.exists() else keys.create(self.key_path)
        self.lines, self.last_hash, self.last_seq = 0, chain.GENESIS_HASH, 0
        self.pending: list[bytes] = []
        last = self.files.last_line()
        if last is None:
            self._add(checkpoint_log.key_line(n=1, prev=chain.GENESIS_HASH, at=datetime.now(UTC),
                                              signer=self.signer, new_key=self.signer.public))
            self.flush()
        else:
            fields = json.loads(last)
            self.lines, self.last_hash = int(fields["n"]), checkpoint_log.line_hash(last)
            self.last_seq = int(fields.get("seq", 0))

    @property
    def checkpoints(self) -> int:
        """Checkpoint lines written so far (every line but the key's)."""
        return self.lines - 1

    def due(self, seq: int) -> bool:
        """Whether the entry at `seq` is the checkpoint a server would write there (1,000 entries since the last)."""
        return seq - 1 - self.last_seq >= EVERY_ENTRIES

    def entry(self, seq: int, moment: datetime, prev_hash: str) -> chain.EntryContent:
        """The `audit.checkpoint` entry at `seq`, as `anchoring.Anchor.checkpoint` records it."""
        number = self.lines + 1
        return chain.EntryContent(
            seq=seq, occurred_at=moment, actor_id=SYSTEM.user_id, actor_name=SYSTEM.full_name,
            action=CHECKPOINT_ACTION, entity_type="audit_checkpoint", entity_id=str(number), old_values="{}",
            new_values=chain.canonical_json({"checkpoint": number, "key_id": self.signer.public.id,
                                             "reason": REASON}),
            reason="", prev_hash=prev_hash)

    def signed(self, content: chain.EntryContent, entry_hash: str) -> None:
        """The signed line of the checkpoint entry `content`, held until `flush`."""
        self._add(checkpoint_log.checkpoint_line(n=self.lines + 1, prev=self.last_hash, at=content.occurred_at,
                                                 signer=self.signer, seq=content.seq, entry_hash=entry_hash,
                                                 reason=REASON))
        self.last_seq = content.seq

    def _add(self, raw: bytes) -> None:
        self.pending.append(raw)
        self.lines += 1
        self.last_hash = checkpoint_log.line_hash(raw)

    def flush(self) -> None:
        """Append the held lines to every copy of the log, under the writers' lock (call after the commit)."""
        if not self.pending:
            return
        with self.files.locked():
            for folder in self.folders:
                descriptor = os.open(self.files.path(folder), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
                try:
                    os.write(descriptor, b"".join(line + b"\n" for line in self.pending))
                    os.fsync(descriptor)
                finally:
                    os.close(descriptor)
        self.pending.clear()
