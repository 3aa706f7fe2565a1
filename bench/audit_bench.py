"""Speed of `audit verify` over a long chain, next to bare hashlib.sha256 over the same bytes.

The verification goes through `batchtrack.audit.service.verify_chain(database, jobs=...)` where the service
has it, else through the command line (`batchtrack audit verify` in a subprocess, timed from launch to exit,
so its start-up is included). The baseline reads every entry, builds the exact bytes the chain hashes
(`batchtrack.audit.chain.hashed_bytes`) outside the clock, and times SHA-256 (hex digest, as compared) alone:
the most any verification in Python could reach on this machine.
"""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from batchtrack.audit import chain
from batchtrack.audit import service as audit_service
from batchtrack.db import Database
from batchtrack.models import AuditEntry

BATCH = 50_000
CLI_TIMEOUT_S = 1800
CLI_ANSWER = re.compile(r"OK: (\d+) entries")


def _cli() -> list[str]:
    """The `batchtrack` command of this interpreter's environment."""
    script = Path(sys.executable).with_name("batchtrack")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from batchtrack.cli import main; main()"]


def verify_throughput(engine: Engine, *, env: dict[str, str], jobs: int | None = None) -> dict[str, Any]:
    """Verify the whole chain once; entries, seconds, entries per second, and which way it was run.

    `jobs` None leaves the number of worker processes to the service. Should the service fail, the command
    line is timed instead, and the failure is kept with the figures."""
    verify_chain = getattr(audit_service, "verify_chain", None)
    failure = ""
    if verify_chain is not None:
        started = time.perf_counter()
        try:
            result = verify_chain(Database(engine), jobs=jobs)
        except Exception as exc:  # a failing service is reported, and the command line timed instead
            failure = f"verify_chain failed: {exc!r}"[:300]
        else:
            seconds = time.perf_counter() - started
            return _figures(f"verify_chain(jobs={jobs or 'default'})", result.count, result.ok, result.problem,
                            seconds)
    started = time.perf_counter()
    answer = subprocess.run([*_cli(), "audit", "verify"], env=env, capture_output=True, text=True,
                            timeout=CLI_TIMEOUT_S, check=False)
    seconds = time.perf_counter() - started
    found = CLI_ANSWER.search(answer.stdout)
    ok = answer.returncode == 0 and found is not None
    figures = _figures("batchtrack audit verify (subprocess, start-up included)", int(found.group(1)) if found else 0,
                       ok, (answer.stderr or answer.stdout).strip()[-300:], seconds)
    return figures | ({"service_failure": failure} if failure else {})


def _figures(method: str, count: int, ok: bool, problem: str, seconds: float) -> dict[str, Any]:
    return {"method": method, "entries": count, "ok": ok, "problem": "" if ok else problem,
            "seconds": round(seconds, 2), "entries_per_s": round(count / seconds) if seconds else None}


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
