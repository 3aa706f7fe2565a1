"""Numbers as people read them (pure): cell counts in powers of ten with a multiplication sign and superscript
digits ("5.84 \u00d7 10\u2077"), units in their proper signs (µg/mL, °C), and a precision for each kind of
quantity; the same on pages, printed records and labels.

The stored value is never rounded: only its display is.
"""

from __future__ import annotations

import math
from enum import StrEnum

_SUPERSCRIPT = str.maketrans("0123456789-", "\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079\u207b")
# Units as typed in specifications and forms (ASCII), as printed.
_UNIT_SIGNS = {
    "ug/ml": "\u00b5g/mL", "ug/mL": "\u00b5g/mL", "ug": "\u00b5g", "ul": "\u00b5L", "uL": "\u00b5L",
    "ml": "mL", "degC": "\u00b0C", "deg C": "\u00b0C", "C": "\u00b0C", "oC": "\u00b0C", "EU/ml": "EU/mL",
    "um": "\u00b5m", "x10^6 cells": "\u00d7 10\u2076 cells",
}
# From this many on, a count is written in powers of ten: 99,999 reads at a glance, 100000000 does not.
SCIENTIFIC_FROM = 100_000


class Quantity(StrEnum):
    """The kinds of quantity a record shows, each with its own precision."""

    CELL_COUNT = "cell_count"  # 3 significant digits, powers of ten from SCIENTIFIC_FROM
    PERCENT = "percent"  # viability, recovery: 1 decimal
    ENDOTOXIN = "endotoxin"  # EU/mL, EU/kg: 2 significant digits
    CONCENTRATION = "concentration"  # residual antibiotics, µg/mL: 2 decimals
    TEMPERATURE = "temperature"  # °C: 1 decimal
    VOLUME = "volume"  # mL: 1 decimal
    MASS = "mass"  # kg: 1 decimal
    HOURS = "hours"  # h: 1 decimal
    PLAIN = "plain"  # as given, without trailing zeros


_DECIMALS = {Quantity.PERCENT: 1, Quantity.CONCENTRATION: 2, Quantity.TEMPERATURE: 1, Quantity.VOLUME: 1,
             Quantity.MASS: 1, Quantity.HOURS: 1}


def unit_sign(unit: str) -> str:
    """`unit` in its printed form: "ug/mL" -> "µg/mL", "degC" -> "°C"; anything else as it is."""
    stripped = unit.strip()
    return _UNIT_SIGNS.get(stripped, stripped)


def scientific(value: float, significant: int = 3) -> str:
    """`value` in a power of ten (`significant` digits, trailing zeros dropped); 0 as "0"; not a number as given."""
    if not math.isfinite(value):
        return str(value)
    if value == 0:
        return "0"
    mantissa_text, exponent_text = f"{value:.{significant - 1}e}".split("e")
    mantissa = mantissa_text.rstrip("0").rstrip(".") if "." in mantissa_text else mantissa_text
    exponent = int(exponent_text)
    if exponent == 0:
        return mantissa
    return f"{mantissa} \u00d7 10{str(exponent).translate(_SUPERSCRIPT)}"


def grouped(value: float, decimals: int | None = None) -> str:
    """`value` with thousands separated by commas, to `decimals` places (None: as many as it needs, up to 6)."""
    if not math.isfinite(value):
        return str(value)
    if decimals is None:
        text = f"{value:,.6f}".rstrip("0").rstrip(".")
        return "0" if text in ("-0", "") else text
    text = f"{value:,.{decimals}f}"
    return text[1:] if text.startswith("-") and float(value) == 0 else text


def shown(value: float | int | None, quantity: Quantity = Quantity.PLAIN, unit: str = "") -> str:
    """`value` of `quantity` as people read it, with its unit in its printed form; "-" when there is none."""
    if value is None:
        return "-"
    number = float(value)
    if quantity is Quantity.CELL_COUNT:
        text = scientific(number) if abs(number) >= SCIENTIFIC_FROM else grouped(round(number))
    elif quantity is Quantity.ENDOTOXIN:
        text = scientific(number, 2) if number and abs(number) < 0.01 else f"{float(f'{number:.2g}'):g}"
    elif quantity in _DECIMALS:
        text = grouped(number, _DECIMALS[quantity])
    else:
        text = grouped(number)
    sign = unit_sign(unit)
    if not sign:
        return text
    return f"{text}{sign}" if sign in ("%", "\u00b0C") else f"{text} {sign}"
