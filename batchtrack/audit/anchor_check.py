"""The chain compared with its checkpoints, both ways (no I/O).

The log vouches for the chain: every standing checkpoint's entry must still be there with the hash it signed.
The chain vouches for the log: every `audit.checkpoint` entry names a checkpoint the log must hold.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from batchtrack.audit.checkpoint_log import Checkpoint
from batchtrack.audit.findings import Check, Finding


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
        subject = f"checkpoint {checkpoint.n} ({checkpoint.at})"
        if checkpoint.seq > head_seq:
            findings.append(Finding(Check.CHECKPOINT, subject, (
                f"vouches for {checkpoint.count} entries through entry #{checkpoint.seq}, but the chain ends at "
                f"entry #{head_seq}: {checkpoint.seq - head_seq} checkpointed entries are missing")))
            continue
        stored = hashes_at.get(checkpoint.seq)
        if stored is None:
            findings.append(Finding(Check.CHECKPOINT, subject,
                                    f"vouches for entry #{checkpoint.seq}, which is missing from the chain"))
        elif stored != checkpoint.hash:
            findings.append(Finding(Check.CHECKPOINT, subject, (
                f"signed hash {checkpoint.hash} for entry #{checkpoint.seq}; the chain holds {stored} there "
                "(the chain was rewritten)")))
    for record in recorded:
        held = log_checkpoints.get(record.n)
        if record.n > log_lines:
            findings.append(Finding(Check.CHECKPOINT, f"checkpoint {record.n}", (
                f"recorded in the chain at entry #{record.seq} but missing from the log, which ends at line "
                f"{log_lines} (the newest checkpoints were deleted?)")))
        elif held is None or held.seq != record.seq:
            findings.append(Finding(Check.CHECKPOINT, f"checkpoint {record.n}", (
                f"recorded in the chain at entry #{record.seq}, but line {record.n} of the log is "
                f"{'no checkpoint' if held is None else f'a checkpoint of entry #{held.seq}'}")))
    return findings


def beyond(standing: Iterable[Checkpoint], head_seq: int) -> tuple[int, Checkpoint | None]:
    """How many checkpointed entries lie past `head_seq` (a restored chain's end), and the newest checkpoint."""
    newest = max((c for c in standing if c.seq > head_seq), key=lambda c: c.seq, default=None)
    return (0 if newest is None else newest.seq - head_seq), newest
