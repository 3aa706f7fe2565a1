"""How the printed records (batch record, chain-of-identity report, certificate of analysis) write numbers, limits
and times, the same on the page and in the PDF.

Times are stored in UTC and printed in the site's zone, named ("2026-12-08 12:02:03 KST"); a signature also shows
its UTC time beside. Numbers are written as people read them (batchtrack.i18n.numbers: 5.84 \u00d7 10\u2077
cells, µg/mL, °C), but a recorded value is never rounded on its record (batchtrack.i18n.recorded, whose figures
this module gives the records too).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from batchtrack.i18n import code_words
from batchtrack.i18n.recorded import figure as figure
from batchtrack.i18n.recorded import quantity as quantity
from batchtrack.i18n.recorded import quantity_of as quantity_of
from batchtrack.i18n.recorded import unit as unit
from batchtrack.i18n.text import Text, _


def fixed(value: float | None, places: int = 2) -> str:
    """A computed figure (doublings, days) rounded for reading."""
    if value is None:
        return "-"
    return f"{value:.{places}f}"


def limits(low: float | None, high: float | None, unit_text: str = "") -> str | Text:
    """The process limits of a value in `unit_text` ('70.0 to 95.0', '\u2265 1 \u00d7 10\u2077', '\u2264 -80.0'), or
    '-' when it has none; a range is a message, shown in the reader's language ('70 to 95' is English)."""
    if low is not None and high is not None:
        return _("{low} to {high}", low=figure(low, unit_text), high=figure(high, unit_text))
    if low is not None:
        return f"\u2265 {figure(low, unit_text)}"
    if high is not None:
        return f"\u2264 {figure(high, unit_text)}"
    return "-"


def utc(moment: datetime | None) -> str:
    """Date and time to the second, in UTC, labelled as such."""
    if moment is None:
        return "-"
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def local(moment: datetime | None, zone: str) -> str:
    """Date and time to the second in the site's zone, labelled with the zone's abbreviation: the time a record
    prints."""
    if moment is None:
        return "-"
    return moment.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M:%S %Z")


def signed(moment: datetime, zone: str) -> str:
    """When a signature was applied: in the site's zone, with the UTC time beside it (the time it is stored in)
    unless the site keeps UTC."""
    shown, stored = local(moment, zone), utc(moment)
    return shown if shown == stored else f"{shown} ({stored})"


def words(code: str) -> str | Text:
    """A stored code as words in the reader's language ('in_progress' -> 'in progress'; batchtrack.i18n.code_words)."""
    return code_words.words(code)


def joined(parts: Sequence[str | Text], separator: str) -> str | Text:
    """Parts (messages or what was recorded) one after the other, each shown in the reader's language."""
    values = {f"part{index}": part for index, part in enumerate(parts)}
    # Built directly, not through `_`: a separator is not a message to translate.
    return Text(separator.join(f"{{{name}}}" for name in values), tuple(values.items()))


def container_name(*, kind: str, din: str, division: str, sample_flag: str) -> Text:
    """How a record names a container ('culture vessel W0000... 01'), its kind in the reader's language; the English
    is the name a step's signature covers (processing.service.vessel_name)."""
    where = division if division != "00" else sample_flag
    return Text("{kind} {din} {where}", (("kind", words(kind)), ("din", din), ("where", where)))
