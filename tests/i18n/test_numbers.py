"""Numbers for people: powers of ten with superscripts, units in their signs, a precision per quantity."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from batchtrack.i18n.numbers import Quantity, grouped, scientific, shown, unit_sign

_DIGITS = str.maketrans("\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079\u207b", "0123456789-")


@pytest.mark.parametrize(("value", "expected"), [
    (5.84e7, "5.84 \u00d7 10\u2077"), (6e7, "6 \u00d7 10\u2077"), (1.2e-3, "1.2 \u00d7 10\u207b\u00b3"),
    (58_400_000, "5.84 \u00d7 10\u2077"), (1.005e6, "1 \u00d7 10\u2076"), (999.0, "9.99 \u00d7 10\u00b2"),
    (0, "0"), (-2.5e8, "-2.5 \u00d7 10\u2078"), (3.0, "3"),
])
def test_powers_of_ten_are_written_with_superscripts(value: float, expected: str) -> None:
    assert scientific(value) == expected


def test_a_cell_count_reads_at_a_glance() -> None:
    assert shown(6e7, Quantity.CELL_COUNT, "cells") == "6 \u00d7 10\u2077 cells"
    assert shown(5.84e7, Quantity.CELL_COUNT) == "5.84 \u00d7 10\u2077"
    assert shown(99_999, Quantity.CELL_COUNT) == "99,999"
    assert shown(100_000, Quantity.CELL_COUNT) == "1 \u00d7 10\u2075"


def test_units_are_printed_in_their_signs() -> None:
    assert unit_sign("ug/mL") == "\u00b5g/mL" and unit_sign("degC") == "\u00b0C" and unit_sign("EU/kg") == "EU/kg"
    assert shown(0.5, Quantity.CONCENTRATION, "ug/mL") == "0.50 \u00b5g/mL"
    assert shown(4.04, Quantity.TEMPERATURE, "degC") == "4.0\u00b0C"
    assert shown(92.345, Quantity.PERCENT, "%") == "92.3%"
    assert shown(0.25, Quantity.ENDOTOXIN, "EU/kg") == "0.25 EU/kg"
    assert shown(1234.5, Quantity.VOLUME, "mL") == "1,234.5 mL"


def test_nothing_recorded_shows_a_dash() -> None:
    assert shown(None, Quantity.CELL_COUNT, "cells") == "-"


def test_grouping_keeps_what_the_value_needs() -> None:
    assert grouped(1234567.25) == "1,234,567.25" and grouped(0.0) == "0" and grouped(-0.0, 1) == "0.0"


@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e300, max_value=1e300))
def test_a_power_of_ten_reads_back_as_the_value_to_three_significant_digits(value: float) -> None:
    text = scientific(value)
    if " \u00d7 10" in text:
        mantissa, power = text.split(" \u00d7 10")
        exponent = int(power.translate(_DIGITS))
        read = float(mantissa) * 10.0 ** exponent
    else:
        read = float(text)
    assert math.isclose(read, float(f"{value:.3g}"), rel_tol=1e-9, abs_tol=1e-300)
