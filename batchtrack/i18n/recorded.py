"""Recorded values as people read them, never rounded: the figures of printed records, pages and refusal reasons.

Numbers are written as batchtrack.i18n.numbers writes them (5.84 \u00d7 10\u2077 cells, µg/mL, °C), but where the
precision of a value's kind of quantity would hide a recorded digit, every digit is written, in the same notation:
a value that is recorded, corrected or refused must read as what was entered.
"""

from __future__ import annotations

from decimal import Decimal

from batchtrack.i18n import numbers
from batchtrack.i18n.numbers import Quantity

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
