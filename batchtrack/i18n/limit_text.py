"""A specification limit as people read it (pure): the limit a QC result was judged against is recorded as the
evaluation wrote it ("<= 0.1 ug/mL", "5.600e+07 to 6.160e+07 cells (8e+05/kg x 70 kg +/- 10%)"); shown, its numbers
are written in powers of ten with superscript digits and its units and signs as printed (less-or-equal sign, micro
sign, multiplication sign, plus-minus sign), as batchtrack.i18n.numbers writes them, and the words joining a range
("to") or alternatives ("or") in the reader's language. The recorded text is never changed.
"""

from __future__ import annotations

import gettext
import re

from batchtrack.i18n import numbers
from batchtrack.i18n.data_files import data_words
from batchtrack.i18n.text import ENGLISH, Text, _, shown_str

# A number in exponent notation, as Python's "e" and "g" formats write it: its significant digits are kept.
_EXPONENT = re.compile(r"(?<![\w.])(?P<mantissa>\d+(?:\.\d+)?)e(?P<exponent>[+-]?\d+)(?![\w.])", re.ASCII)
# Units as specifications and the evaluation spell them in ASCII (a lone "C" only after a number: "8 C").
_UNIT = re.compile(r"(?<![\w/])(?:ug/mL|ug/ml|EU/ml|ug|uL|ul|ml|degC|deg C|oC|(?<=\d )C)(?![\w/])", re.ASCII)
_SQUARED = re.compile(r"\b(c?m)2\b", re.ASCII)  # cells/cm2: square centimetres
# Signs written right after their number, as batchtrack.i18n.numbers writes them ("72.0%", "4.0°C").
_ATTACHED = re.compile("(?<=\\d) (%|\u00b0C)")
_SIGNS = (("<=", "\u2264"), (">=", "\u2265"), ("+/-", "\u00b1"), (" x ", " \u00d7 "))
# A range as the evaluation writes it: a number, "to", a number and what follows it (a unit, how it was worked out).
_RANGE = re.compile(r"(?P<low>[-+]?\d\S*) to (?P<high>[-+]?\d.*)", re.ASCII)
# What the evaluation adds after a limit ("; not judged: ..."): kept as recorded.
_AFTER = "; "
# Words the evaluation itself writes into a limit (quality.specification.BELOW_LOQ).
_WORDS = {"below LOQ": _("below LOQ")}


def readable(text: str, translations: gettext.NullTranslations = ENGLISH) -> str:
    """`text`, a recorded limit, as people read it: powers of ten, units and signs as printed, the words of a range
    or of alternatives in the language of `translations`; the rest unchanged."""
    return shown_str(message(text), translations)


def message(text: str) -> str | Text:
    """`text`, a recorded limit, as a message: written as `readable` writes it, in the reader's language where shown
    ('5.6 \u00d7 10\u2077 to 6.16 \u00d7 10\u2077 cells', '\u2264 0.1 \u00b5g/mL or below LOQ')."""
    limit, after, rest = text.partition(_AFTER)
    alternatives = [_alternative(part) for part in limit.split(" or ")]
    shown = alternatives[0]
    for alternative in alternatives[1:]:
        shown = _("{first} or {second}", first=shown, second=alternative)
    if not after:
        return shown
    return Text("{limit}{after}{rest}", (("limit", shown), ("after", after), ("rest", _signs(rest))))


def _alternative(text: str) -> str | Text:
    """One limit of a list of alternatives: a range, words the evaluation or a data file writes, or a limit."""
    found = _RANGE.fullmatch(text)
    if found is not None:
        return _("{low} to {high}", low=_signs(found["low"]), high=_signs(found["high"]))
    if text in _WORDS:
        return _WORDS[text]
    if not any(character.isdigit() for character in text):
        return data_words(text)  # an expected result of a qualitative test ("no growth")
    return _signs(text)


def _signs(text: str) -> str:
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
