"""When sessions and tokens were last used: noted on the request path, written in small batches.

A session's idle time and a token's last use are kept in the database, so every server sees them. Writing them at
every request would add a write to every read (and to every scan of every station): a request only notes that its
session or token was last written longer ago than `sessions.TOUCH_EVERY` / `tokens.TOUCH_EVERY`, and the notes are
written by the request that made them (pages and API calls) or, for scans, every few seconds by a thread the
application starts (`main`).
"""

from __future__ import annotations

import threading

from batchtrack.auth import sessions, tokens
from batchtrack.db import Database

FLUSH_SECONDS = 5.0


class Usage:
    """Sessions and tokens used since their last recorded use was written, to be written."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sessions: set[int] = set()
        self._tokens: set[int] = set()

    def note(self, *, session_id: int | None = None, token_id: int | None = None) -> None:
        """Note a use to be written."""
        with self._lock:
            if session_id is not None:
                self._sessions.add(session_id)
            if token_id is not None:
                self._tokens.add(token_id)

    def flush(self, database: Database) -> None:
        """Write every noted use, in one short transaction."""
        with self._lock:
            session_ids, token_ids = self._sessions, self._tokens
            self._sessions, self._tokens = set(), set()
        if not session_ids and not token_ids:
            return
        with database.transaction(write=True) as session:
            for session_id in sorted(session_ids):
                sessions.touch(session=session, session_id=session_id)
            tokens.touch(session=session, token_ids=token_ids)
