"""The Prometheus instruments, and the one-line hooks the code records into.

Every hook is on a hot path (each request, each scan, each audit entry), so each does the least: the labelled
children are looked up once and kept, and recording is an addition under the client library's lock (or, across
`serve --workers`, a write into a memory-mapped file: see multiprocess).

Pool use is counted by the pool's own checkout and checkin events rather than read at scrape time: across several
workers a scrape is answered by one of them, which could read its own pool alone.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from prometheus_client import Counter, Gauge, Histogram
from sqlalchemy import Engine, event

if TYPE_CHECKING:
    from batchtrack.scanning.verdict import VerdictKind

# From a millisecond (a scan under no load) to ten seconds (a printed batch record).
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# An audit entry is a lock, one read and one insert: from a tenth of a millisecond to a second waiting for the lock.
APPEND_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0)

REQUEST_SECONDS = Histogram(
    "batchtrack_http_request_duration_seconds", "Time to answer a request, by route template, method and status.",
    ["route", "method", "status"], buckets=LATENCY_BUCKETS)
SCAN_VERDICTS = Counter("batchtrack_scan_verdicts", "Scans judged at stations, by verdict.", ["verdict"])
REFUSALS = Counter("batchtrack_refusals", "Requests refused with a reason, by the reason's code.", ["code"])
AUDIT_APPEND_SECONDS = Histogram(
    "batchtrack_audit_append_duration_seconds", "Time to append one entry to the audit chain (lock, head, insert).",
    buckets=APPEND_BUCKETS)
# Summed over the live workers: a worker that ended takes its connections with it (see multiprocess).
POOL_IN_USE = Gauge("batchtrack_db_connections_in_use", "Database connections checked out of the pool.",
                    multiprocess_mode="livesum")
POOL_CAPACITY = Gauge("batchtrack_db_pool_capacity", "Database connections the pool may hold (pool size).",
                      multiprocess_mode="livesum")

_verdicts = {kind: SCAN_VERDICTS.labels(verdict=kind) for kind in ("proceed", "stop", "identified")}


def scan_judged(kind: VerdictKind) -> None:
    """Count one scan's verdict."""
    _verdicts[kind].inc()


def refused(code: str) -> None:
    """Count one refusal by its reason code."""
    REFUSALS.labels(code=code).inc()


def audit_appended(seconds: float) -> None:
    """Record how long one audit entry took to append."""
    AUDIT_APPEND_SECONDS.observe(seconds)


def watch_pool(engine: Engine) -> None:
    """Count the engine's connections in use as the pool hands them out and takes them back (one engine a
    process: the application's)."""
    size: Callable[[], int] | None = getattr(engine.pool, "size", None)
    if size is not None:
        POOL_CAPACITY.set(size())
    in_use = POOL_IN_USE

    @event.listens_for(engine, "checkout")
    def _out(*_args: object) -> None:
        in_use.inc()

    @event.listens_for(engine, "checkin")
    def _in(*_args: object) -> None:
        in_use.dec()
