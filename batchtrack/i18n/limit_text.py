"""A specification limit as people read it (pure): the limit a QC result was judged against is recorded as the
evaluation wrote it ("<= 0.1 ug/mL", "5.600e+07 to 6.160e+07 cells (8e+05/kg x 70 kg +/- 10%)"); shown, its numbers
are written in powers of ten with superscript digits and its units and signs as printed (less-or-equal sign, micro
sign, multiplication sign, plus-minus sign), as batchtrack.i18n.numbers writes them. The recorded text is never
changed.
"""

from __future__ import annotations

import re

from batchtrack.i18n import numbers

# A number in exponent notation, as Python's "e" and "g" formats write it: its significant digits are kept.
_EXPONENT = re.compile(r"(?<![\w.])(?P<mantissa>\d+(?:\.\d+)?)e(?P<exponent>[+-]?\d+)(?![\w.])", re.ASCII)
# Units as specifications and the evaluation spell them in ASCII (a lone "C" only after a number: "8 C").
_UNIT = re.compile(r"(?<![\w/])(?:ug/mL|ug/ml|EU/ml|ug|uL|ul|ml|degC|deg C|oC|(?<=\d )C)(?![\w/])", re.ASCII)
_SQUARED = re.compile(r"\b(c?m)2\b", re.ASCII)  # cells/cm2: square centimetres
# Signs written right after their number, as batchtrack.i18n.numbers writes them ("72.0%", "4.0°C").
_ATTACHED = re.compile("(?<=\\d) (%|\u00b0C)")
_SIGNS = (("<=", "\u2264"), (">=", "\u2265"), ("+/-", "\u00b1"), (" x ", " \u00d7 "))


def readable(text: str) -> str:
    """`text`, a recorded limit, as people read it: powers of ten, units and signs as printed; the rest unchanged."""
    shown = _EXPONENT.sub(_power_of_ten, text)
    shown = _UNIT.sub(lambda unit: numbers.unit_sign(unit.group()), shown)
    shown = _SQUARED.sub("\\1\u00b2", shown)
    for ascii_sign, sign in _SIGNS:
        shown = shown.replace(ascii_sign, sign)
    return _ATTACHED.sub(r"\1", shown)


def _power_of_ten(match: re.Match[str]) -> str:
    mantissa = match["mantissa"]
    digits = len(mantissa.replace(".", "").lstrip("0")) or 1
    return numbers.scientific(float(f"{mantissa}e{match['exponent']}"), digits)
