"""Work a server process does in the background: a daemon thread that calls a function every few seconds."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)


class Every:
    """A daemon thread that calls `work` every `seconds` until stopped, and once more at the stop if asked.

    A failure is logged and the thread goes on: a timer that died silently would stop what it keeps up (audit
    checkpoints, the record of when sessions were last used).
    """

    def __init__(self, work: Callable[[], None], *, seconds: float, name: str, at_stop: bool = False) -> None:
        self._work, self._seconds, self._at_stop = work, seconds, at_stop
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        """Start calling."""
        self._thread.start()

    def stop(self) -> None:
        """Stop calling and wait for the thread (then call once more, if asked)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=30)
        if self._at_stop:
            self._call()

    def _run(self) -> None:
        while not self._stop.wait(self._seconds):
            self._call()

    def _call(self) -> None:
        try:
            self._work()
        except Exception:
            log.exception("background work %s", self._thread.name)
