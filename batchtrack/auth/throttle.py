"""A brake on password spraying: failed sign-ins counted per client address, in the memory of one process.

The per-account lockout (kept in the database) is the control that holds across servers and restarts; this
throttle only slows down one address trying a few passwords on each of many accounts, which the lockout alone
never notices.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Sequence

from starlette.datastructures import State

from batchtrack.config import Settings

# Addresses tracked at once: the oldest are forgotten first, so a flood of addresses cannot grow memory unbounded.
MAX_ADDRESSES = 10_000
_STATE_KEY = "login_throttle"
_creating = threading.Lock()


def retry_after(failures: Sequence[float], *, now: float, limit: int, window: float) -> int | None:
    """Seconds until an address with failed sign-ins at `failures` (oldest first) may try again; None if it may now.

    It may try while fewer than `limit` of its failures fall within the last `window` seconds.
    """
    recent = [moment for moment in failures if moment > now - window]
    if len(recent) < limit:
        return None
    # The address may try again when enough of its failures have left the window.
    frees_at = recent[len(recent) - limit] + window
    return max(1, math.ceil(frees_at - now))


class LoginThrottle:
    """Failed sign-ins per client address within a sliding window; safe to share between threads."""

    def __init__(self, *, limit: int, window_seconds: float, clock: Callable[[], float] = time.monotonic,
                 max_addresses: int = MAX_ADDRESSES) -> None:
        self.limit = limit
        self.window = float(window_seconds)
        self._clock = clock
        self._max_addresses = max_addresses
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def retry_after(self, address: str) -> int | None:
        """Seconds until `address` may try to sign in again, or None when it may now."""
        with self._lock:
            failures = self._failures.get(address)
            if not failures:
                return None
            return retry_after(failures, now=self._clock(), limit=self.limit, window=self.window)

    def failed(self, address: str) -> None:
        """Count a failed sign-in from `address`."""
        now = self._clock()
        with self._lock:
            failures = self._failures.pop(address, None) or deque(maxlen=self.limit)
            while failures and failures[0] <= now - self.window:
                failures.popleft()
            failures.append(now)
            self._failures[address] = failures  # most recently failed last: the first to forget is the oldest
            while len(self._failures) > self._max_addresses:
                self._failures.popitem(last=False)


def of_app(state: State, settings: Settings) -> LoginThrottle:
    """The application's throttle (one per process), made on first use from the settings."""
    throttle = getattr(state, _STATE_KEY, None)
    if isinstance(throttle, LoginThrottle):
        return throttle
    with _creating:
        throttle = getattr(state, _STATE_KEY, None)
        if not isinstance(throttle, LoginThrottle):
            throttle = LoginThrottle(limit=settings.login_throttle_failures,
                                     window_seconds=settings.login_throttle_window_seconds)
            setattr(state, _STATE_KEY, throttle)
        return throttle
