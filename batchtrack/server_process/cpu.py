"""Which processor a server process runs on: one of its own, kept for as long as the process lives.

A server process runs its requests on several threads (the event loop, the scan judges, the worker pool), and the
interpreter lock lets one of them run Python at a time. Left to the kernel, those threads run on different
processors and hand the lock, and every object they share, from one processor's cache to another's at each turn:
under load that doubled the processor time a scan verification takes (measured with `bench/scan_bench.py` on two
processors: about 1.1 ms of server CPU per scan spread over both, about 0.55 ms on one). A process gains little from a
second processor anyway, since only one of its threads runs Python at a time; more processors are used by serving
with more worker processes (`batchtrack serve --workers N`), each of which then takes a processor of its own.

A processor is claimed by holding an advisory lock on a small file named after it, so two worker processes (of
one server or of two on the same machine) never claim the same one; a lock is let go when its process ends,
however it ends. When every processor allowed is claimed already, the process is left where the kernel puts it.
Linux only (`os.sched_setaffinity`); elsewhere nothing is changed.
"""

from __future__ import annotations

import logging
import os
import stat
import tempfile
from pathlib import Path
from typing import IO

log = logging.getLogger(__name__)

_held: list[IO[bytes]] = []  # the claim of this process, kept open (and so locked) until it ends


def claims_folder() -> Path:
    """Where the processors' claim files are kept: the system's temporary folder, per user."""
    return Path(tempfile.gettempdir()) / f"batchtrack-cpu-claims-{os.getuid()}"


def keep_on_one_cpu(folder: Path | None = None) -> int | None:
    """Run this process on one processor no other batchtrack server process holds; the processor, or None
    when none is free (or the platform cannot place a process)."""
    if not hasattr(os, "sched_setaffinity"):
        return None
    try:
        import fcntl
    except ImportError:  # pragma: no cover - every platform with sched_setaffinity has fcntl
        return None
    allowed = sorted(os.sched_getaffinity(0))
    if len(allowed) < 2:
        return None  # nowhere else to go
    folder = folder or claims_folder()
    try:
        folder.mkdir(mode=0o700, exist_ok=True)
        found = folder.lstat()
    except OSError:  # something else is there (a file, a dangling link)
        found = None
    if found is None or stat.S_ISLNK(found.st_mode) or not stat.S_ISDIR(found.st_mode) or found.st_uid != os.getuid():
        # Not a folder of this user's own (a link, or another's, planted in a shared temporary folder).
        log.warning("processor claims folder %s is not this user's own folder: process %d is left to the kernel",
                    folder, os.getpid())
        return None
    for cpu in allowed:
        try:
            claim = (folder / f"cpu-{cpu}.lock").open("ab")
        except OSError:  # not ours to open
            continue
        try:
            fcntl.flock(claim.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:  # another process holds this one
            claim.close()
            continue
        os.sched_setaffinity(0, {cpu})
        _held.append(claim)
        log.info("server process %d runs on processor %d", os.getpid(), cpu)
        return cpu
    log.info("every processor is claimed by another server process: process %d is left to the kernel", os.getpid())
    return None
