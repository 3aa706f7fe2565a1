"""Review by exception (DESIGN.md section 7): the entries of a lot's trail a reviewer must look at, by kind.

A pure rule over plain entries. The kinds, and the audit actions that mean each (as the services record them):

- correction: a recorded value replaced with a reason (`value.corrected`: step values, QC results, expiry);
- refusal: anything a gate or a signature refused (every action ending in `refused`);
- deviation: a deviation opened or closed, the lot put on hold or its hold lifted, an alert raised to the clinic;
- reprint: a label printed again (`label.reprinted`);
- void: a printed label voided or destroyed (`label.voided`, `label.destroyed`);
- late entry: an entry that states when the thing it records happened (a hand-over's `occurred_at`, a collection's
  `started_at`/`collected_at`, an infusion's `started_at`/`ended_at`) and was recorded more than LATE_ENTRY_HOURS
  after that time: contemporaneous no more (ALCOA+);
- override: a decision taken instead of the usual condition: a release pending sterility (before the final
  sterility result), or an expiry changed once it was set.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from batchtrack.i18n.text import Text, _


class ExceptionKind(StrEnum):
    """What makes an entry an exception, in the order a review lists them."""

    CORRECTION = "correction"
    REFUSAL = "refusal"
    DEVIATION = "deviation"
    REPRINT = "reprint"
    VOID = "void"
    LATE_ENTRY = "late_entry"
    OVERRIDE = "override"


# A day: a hand-over or a collection written up the next day is no longer contemporaneous; within the day, a
# record written at the end of a shift is ordinary practice.
LATE_ENTRY_HOURS = 24
STATED_TIMES = ("occurred_at", "started_at", "collected_at", "ended_at")
DEVIATION_ACTIONS = frozenset({"deviation.opened", "deviation.closed", "lot.hold", "hold.lifted", "alert.raised"})
VOID_ACTIONS = frozenset({"label.voided", "label.destroyed"})
OVERRIDE_ACTIONS = frozenset({"release.released_pending_sterility"})
# Refusals of the release decision itself (a refused attempt, a wrong password at signing) change nothing in the
# lot's record: a review lists them, but they do not make a review signed before them out of date.
_DECISION_REFUSALS = frozenset({"release.refused", "release.reject_refused", "release.co_sign_refused"})
_DECISION_SIGNED = frozenset({"lot", "lot_record_review"})
# Why an entry is an exception, as people read it: the English is the action's or the field's name as recorded.
_STATED_TIME_NAMES = {"occurred_at": _("occurred at"), "started_at": _("started at"),
                      "collected_at": _("collected at"), "ended_at": _("ended at")}
_DEVIATION_WHY = {"deviation.opened": _("deviation opened"), "deviation.closed": _("deviation closed"),
                  "lot.hold": _("lot hold"), "hold.lifted": _("hold lifted"), "alert.raised": _("alert raised")}
_VOID_WHY = {"label.voided": _("a printed label was voided"), "label.destroyed": _("a printed label was destroyed")}


@dataclass(frozen=True, slots=True)
class TrailEntry:
    """What the rule reads of one audit entry."""

    seq: int
    occurred_at: datetime
    actor_name: str
    action: str
    entity_type: str
    entity_id: str
    old_values: str
    new_values: str
    reason: str


@dataclass(frozen=True, slots=True)
class RecordException:
    """One exception: its kind, the entry, and why it is one."""

    kind: ExceptionKind
    entry: TrailEntry
    why: Text  # str() of it is the English the API and the record's CSV give

    @property
    def outdates_review(self) -> bool:
        """Whether a review signed before this entry no longer covers the lot's record (see _DECISION_REFUSALS)."""
        if self.kind is not ExceptionKind.REFUSAL:
            return True
        if self.entry.action in _DECISION_REFUSALS:
            return False
        return not (self.entry.action == "signature.refused" and self.entry.entity_type in _DECISION_SIGNED)


def _values(text: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _stated_time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _late(entry: TrailEntry, late_after: timedelta) -> Text | None:
    values = _values(entry.new_values)
    for key in STATED_TIMES:
        stated = _stated_time(values.get(key))
        if stated is not None and entry.occurred_at - stated > late_after:
            hours = (entry.occurred_at - stated).total_seconds() / 3600
            return _("recorded {hours} h after the {stated} it states", hours=format(hours, ".0f"),
                     stated=_STATED_TIME_NAMES[key])
    return None


def _override(entry: TrailEntry) -> Text | None:
    if entry.action in OVERRIDE_ACTIONS:
        return _("released before the final sterility result")
    if entry.action == "lot.expiry_set" and _values(entry.old_values).get("expires_at") is not None:
        return _("the lot's expiry was changed after it was set")
    return None


def classify(entry: TrailEntry, *, late_after: timedelta = timedelta(hours=LATE_ENTRY_HOURS)) -> list[RecordException]:
    """Every kind of exception one entry is (none: an ordinary entry)."""
    found: list[tuple[ExceptionKind, Text]] = []
    action = entry.action
    if action.endswith("corrected"):
        found.append((ExceptionKind.CORRECTION, _("a recorded value was corrected")))
    if action.endswith("refused"):
        found.append((ExceptionKind.REFUSAL, _("refused")))
    if action in DEVIATION_ACTIONS:
        found.append((ExceptionKind.DEVIATION, _DEVIATION_WHY[action]))
    if action == "label.reprinted":
        found.append((ExceptionKind.REPRINT, _("a label was printed again")))
    if action in VOID_ACTIONS:
        found.append((ExceptionKind.VOID, _VOID_WHY[action]))
    late = _late(entry, late_after)
    if late is not None:
        found.append((ExceptionKind.LATE_ENTRY, late))
    override = _override(entry)
    if override is not None:
        found.append((ExceptionKind.OVERRIDE, override))
    return [RecordException(kind, entry, why) for kind, why in found]


def exceptions_in(entries: Iterable[TrailEntry], *,
                  late_after: timedelta = timedelta(hours=LATE_ENTRY_HOURS)) -> list[RecordException]:
    """Every exception in a lot's trail, grouped by kind (in ExceptionKind's order), oldest first in each kind."""
    found = [e for entry in entries for e in classify(entry, late_after=late_after)]
    order = list(ExceptionKind)
    return sorted(found, key=lambda e: (order.index(e.kind), e.entry.seq))


def outdating_after(exceptions: Iterable[RecordException], reviewed_through_seq: int) -> list[RecordException]:
    """The exceptions recorded after a review through `reviewed_through_seq` that the review does not cover."""
    return [e for e in exceptions if e.entry.seq > reviewed_through_seq and e.outdates_review]
