"""Metrics shared by the worker processes of `serve --workers N`: the client library's multi-process mode.

A scrape of /metrics is answered by whichever worker the kernel hands the connection to. Counted per process, each
scrape would see one worker's counters, and a counter would seem to jump back and forth between workers' values;
counted per process with a `worker` label, each series would be scraped only now and then and look stale between.
So each worker writes its values into files of its own in a folder all share (PROMETHEUS_MULTIPROC_DIR), and the
worker that answers a scrape adds them up. The folder must be set before the library is first imported in a worker
(it picks its way of storing values then): `serve` sets it in its own environment, which the workers it starts
inherit. A single process (`--workers 1`, the tests) keeps its values in memory as usual.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

ENVIRONMENT_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"


def folder() -> Path | None:
    """The folder the workers' values are shared in, or None when this process counts alone."""
    named = os.environ.get(ENVIRONMENT_VARIABLE)
    return Path(named) if named else None


def prepare_for_workers(workers: int) -> Path | None:
    """Before `serve` starts several workers: a folder for their values, emptied of an earlier run's; None for one.

    An operator's own PROMETHEUS_MULTIPROC_DIR is used (emptied, as the library asks); otherwise a new temporary
    folder, removed when the command ends.
    """
    if workers < 2:
        return None
    named = folder()
    if named is not None:
        named.mkdir(parents=True, exist_ok=True)
        for stale in named.glob("*.db"):
            stale.unlink()
        return named
    made = Path(tempfile.mkdtemp(prefix="batchtrack-metrics-"))
    os.environ[ENVIRONMENT_VARIABLE] = str(made)
    atexit.register(shutil.rmtree, made, ignore_errors=True)
    return made


def forget_this_process_at_exit() -> None:
    """In a worker: when it ends, drop its share of the live gauges (its pool's connections end with it)."""
    if folder() is None:
        return
    from prometheus_client import multiprocess

    atexit.register(multiprocess.mark_process_dead, os.getpid())
