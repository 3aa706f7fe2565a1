"""A STOP at a station stays until someone acknowledges it (pure: what is pending, and the reasons kept for it).

A refused scan is recorded in the audit trail against its station; an acknowledgement names the last refusal it
covers. A station's STOP is pending while a refusal was recorded there after the last one acknowledged: the next
scan is not taken until a person acknowledges it (a scanner's Enter never does). The reasons are kept with their
marked text, so that a STOP shown again (after a scan not taken, or the page reloaded) reads in its reader's language.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from batchtrack.errors import Reason
from batchtrack.i18n.text import Text, _

_PLAIN = (str, int, float, bool, type(None))


def text_record(text: Text) -> dict[str, Any]:
    """A marked text as JSON-ready data: its English source and its values (a value that is a text, nested)."""
    return {"source": text.source, "values": {
        name: text_record(value) if isinstance(value, Text) else value if isinstance(value, _PLAIN) else str(value)
        for name, value in text.values
    }}


def text_from_record(record: Any) -> Text | None:
    """The marked text `text_record` wrote (None for anything else)."""
    if not isinstance(record, dict) or not isinstance(record.get("source"), str):
        return None
    values = record.get("values")
    if not isinstance(values, dict):
        return Text(record["source"])
    return Text(record["source"], tuple(
        (str(name), (text_from_record(value) or str(value)) if isinstance(value, dict) else value)
        for name, value in values.items()))


def reasons_record(reasons: list[Reason]) -> list[dict[str, Any]]:
    """Reasons as the audit trail keeps them: code and English message, and the marked text to show them again."""
    return [{**reason.as_dict(), "text": text_record(reason.text)} for reason in reasons]


def reasons_from_record(recorded: Any) -> list[Reason]:
    """The reasons `reasons_record` wrote; a reason recorded without its text is shown as its English message."""
    reasons: list[Reason] = []
    for item in recorded if isinstance(recorded, list) else []:
        if not isinstance(item, dict):
            continue
        code, message = str(item.get("code", "")), str(item.get("message", ""))
        text = text_from_record(item.get("text"))
        reasons.append(Reason(code, text) if text is not None else Reason(code, message))
    return reasons


@dataclass(frozen=True, slots=True)
class PendingStop:
    """The refusal at a station that no one has acknowledged yet: when, whose scan, why."""

    refusal_seq: int
    occurred_at: datetime
    actor_name: str
    reasons: list[Reason]
    raw_escaped: str


@dataclass(frozen=True, slots=True)
class Acknowledgement:
    """The last acknowledgement at a station: up to which refusal, by whom, when."""

    refusal_seq: int
    occurred_at: datetime
    actor_name: str


def is_pending(last_refusal_seq: int | None, acknowledged: Acknowledgement | None) -> bool:
    """A station's STOP is pending while a refusal was recorded after the last one acknowledged."""
    if last_refusal_seq is None:
        return False
    return acknowledged is None or last_refusal_seq > acknowledged.refusal_seq


def acknowledgement_refusals(*, refusal_seq: int, last_refusal_seq: int | None,
                             acknowledged: Acknowledgement | None) -> list[Reason]:
    """An acknowledgement covers a STOP shown at the station that no one has acknowledged yet."""
    if last_refusal_seq is None or refusal_seq > last_refusal_seq or refusal_seq < 1:
        return [Reason("station.no_stop", _("there is no such STOP at this station to acknowledge"))]
    if acknowledged is not None and refusal_seq <= acknowledged.refusal_seq:
        return [Reason("station.stop_already_acknowledged", _(
            "this STOP was already acknowledged by {name}", name=acknowledged.actor_name))]
    return []
