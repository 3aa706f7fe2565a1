"""Small read-only jobs run a batch at a time: one read transaction for every job waiting when it begins.

For a hot read path (scan verification) whose queries cost less than the transaction around them: taking a
pooled connection, its pre-ping, BEGIN and COMMIT, and handing the work to a thread and back. Under load, jobs
queue up; a worker then takes every job waiting (up to a limit) and runs them one after another in one read
transaction, each answered as soon as it is done.

A job is never judged on records older than its arrival: the jobs of a batch are taken from the queue before the
transaction begins, so its snapshot is at least as new as each of them (on SQLite the snapshot is taken at the
first read; on PostgreSQL, at read committed, each statement takes its own). A job that arrives meanwhile waits
for the next batch.

A batch may be prepared before its jobs run (`prepare`): what each of them would look up alone is then read
for all of them in one query, in the same transaction.

A job answers for itself: what it raises (a refusal, a malformed request) is its answer and leaves the others
alone. When the database fails, the job running then (the first, if none had begun) is answered with that
failure, and the jobs of the batch not yet run are run again in a transaction of their own.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar
from weakref import WeakKeyDictionary

from sqlalchemy import Connection
from sqlalchemy.exc import SQLAlchemyError

from batchtrack.db import Database

T = TypeVar("T")
# Called in each batch's transaction before its jobs run, with their work: to read at once what each would read.
Prepare = Callable[[Connection, Sequence[Callable[[Connection], Any]]], None]


class NotRun(RuntimeError):
    """A job left unanswered because its worker stopped on an error that was not the database's."""


@dataclass(eq=False, slots=True)
class _Job(Generic[T]):
    work: Callable[[Connection], T]
    done: Future[T] = field(default_factory=Future)

    def run(self, connection: Connection) -> None:
        """Run the work and answer with its result or what it raised; a database error is raised again."""
        if not self.done.set_running_or_notify_cancel():
            return
        try:
            result = self.work(connection)
        except SQLAlchemyError as exc:
            self.done.set_exception(exc)
            raise
        except Exception as exc:  # the job's own answer: the transaction is unharmed
            self.done.set_exception(exc)
        else:
            self.done.set_result(result)


class ReadBatches:
    """Worker threads that run read-only jobs a batch per read transaction."""

    def __init__(self, *, threads: int, most: int, name: str, prepare: Prepare | None = None) -> None:
        if threads < 1 or most < 1:
            raise ValueError("a batch runner needs at least one thread and one job per batch")
        self.most = most
        self.prepare = prepare
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix=name)
        self._waiting: WeakKeyDictionary[Database, deque[_Job[Any]]] = WeakKeyDictionary()
        self._lock = threading.Lock()

    def submit(self, database: Database, work: Callable[[Connection], T]) -> Future[T]:
        """Queue `work` to run in a read transaction on `database`; its future holds its result or error."""
        job: _Job[T] = _Job(work)
        waiting = self._queue(database)
        waiting.append(job)
        # One turn of a worker per job: the turn finds its job already taken when an earlier turn took it into
        # its batch, and then ends at once.
        self._pool.submit(self._run_waiting, database, waiting)
        return job.done

    def _queue(self, database: Database) -> deque[_Job[Any]]:
        waiting = self._waiting.get(database)
        if waiting is None:
            with self._lock:
                waiting = self._waiting.setdefault(database, deque())
        return waiting

    def _run_waiting(self, database: Database, waiting: deque[_Job[Any]]) -> None:
        batch: list[_Job[Any]] = []
        while waiting and len(batch) < self.most:
            try:
                batch.append(waiting.popleft())
            except IndexError:  # another worker took the last one
                break
        try:
            while batch:
                batch = _run_batch(database, batch, self.prepare)
        finally:
            for job in batch:  # only when something other than the database failed
                if not job.done.done():
                    job.done.set_exception(NotRun("the job was not run: its worker stopped on an error"))


def _run_batch(database: Database, batch: list[_Job[Any]], prepare: Prepare | None) -> list[_Job[Any]]:
    """Run the jobs in one read transaction; return those to run again after the database failed."""
    finished = 0
    try:
        with database.engine.begin() as connection:
            if prepare is not None:
                prepare(connection, [job.work for job in batch])
            for job in batch:
                job.run(connection)
                finished += 1
    except SQLAlchemyError as exc:
        if finished == len(batch):  # at COMMIT: every job was answered already
            return []
        failed = batch[finished]
        if not failed.done.done():  # the database failed before the job began (connecting, BEGIN, preparing)
            failed.done.set_exception(exc)
        return [job for job in batch[finished + 1:] if not job.done.done()]
    return []
