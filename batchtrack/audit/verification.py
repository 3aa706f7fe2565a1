"""Verifying the audit chain fast: the whole chain read through `reading`, split into seq ranges over worker
processes that share one snapshot, the seams between ranges checked by `segments`.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine

from batchtrack.audit import chain, reading, segments

# Entries per range handed to a worker: small enough for steady progress, large enough that per-range
# overhead (a query, a transaction, a line of JSON) is noise.
RANGE_SIZE = 250_000
# Below this many entries per worker, starting a process costs more than it saves.
MIN_ENTRIES_PER_WORKER = 200_000


# Where a walk starts: after entry `seq` whose hash is `hash` (a checkpoint's), or from the first entry.
Start = tuple[int, str] | None


def _span(connection: Any, dialect: str, after: Start) -> tuple[int, int] | None:
    """The seq range to walk: the whole chain, or what follows `after`; None when there is nothing to walk."""
    span = reading.bounds(connection, dialect)
    if span is None:
        return None
    if after is not None:
        span = (max(span[0], after[0] + 1), span[1])
    return span if span[0] <= span[1] else None


def _nothing(after: Start) -> chain.VerifyResult:
    return chain.VerifyResult(0, chain.GENESIS_HASH) if after is None else chain.VerifyResult(*after)


def verify_connection(connection: Any, dialect: str, progress: Callable[[int], None] | None = None,
                      after: Start = None) -> chain.VerifyResult:
    """Verify the chain (or what follows `after`) on one DB-API connection, inside its current transaction."""
    span = _span(connection, dialect, after)
    if span is None:
        return _nothing(after)
    ranges = segments.split(*span, _ranges(span, 1))
    return _join((reading.scan_range(connection, dialect, low, high) for low, high in ranges), progress, after)


def _join(found: Iterator[segments.Segment], progress: Callable[[int], None] | None, after: Start
          ) -> chain.VerifyResult:
    """Check the seams range by range, in order, stopping at the first break."""
    seams = segments.Seams(after)
    for segment in found:
        before = seams.count
        broken = seams.add(segment)
        if progress is not None:
            progress(seams.count - before)
        if broken is not None:
            break
    return seams.result()


def _ranges(span: tuple[int, int], workers: int) -> int:
    return max(workers, math.ceil((span[1] - span[0] + 1) / RANGE_SIZE))


def worker_count(span: tuple[int, int], jobs: int | None) -> int:
    """How many processes to use: as asked, else one per CPU while each has enough entries to be worth it."""
    entries = span[1] - span[0] + 1
    if jobs is not None:
        return max(1, min(jobs, entries))
    return max(1, min(os.cpu_count() or 1, entries // MIN_ENTRIES_PER_WORKER))


@contextmanager
def _read_transaction(engine: Engine, *, export_snapshot: bool) -> Iterator[tuple[Any, str | None]]:
    """A raw connection in a read transaction (a repeatable-read snapshot on PostgreSQL, optionally exported)."""
    proxy = engine.raw_connection()
    connection: Any = proxy.driver_connection
    try:
        reading.begin_read(connection, engine.dialect.name, None)
        snapshot: str | None = None
        if export_snapshot and engine.dialect.name == "postgresql":
            cursor = connection.cursor()
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
            cursor.close()
        yield connection, snapshot
    finally:
        try:
            reading.end_read(connection, engine.dialect.name)
        finally:
            proxy.close()


def verify_engine(engine: Engine, *, jobs: int | None = None, progress: Callable[[int], None] | None = None,
                  after: Start = None) -> chain.VerifyResult:
    """Verify the chain (or what follows `after`) as it stood when this started, over `jobs` processes.

    `after` is (seq, hash) of an entry already vouched for (a checkpoint's): the walk starts at the next entry,
    which must link to that hash; the result's count then includes the `seq` entries before.
    """
    dialect = engine.dialect.name
    with _read_transaction(engine, export_snapshot=True) as (connection, snapshot):
        span = _span(connection, dialect, after)
        if span is None:
            return _nothing(after)
        workers = worker_count(span, jobs)
        if workers == 1:
            # Entries appended from here on are past `span` and not looked at.
            return verify_connection(connection, dialect, progress, after)
        ranges = segments.split(*span, _ranges(span, workers))
        return _join(_in_workers(_worker_target(engine), snapshot, ranges, workers), progress, after)


def _worker_target(engine: Engine) -> dict[str, str]:
    """Where a worker connects: the SQLite file, or the PostgreSQL URL as libpq reads it."""
    if engine.dialect.name == "sqlite":
        return {"sqlite": str(engine.url.database)}
    return {"postgresql": engine.url.set(drivername="postgresql").render_as_string(hide_password=False)}


def _in_workers(target: dict[str, str], snapshot: str | None, ranges: list[tuple[int, int]], workers: int
                ) -> Iterator[segments.Segment]:
    """Scan ranges in worker processes (range i goes to worker i mod n) and yield their segments in order.

    Workers are fresh interpreters (`python -m batchtrack.audit.verify_worker`), never forks: the caller may be
    a server with threads. Where to connect travels on the worker's stdin, so no password shows in a process list.
    """
    processes = [
        subprocess.Popen([sys.executable, "-m", "batchtrack.audit.verify_worker"],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        for _ in range(workers)
    ]
    try:
        for index, process in enumerate(processes):
            assert process.stdin is not None
            process.stdin.write(json.dumps({"target": target, "snapshot": snapshot, "ranges": ranges[index::workers]}))
            process.stdin.close()
        for index in range(len(ranges)):
            stdout = processes[index % workers].stdout
            assert stdout is not None
            line = stdout.readline()
            if not line:
                raise RuntimeError("an audit verification worker stopped without an answer (see its error above)")
            yield segments.Segment(*json.loads(line))
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
            process.wait()
            if process.stdout is not None:
                process.stdout.close()
