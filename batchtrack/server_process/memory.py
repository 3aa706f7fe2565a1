"""How a server process uses the C library's heap.

glibc's malloc gives each thread that allocates at once a heap arena of its own, up to eight per core; memory freed
in one arena is kept there for that arena's next allocations. A server process runs its requests on a pool of
worker threads, so after a mixed load it holds several partly used arenas. The interpreter lock lets only one of
those threads run Python at a time, so they gain almost nothing from separate arenas: a process serving batchtrack
shares a few (the effect of the MALLOC_ARENA_MAX environment variable, set from inside the process, before its
worker threads start).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import platform

log = logging.getLogger(__name__)

M_ARENA_MAX = -8  # mallopt's parameter number, from glibc's malloc.h
SERVER_ARENAS = 2


def share_heap_arenas(arenas: int = SERVER_ARENAS) -> bool:
    """Cap the process's malloc arenas at `arenas` (glibc on Linux only); True when the cap took effect."""
    if platform.libc_ver()[0] != "glibc":  # other C libraries (macOS, musl) have no arenas to cap
        return False
    name = ctypes.util.find_library("c")
    mallopt = getattr(ctypes.CDLL(name), "mallopt", None) if name else None
    if mallopt is None:
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    applied = bool(mallopt(M_ARENA_MAX, arenas))
    if not applied:
        log.warning("the C library refused to cap its heap arenas at %d", arenas)
    return applied
