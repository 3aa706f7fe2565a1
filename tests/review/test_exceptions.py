"""Review by exception (batchtrack.review.exceptions): which entries of a lot's trail a reviewer must look at."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from batchtrack.review.exceptions import ExceptionKind, TrailEntry, classify, exceptions_in, outdating_after

AT = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def _entry(seq: int, action: str, *, new: dict[str, Any] | None = None, old: dict[str, Any] | None = None,
           entity_type: str = "lot", at: datetime = AT) -> TrailEntry:
    return TrailEntry(seq=seq, occurred_at=at, actor_name="A. Operator", action=action, entity_type=entity_type,
                      entity_id="W000026000001", old_values=json.dumps(old or {}), new_values=json.dumps(new or {}),
                      reason="")


def _kinds(entry: TrailEntry) -> list[ExceptionKind]:
    return [found.kind for found in classify(entry)]


def test_each_kind_of_exception_is_found_by_the_action_that_records_it() -> None:
    assert _kinds(_entry(1, "value.corrected")) == [ExceptionKind.CORRECTION]
    assert _kinds(_entry(2, "step.scan_refused")) == [ExceptionKind.REFUSAL]
    assert _kinds(_entry(3, "signature.refused", entity_type="process_step")) == [ExceptionKind.REFUSAL]
    assert _kinds(_entry(4, "deviation.opened", entity_type="deviation")) == [ExceptionKind.DEVIATION]
    assert _kinds(_entry(5, "lot.hold")) == [ExceptionKind.DEVIATION]
    assert _kinds(_entry(6, "hold.lifted")) == [ExceptionKind.DEVIATION]
    assert _kinds(_entry(7, "label.reprinted")) == [ExceptionKind.REPRINT]
    assert _kinds(_entry(8, "label.voided", entity_type="container")) == [ExceptionKind.VOID]
    assert _kinds(_entry(9, "label.destroyed", entity_type="container")) == [ExceptionKind.VOID]
    assert _kinds(_entry(10, "release.released_pending_sterility")) == [ExceptionKind.OVERRIDE]
    assert _kinds(_entry(11, "lot.expiry_set", old={"expires_at": "2026-12-09T00:00:00+00:00"},
                         new={"expires_at": "2026-12-10T00:00:00+00:00"})) == [ExceptionKind.OVERRIDE]


def test_ordinary_entries_are_no_exception() -> None:
    for action in ("lot.opened", "step.started", "step.completed", "qc.result_entered", "label.printed",
                   "label.applied", "signature.applied", "release.released", "lot.expiry_set"):
        assert _kinds(_entry(1, action, old={"expires_at": None})) == [], action


def test_an_entry_recorded_more_than_a_day_after_the_time_it_states_is_a_late_entry() -> None:
    late = _entry(1, "custody.handed_over", entity_type="container",
                  new={"occurred_at": (AT - timedelta(hours=25)).isoformat()})
    on_time = _entry(2, "custody.handed_over", entity_type="container",
                     new={"occurred_at": (AT - timedelta(hours=23)).isoformat()})
    collected = _entry(3, "collection.collected", entity_type="collection",
                       new={"started_at": (AT - timedelta(days=3)).isoformat(), "collected_at": AT.isoformat()})
    assert _kinds(late) == [ExceptionKind.LATE_ENTRY]
    assert "recorded 25 h after the occurred at" in str(classify(late)[0].why)
    assert _kinds(on_time) == []
    assert _kinds(collected) == [ExceptionKind.LATE_ENTRY]


def test_exceptions_are_grouped_by_kind_oldest_first() -> None:
    found = exceptions_in([_entry(1, "label.reprinted"), _entry(2, "value.corrected"), _entry(3, "step.scan_refused"),
                           _entry(4, "value.corrected"), _entry(5, "step.started")])
    assert [(f.kind, f.entry.seq) for f in found] == [
        (ExceptionKind.CORRECTION, 2), (ExceptionKind.CORRECTION, 4), (ExceptionKind.REFUSAL, 3),
        (ExceptionKind.REPRINT, 1)]


def test_a_review_is_outdated_by_a_later_exception_of_the_record_not_by_a_refused_release_attempt() -> None:
    found = exceptions_in([_entry(1, "value.corrected"), _entry(5, "release.refused"),
                           _entry(6, "signature.refused", entity_type="lot"),
                           _entry(7, "signature.refused", entity_type="lot_record_review")])
    assert outdating_after(found, 4) == []
    later = exceptions_in([_entry(1, "value.corrected"), _entry(8, "deviation.opened", entity_type="deviation")])
    assert [f.entry.seq for f in outdating_after(later, 4)] == [8]
    assert [f.entry.seq for f in outdating_after(later, 8)] == []
