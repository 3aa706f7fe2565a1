"""The chain compared with its checkpoints, both ways (no I/O).

The log vouches for the chain: every standing checkpoint's entry must still be there with the hash it signed.
The chain vouches for the log: every `audit.checkpoint` entry names a checkpoint the log must hold.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from batchtrack.audit.checkpoint_log import Checkpoint
from batchtrack.audit.findings import Check, Finding
from batchtrack.i18n.text import _


@dataclass(frozen=True, slots=True)
class RecordedCheckpoint:
    """An `audit.checkpoint` entry of the chain: entry `seq` records that checkpoint `n` was written of it."""

    seq: int
    n: int


def compare(*, standing: Iterable[Checkpoint], head_seq: int, hashes_at: Mapping[int, str],
            recorded: Iterable[RecordedCheckpoint], log_lines: int, log_checkpoints: Mapping[int, Checkpoint]
            ) -> list[Finding]:
    """Findings where the chain (head `head_seq`, stored hashes at checkpointed entries) and the log disagree."""
    findings = []
    for checkpoint in standing:
        subject = _("checkpoint {n} ({at})", n=checkpoint.n, at=checkpoint.at)
        if checkpoint.seq > head_seq:
            findings.append(Finding(Check.CHECKPOINT, subject, _(
                "vouches for {count} entries through entry #{seq}, but the chain ends at entry #{head}: {missing} "
                "checkpointed entries are missing", count=checkpoint.count, seq=checkpoint.seq, head=head_seq,
                missing=checkpoint.seq - head_seq)))
            continue
        stored = hashes_at.get(checkpoint.seq)
        if stored is None:
            findings.append(Finding(Check.CHECKPOINT, subject,
                                    _("vouches for entry #{seq}, which is missing from the chain", seq=checkpoint.seq)))
        elif stored != checkpoint.hash:
            findings.append(Finding(Check.CHECKPOINT, subject, _(
                "signed hash {signed} for entry #{seq}; the chain holds {stored} there (the chain was rewritten)",
                signed=checkpoint.hash, seq=checkpoint.seq, stored=stored)))
    for record in recorded:
        held = log_checkpoints.get(record.n)
        if record.n > log_lines:
            findings.append(Finding(Check.CHECKPOINT, _("checkpoint {n}", n=record.n), _(
                "recorded in the chain at entry #{seq} but missing from the log, which ends at line {lines} (the "
                "newest checkpoints were deleted?)", seq=record.seq, lines=log_lines)))
        elif held is None:
            findings.append(Finding(Check.CHECKPOINT, _("checkpoint {n}", n=record.n), _(
                "recorded in the chain at entry #{seq}, but line {n} of the log is no checkpoint", seq=record.seq,
                n=record.n)))
        elif held.seq != record.seq:
            findings.append(Finding(Check.CHECKPOINT, _("checkpoint {n}", n=record.n), _(
                "recorded in the chain at entry #{seq}, but line {n} of the log is a checkpoint of entry #{held}",
                seq=record.seq, n=record.n, held=held.seq)))
    return findings


def beyond(standing: Iterable[Checkpoint], head_seq: int) -> tuple[int, Checkpoint | None]:
    """How many checkpointed entries lie past `head_seq` (a restored chain's end), and the newest checkpoint."""
    newest = max((c for c in standing if c.seq > head_seq), key=lambda c: c.seq, default=None)
    return (0 if newest is None else newest.seq - head_seq), newest
