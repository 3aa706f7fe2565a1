"""Background work of a server process: called every few seconds, a failure logged and survived, and once more at
the stop when asked (the record of when sessions were last used is written then)."""

from __future__ import annotations

import threading

import pytest

from batchtrack.server_process import periodic


def test_work_is_called_again_after_a_failure_and_once_more_at_the_stop(caplog: pytest.LogCaptureFixture) -> None:
    calls: list[int] = []
    twice = threading.Event()

    def work() -> None:
        calls.append(len(calls))
        if len(calls) == 1:
            raise RuntimeError("the database was away")
        if len(calls) >= 2:
            twice.set()

    every = periodic.Every(work, seconds=0.01, name="test-work", at_stop=True)
    every.start()
    assert twice.wait(5), "called again after its first call failed"
    every.stop()
    after_stop = len(calls)
    assert after_stop >= 3  # at least two calls of the thread, and the one at the stop
    assert "background work test-work" in caplog.text and "the database was away" in caplog.text
    assert len(calls) == after_stop  # nothing after the stop


def test_without_at_stop_nothing_is_called_at_the_stop() -> None:
    calls: list[str] = []
    every = periodic.Every(lambda: calls.append("called"), seconds=60, name="test-idle")
    every.start()
    every.stop()
    assert calls == []
