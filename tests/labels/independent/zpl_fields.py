"""What the Code 128 fields of a ZPL label mean, read by Zebra's rules for ^BC field data, not by batchtrack's.

Mode N field data names Code 128 symbol values with invocation codes (ZPL II Programming Guide, ^BC, "Code 128
Invocation Characters"): >9 >: >; start subsets A, B, C; >5 switches to C, >6 and >7 to B and A; in subsets A
and B, >0 is `>` (value 30), >< is value 62 (`^` in B) and >= value 94 (`~` in B), which cannot be field data;
subsets A and C take pairs of digits. The independent ZPL renderer does not follow the guide for >5 (it draws a
function character and stays in subset B), so the Code 128 fields of our ZPL are also read by these rules.
"""

from __future__ import annotations

import re

_FIELD = re.compile(r"\^BC[^^]*\^FD(.*?)\^FS", re.DOTALL)
_STARTS = {">9": "A", ">:": "B", ">;": "C"}
_SWITCHES = {("A", "5"): "C", ("B", "5"): "C", ("A", "6"): "B", ("B", "7"): "A", ("C", "6"): "B", ("C", "7"): "A"}
_VALUES = {"0": 30, "<": 62, "=": 94}


class FieldError(ValueError):
    """Field data that names no text (a function character, a malformed pair)."""


def code128_fields(zpl: str) -> list[str]:
    """The field data of every ^BC command of a label, in order."""
    return _FIELD.findall(zpl)


def _character(subset: str, value: int) -> str:
    if subset == "B" or value < 64:
        return chr(value + 32)
    return chr(value - 64)  # subset A, values 64-95: the control characters


def code128_text(field: str) -> str:
    """The text a mode N ^BC field encodes, by the guide's invocation codes."""
    subset, position, text = _STARTS.get(field[:2], "B"), (2 if field[:2] in _STARTS else 0), []
    while position < len(field):
        if field[position] == ">":
            code = field[position + 1 : position + 2]
            position += 2
            if (subset, code) in _SWITCHES:
                subset = _SWITCHES[subset, code]
            elif subset != "C" and code in _VALUES:
                text.append(_character(subset, _VALUES[code]))
            else:
                raise FieldError(f"invocation >{code} in subset {subset} of {field!r} is no text")
        elif subset == "B":
            text.append(field[position])
            position += 1
        else:
            pair = field[position : position + 2]
            position += 2
            if not (len(pair) == 2 and pair.isdigit()):
                raise FieldError(f"subset {subset} takes pairs of digits, not {pair!r} in {field!r}")
            text.append(pair if subset == "C" else _character("A", int(pair)))
    return "".join(text)
