"""Read-only jobs run a batch per read transaction: each answered alone, none judged on records older than it."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

import pytest
from sqlalchemy import Connection, text
from sqlalchemy.exc import SQLAlchemyError

from batchtrack.audit import service as audit_service
from batchtrack.auth.principal import SYSTEM
from batchtrack.db import Database
from batchtrack.scanning.read_batches import ReadBatches

WAIT_S = 30
Q = TypeVar("Q")


class Gate:
    """A job that holds the only worker until opened: the jobs submitted meanwhile queue up behind it."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.opened = threading.Event()

    def __call__(self, connection: Connection) -> int:
        count = _count_remarks(connection)  # a read: on SQLite the transaction's snapshot is taken here
        self.entered.set()
        assert self.opened.wait(WAIT_S)
        return count


def _count_remarks(connection: Connection) -> int:
    return int(connection.execute(text("SELECT count(*) FROM audit_entry WHERE action = 'test.remark'")).scalar_one())


def _transaction_of(connection: Connection) -> Any:
    return connection.get_transaction()


def _add_remark(database: Database) -> None:
    with database.write_connection() as connection:
        audit_service.record(session=connection, actor=SYSTEM, action="test.remark", entity_type="test", entity_id=1)


def behind_the_worker(database: Database, batches: ReadBatches, queue: Callable[[], Q]) -> tuple[int, Q]:
    """Hold the only worker in a read transaction while `queue` submits jobs, then let it go on: what the held job
    read, and what `queue` returned."""
    gate = Gate()
    held = batches.submit(database, gate)
    assert gate.entered.wait(WAIT_S)
    queued = queue()
    gate.opened.set()
    return held.result(WAIT_S), queued


@pytest.fixture
def batches() -> ReadBatches:
    return ReadBatches(threads=1, most=8, name="test-batch")


def test_jobs_waiting_together_are_run_in_one_read_transaction(database: Database, batches: ReadBatches) -> None:
    _, waiting = behind_the_worker(database, batches, lambda: [batches.submit(database, _transaction_of)
                                                               for _ in range(5)])
    transactions = [job.result(WAIT_S) for job in waiting]
    assert all(transaction is transactions[0] for transaction in transactions)
    assert transactions[0] is not None


def test_no_more_jobs_go_in_one_transaction_than_the_limit(database: Database) -> None:
    batches = ReadBatches(threads=1, most=2, name="test-batch")
    _, waiting = behind_the_worker(database, batches, lambda: [batches.submit(database, _transaction_of)
                                                               for _ in range(5)])
    transactions = [job.result(WAIT_S) for job in waiting]
    assert len({id(transaction) for transaction in transactions}) == 3  # 2 + 2 + 1


def test_a_job_sees_every_change_committed_before_it_was_submitted(database: Database,
                                                                    batches: ReadBatches) -> None:
    # The worker is busy in a transaction that began (and, on SQLite, took its snapshot) before the change: the
    # job submitted after the change must not be run in that transaction.
    def change_then_submit() -> Future[int]:
        _add_remark(database)
        return batches.submit(database, _count_remarks)

    seen_by_held, after = behind_the_worker(database, batches, change_then_submit)
    assert seen_by_held == 0
    assert after.result(WAIT_S) == 1


def test_what_a_job_raises_is_its_own_answer(database: Database, batches: ReadBatches) -> None:
    def refuse(_connection: Connection) -> int:
        raise ValueError("refused")

    _, jobs = behind_the_worker(database, batches, lambda: [
        batches.submit(database, _count_remarks), batches.submit(database, refuse),
        batches.submit(database, _count_remarks)])
    assert jobs[0].result(WAIT_S) == 0 and jobs[2].result(WAIT_S) == 0
    with pytest.raises(ValueError, match="refused"):
        jobs[1].result(WAIT_S)


def test_a_database_error_fails_its_job_alone_and_the_rest_are_run_afresh(database: Database,
                                                                           batches: ReadBatches) -> None:
    # On PostgreSQL a failed statement ends the transaction: the jobs after it can only be run in a new one.
    def broken(connection: Connection) -> int:
        return int(connection.execute(text("SELECT count(*) FROM no_such_table")).scalar_one())

    def queue() -> tuple[Future[Any], Future[int], list[Future[int]]]:
        return (batches.submit(database, _transaction_of), batches.submit(database, broken),
                [batches.submit(database, _count_remarks) for _ in range(3)])

    _, (before, failing, after) = behind_the_worker(database, batches, queue)
    assert before.result(WAIT_S) is not None
    with pytest.raises(SQLAlchemyError):
        failing.result(WAIT_S)
    assert [job.result(WAIT_S) for job in after] == [0, 0, 0]


def test_a_batch_runner_needs_a_thread_and_room_for_a_job() -> None:
    with pytest.raises(ValueError):
        ReadBatches(threads=0, most=1, name="none")
    with pytest.raises(ValueError):
        ReadBatches(threads=1, most=0, name="none")
