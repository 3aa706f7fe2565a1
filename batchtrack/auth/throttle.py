"""A brake on password spraying: failed sign-ins counted per client address, in the database.

The per-account lockout (kept in the database) stops many passwords tried on one account; this throttle slows down
one address trying a few passwords on each of many accounts, which the lockout alone never notices. The address is
the client's own as the trusted reverse proxy forwards it (uvicorn's --forwarded-allow-ips), not the proxy's: behind
a proxy, one address for everyone would lock the whole site out. The failures are rows of `sign_in_failure`, read
and written in the sign-in's own transaction, so every process of every server counts the same ones. Sign-ins
from one address at the very same moment may each pass before any of them is counted: a brake, not a lock.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session
from sqlmodel import col

from batchtrack.config import Settings
from batchtrack.models.base import utcnow
from batchtrack.models.sign_in import SignInFailure

# Failures older than the window forgotten by each new failure, at most: a bounded piece of work per sign-in that
# still keeps the table to about the window's failures.
FORGET_AT_ONCE = 100


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
    """Failed sign-ins per client address within a sliding window, kept in the database."""

    def __init__(self, *, limit: int, window_seconds: float, clock: Callable[[], datetime] = utcnow) -> None:
        self.limit = limit
        self.window = float(window_seconds)
        self._clock = clock

    @classmethod
    def of(cls, settings: Settings) -> LoginThrottle:
        """The throttle the settings describe."""
        return cls(limit=settings.login_throttle_failures, window_seconds=settings.login_throttle_window_seconds)

    def retry_after(self, *, session: Session, address: str) -> int | None:
        """Seconds until `address` may try to sign in again, or None when it may now."""
        now = self._clock()
        # The newest `limit` failures within the window decide (the rule looks at no others).
        newest = session.execute(
            select(col(SignInFailure.failed_at))
            .where(col(SignInFailure.client_address) == _stored(address),
                   col(SignInFailure.failed_at) > now - timedelta(seconds=self.window))
            .order_by(col(SignInFailure.failed_at).desc()).limit(self.limit)
        ).scalars().all()
        return retry_after([moment.timestamp() for moment in reversed(newest)], now=now.timestamp(),
                           limit=self.limit, window=self.window)

    def failed(self, *, session: Session, address: str) -> None:
        """Count a failed sign-in from `address`, and forget some failures that have left the window."""
        now = self._clock()
        session.add(SignInFailure(client_address=_stored(address), failed_at=now))
        # Rows another sign-in is forgetting at this moment are skipped, never waited for (PostgreSQL; SQLite has
        # one writer at a time anyway).
        old = (select(col(SignInFailure.id))
               .where(col(SignInFailure.failed_at) <= now - timedelta(seconds=self.window))
               .order_by(col(SignInFailure.id)).limit(FORGET_AT_ONCE).with_for_update(skip_locked=True))
        session.execute(delete(SignInFailure).where(col(SignInFailure.id).in_(old.scalar_subquery())))


def _stored(address: str) -> str:
    # As the column holds it: an IPv6 address is at most 45 characters, so nothing real is cut.
    return address[:64]
