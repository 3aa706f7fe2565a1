"""Speed of the full `audit verify` over a long chain, next to bare hashlib.sha256 over the same bytes.

The verification is `batchtrack.audit.verdict.verify_all`, what `batchtrack audit verify` runs: the hash chain
(worker processes), the checkpoint log (read and judged, its checkpoints compared with the chain both ways),
every electronic signature, state column and custody event against the trail. It runs once unmeasured first: the
figure is only valid for a clean verdict, so any finding fails the row (the first findings are kept). Then the
timed run, and the parts alone (chain walk, records' checks, log read and judged) to show where the time goes.
The baseline reads every entry, builds the exact bytes the chain hashes (`batchtrack.audit.chain.hashed_bytes`)
outside the clock, and times SHA-256 (hex digest, as compared) alone: the most any verification in Python could
reach on this machine.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from batchtrack.audit import chain, verdict, verification
from batchtrack.audit.checkpoint_files import CheckpointFiles
from batchtrack.db import Database
from batchtrack.models import AuditEntry

BATCH = 50_000
SHOWN_FINDINGS = 10


def verify_throughput(engine: Engine, *, folders: list[Path], jobs: int | None = None) -> dict[str, Any]:
    """The whole verification, checked clean, then timed; its parts timed alone. Entries per second count the
    chain's entries over the wall time of the whole verification. `jobs` None: as many processes as it chooses."""
    database = Database(engine)
    clean = verdict.verify_all(database, folders=folders, jobs=jobs)
    figures: dict[str, Any] = {"method": f"verdict.verify_all(jobs={jobs or 'default'})",
                               "checkpoints": clean.checkpoints, "log_lines": clean.log_lines,
                               "findings": len(clean.findings),
                               "first_findings": [f.line() for f in clean.findings[:SHOWN_FINDINGS]]}
    if not clean.ok:
        return figures | {"entries": clean.chain.count, "ok": False, "seconds": 0.0, "entries_per_s": None,
                          "problem": f"{len(clean.findings)} findings: " + "; ".join(figures["first_findings"][:3])}
    started = time.perf_counter()
    found = verdict.verify_all(database, folders=folders, jobs=jobs)
    seconds = time.perf_counter() - started
    figures |= {"entries": found.chain.count, "ok": found.ok, "seconds": round(seconds, 2),
                "entries_per_s": round(found.chain.count / seconds) if seconds else None,
                "problem": "; ".join(f.line() for f in found.findings[:3]), "findings": len(found.findings)}
    started = time.perf_counter()
    walked = verification.verify_engine(engine, jobs=jobs)
    figures["chain_seconds"] = round(time.perf_counter() - started, 2)
    figures["chain_entries_per_s"] = round(walked.count / figures["chain_seconds"]) if figures["chain_seconds"] \
        else None
    started = time.perf_counter()
    verdict.check_records(database)
    figures["records_seconds"] = round(time.perf_counter() - started, 2)
    started = time.perf_counter()
    CheckpointFiles(folders).read()
    figures["log_seconds"] = round(time.perf_counter() - started, 2)
    return figures


def hash_baseline(engine: Engine) -> dict[str, Any]:
    """SHA-256 of every entry's hashed bytes, timed alone; the bytes are built from the stored rows."""
    table = AuditEntry.__table__  # type: ignore[attr-defined]
    entries = size = 0
    hashing = 0.0
    started = time.perf_counter()
    sha256 = hashlib.sha256
    with engine.connect() as connection:
        rows = connection.execution_options(stream_results=True, yield_per=BATCH).execute(
            select(table).order_by(table.c.seq))
        for batch in rows.partitions():
            payloads = [chain.hashed_bytes(chain.EntryContent(
                seq=row.seq, occurred_at=row.occurred_at, actor_id=row.actor_id, actor_name=row.actor_name,
                action=row.action, entity_type=row.entity_type, entity_id=row.entity_id,
                old_values=row.old_values, new_values=row.new_values, reason=row.reason,
                prev_hash=row.prev_hash)) for row in batch]
            clock = time.perf_counter()
            for payload in payloads:
                sha256(payload).hexdigest()
            hashing += time.perf_counter() - clock
            entries += len(payloads)
            size += sum(map(len, payloads))
    return {"entries": entries, "bytes": size, "hash_seconds": round(hashing, 3),
            "entries_per_s": round(entries / hashing) if hashing else None,
            "read_and_build_seconds": round(time.perf_counter() - started - hashing, 2)}
