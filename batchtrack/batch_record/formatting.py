"""How the batch record writes numbers, limits and times, the same on the page and in the PDF."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from batchtrack.i18n.text import Text, _

# Integers up to this size are written out in full (cell counts); anything else keeps every recorded digit.
_WHOLE_NUMBER_LIMIT = 1e15


def number(value: float | None) -> str:
    """A recorded value exactly as entered: whole numbers with thousands separators, others in full."""
    if value is None:
        return "-"
    if value.is_integer() and abs(value) < _WHOLE_NUMBER_LIMIT:
        return f"{int(value):,}"
    return repr(value)


def fixed(value: float | None, places: int = 2) -> str:
    """A computed figure (doublings, days) rounded for reading."""
    if value is None:
        return "-"
    return f"{value:.{places}f}"


def limits(low: float | None, high: float | None) -> str | Text:
    """The process limits of a value in plain ASCII ('70 to 95', '>= 70', '<= -80'), or '-' when it has none; a
    range is a message, shown in the reader's language ('70 to 95' is English)."""
    if low is not None and high is not None:
        return _("{low} to {high}", low=number(low), high=number(high))
    if low is not None:
        return f">= {number(low)}"
    if high is not None:
        return f"<= {number(high)}"
    return "-"


def utc(moment: datetime | None) -> str:
    """Date and time to the second, in UTC, labelled as such."""
    if moment is None:
        return "-"
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def local(moment: datetime | None, zone: str) -> str:
    """Date and time to the second in the display time zone, labelled with the zone's abbreviation."""
    if moment is None:
        return "-"
    return moment.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M:%S %Z")


def words(code: str) -> str:
    """A stored code as words ('in_progress' -> 'in progress')."""
    return code.replace("_", " ")
