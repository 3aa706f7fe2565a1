"""Running a coroutine function from a synchronous test, on an event loop of its own in a thread of its own.

The browser tests' Playwright keeps an event loop running in the main thread for the rest of the session, so a
test that starts a loop there (anyio.run, asyncio.run) would fail whenever it runs after them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import anyio

T = TypeVar("T")


def run_on_own_loop(work: Callable[..., Awaitable[T]], *args: Any) -> T:
    """`work(*args)` run to its end on a new event loop in a new thread; its result, or its exception raised here."""
    with ThreadPoolExecutor(max_workers=1) as thread:
        return thread.submit(anyio.run, work, *args).result()
