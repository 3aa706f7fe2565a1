"""How the printed records (batch record, chain-of-identity report, certificate of analysis) write numbers, limits
and times, the same on the page and in the PDF.

Times are stored in UTC and printed in the site's zone, named ("2026-12-08 12:02:03 KST"); a signature also shows
its UTC time beside. Numbers are written as people read them (batchtrack.i18n.numbers: 5.84 \u00d7 10\u2077
cells, µg/mL, °C), but a recorded value is never rounded on its record: where the precision of its kind of quantity
would hide a recorded digit, every digit is printed, in the same notation.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from batchtrack.i18n import numbers
from batchtrack.i18n.numbers import Quantity
from batchtrack.i18n.text import Text, _

# The kind of quantity a recorded unit measures (units as process, specification and forms write them).
_QUANTITY_OF_UNIT = {
    "cells": Quantity.CELL_COUNT, "cells/cm2": Quantity.CELL_COUNT, "viable cells": Quantity.CELL_COUNT,
    "%": Quantity.PERCENT,
    "EU/mL": Quantity.ENDOTOXIN, "EU/ml": Quantity.ENDOTOXIN, "EU/kg": Quantity.ENDOTOXIN,
    "ug/mL": Quantity.CONCENTRATION, "ug/ml": Quantity.CONCENTRATION, "\u00b5g/mL": Quantity.CONCENTRATION,
    "degC": Quantity.TEMPERATURE, "deg C": Quantity.TEMPERATURE, "C": Quantity.TEMPERATURE,
    "oC": Quantity.TEMPERATURE, "\u00b0C": Quantity.TEMPERATURE,
    "mL": Quantity.VOLUME, "ml": Quantity.VOLUME, "uL": Quantity.VOLUME, "ul": Quantity.VOLUME,
    "\u00b5L": Quantity.VOLUME,
    "kg": Quantity.MASS, "h": Quantity.HOURS,
}
_FROM_SUPERSCRIPT = str.maketrans("\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079\u207b",
                                  "0123456789-")
_TIMES_TEN = " \u00d7 10"
# Units written right after the number, without a space (as batchtrack.i18n.numbers writes them).
_ATTACHED_UNITS = ("%", "\u00b0C")


def quantity_of(unit: str) -> Quantity:
    """The kind of quantity a value recorded in `unit` is (its precision and notation); PLAIN when unknown."""
    return _QUANTITY_OF_UNIT.get(unit.strip(), Quantity.PLAIN)


def unit(text: str) -> str:
    """A unit in its printed form: "ug/mL" -> "µg/mL", "degC" -> "°C"."""
    return numbers.unit_sign(text)


def figure(value: float | None, unit_text: str = "") -> str:
    """A recorded value as people read it, for a value in `unit_text` (without the unit); every recorded digit kept:
    6e7 cells -> "6 \u00d7 10\u2077", 58412345 cells -> "5.8412345 \u00d7 10\u2077", 72 % -> "72.0"; "-" when none
    was recorded."""
    if value is None:
        return "-"
    kind = quantity_of(unit_text)
    text = numbers.shown(value, kind)
    if "e" not in text and _read(text) == value:  # "1.2e+06": not a figure for people
        return text
    if kind is Quantity.CELL_COUNT and abs(value) >= numbers.SCIENTIFIC_FROM:
        return numbers.scientific(value, _significant_digits(value))
    return numbers.grouped(value, _decimal_places(value))


def quantity(value: float | None, unit_text: str) -> str:
    """A recorded value with its unit in its printed form: "6.2 \u00d7 10\u2077 cells", "4.0°C", "50.0 mL"; "-" for
    none."""
    if value is None:
        return "-"
    number, sign = figure(value, unit_text), unit(unit_text)
    if not sign:
        return number
    return f"{number}{sign}" if sign in _ATTACHED_UNITS else f"{number} {sign}"


def _read(text: str) -> float | None:
    """The number a figure reads as ("5.84 \u00d7 10\u2077" -> 58400000.0), or None if it is not one."""
    mantissa, _times, power = text.replace(",", "").partition(_TIMES_TEN)
    try:
        return float(f"{mantissa}e{power.translate(_FROM_SUPERSCRIPT)}" if power else mantissa)
    except ValueError:
        return None


def _significant_digits(value: float) -> int:
    """The fewest significant digits that write `value` exactly (17 always do)."""
    return next((digits for digits in range(1, 17) if float(f"{value:.{digits - 1}e}") == value), 17)


def _decimal_places(value: float) -> int:
    """The decimal places of the shortest text that reads back as `value`."""
    exponent = Decimal(repr(value)).as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


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


def words(code: str) -> str:
    """A stored code as words ('in_progress' -> 'in progress')."""
    return code.replace("_", " ")
